import { SimulatedOutlookHost } from "../../src/adapters/sim/simulated-outlook-host";
import { SimulatedMailbox } from "../../src/sim/mailbox/simulated-mailbox";
import { ManualClock } from "../support/manual-clock";
import { runOutlookHostContract } from "./outlook-host-contract";

runOutlookHostContract("SimulatedOutlookHost", () => {
  const mailbox = new SimulatedMailbox({
    clock: new ManualClock(),
    owner: { emailAddress: "alice@contoso.com", displayName: "Alice" },
  });
  const addinId = "5f1e2d3c-0000-4000-8000-00000000a11d";
  return { host: new SimulatedOutlookHost({ mailbox, addinId }), mailbox, addinId, dispose: () => undefined };
});
