import { OfficeJsOutlookHost } from "../../src/adapters/officejs/officejs-outlook-host";
import { SimulatedMailboxStore } from "../../src/adapters/sim/simulated-mailbox-store";
import { SimulatedMailbox } from "../../src/sim/mailbox/simulated-mailbox";
import { createSimulatedOffice } from "../../src/sim/office/simulated-office";
import { ManualClock } from "../support/manual-clock";
import { runOutlookHostContract } from "./outlook-host-contract";

runOutlookHostContract("OfficeJsOutlookHost over the simulated Office global", () => {
  const clock = new ManualClock();
  const mailbox = new SimulatedMailbox({
    clock,
    owner: { emailAddress: "alice@contoso.com", displayName: "Alice" },
  });
  const addinId = "5f1e2d3c-0000-4000-8000-00000000a11d";
  const simulated = createSimulatedOffice(mailbox, { addinId });
  const host = new OfficeJsOutlookHost(simulated.office as unknown as typeof Office, {
    itemIds: new SimulatedMailboxStore({ mailbox, addinId, clock }),
  });
  return { host, mailbox, addinId, dispose: () => simulated.dispose() };
});
