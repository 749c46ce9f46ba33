import { SimulatedMailboxStore } from "../../src/adapters/sim/simulated-mailbox-store";
import { SimulatedMailbox } from "../../src/sim/mailbox/simulated-mailbox";
import { ManualClock } from "../support/manual-clock";
import { runItemIdTranslatorContract } from "./item-id-translator-contract";
import { runMailboxStoreContract } from "./mailbox-store-contract";

function harness() {
  const clock = new ManualClock();
  const mailbox = new SimulatedMailbox({
    clock,
    owner: { emailAddress: "alice@contoso.com", displayName: "Alice" },
  });
  const addinId = "5f1e2d3c-0000-4000-8000-00000000a11d";
  const store = new SimulatedMailboxStore({ mailbox, addinId, clock });
  return Promise.resolve({ store, mailbox, clock, addinId, http: false, dispose: () => Promise.resolve() });
}

runMailboxStoreContract("SimulatedMailboxStore", harness);
runItemIdTranslatorContract("SimulatedMailboxStore", harness);
