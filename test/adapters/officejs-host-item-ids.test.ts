import assert from "node:assert/strict";
import { OfficeJsOutlookHost } from "../../src/adapters/officejs/officejs-outlook-host";
import { SimulatedMailboxStore } from "../../src/adapters/sim/simulated-mailbox-store";
import { SimulatedMailbox } from "../../src/sim/mailbox/simulated-mailbox";
import { createSimulatedOffice } from "../../src/sim/office/simulated-office";
import { ManualClock, settle } from "../support/manual-clock";

describe("OfficeJsOutlookHost with an item id translator", () => {
  it("reports the current item by the mailbox store's id, before and after the item moves", async () => {
    const clock = new ManualClock();
    const mailbox = new SimulatedMailbox({
      clock,
      owner: { emailAddress: "alice@contoso.com", displayName: "Alice" },
    });
    const addinId = "5f1e2d3c-0000-4000-8000-00000000a11d";
    const simulated = createSimulatedOffice(mailbox, { addinId });
    const store = new SimulatedMailboxStore({ mailbox, addinId, clock });
    const host = new OfficeJsOutlookHost(simulated.office as unknown as typeof Office, { itemIds: store });
    try {
      const message = mailbox.createItem(
        { type: "email", fields: { subject: "Order", from: "bob@contoso.com" } },
        { notify: false, by: "world" },
      );
      mailbox.select(message.itemId);
      await settle();
      assert.equal((await host.getCurrentItem())?.itemId, message.immutableId);
      const archived = mailbox.archiveItem(message.itemId, { notify: false });
      mailbox.select(archived.itemId);
      await settle();
      assert.equal((await host.getCurrentItem())?.itemId, message.immutableId);
    } finally {
      simulated.dispose();
    }
  });
});
