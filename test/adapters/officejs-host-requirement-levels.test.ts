import assert from "node:assert/strict";
import { OfficeJsOutlookHost } from "../../src/adapters/officejs/officejs-outlook-host";
import { SimulatedMailboxStore } from "../../src/adapters/sim/simulated-mailbox-store";
import { SyncError } from "../../src/core/errors";
import { SimulatedMailbox } from "../../src/sim/mailbox/simulated-mailbox";
import { createSimulatedOffice } from "../../src/sim/office/simulated-office";
import { ManualClock, settle } from "../support/manual-clock";

const addinId = "5f1e2d3c-0000-4000-8000-00000000a11d";

function harness(mailboxLevel: string) {
  const clock = new ManualClock();
  const mailbox = new SimulatedMailbox({
    clock,
    owner: { emailAddress: "alice@contoso.com", displayName: "Alice" },
  });
  const simulated = createSimulatedOffice(mailbox, { addinId, mailboxLevel });
  const office = simulated.office as unknown as typeof Office;
  const host = new OfficeJsOutlookHost(office, {
    itemIds: new SimulatedMailboxStore({ mailbox, addinId, clock }),
  });
  return { mailbox, office, host, dispose: () => simulated.dispose() };
}

describe("Office twin at a requirement-set level, and OfficeJsOutlookHost on it", () => {
  it("leaves out members above the level and answers isSetSupported truthfully", () => {
    const older = harness("1.5");
    const web = harness("1.14");
    try {
      const mailboxOf = (h: typeof older) => h.office.context.mailbox as unknown as Record<string, unknown>;
      assert.equal("masterCategories" in mailboxOf(older), false);
      assert.equal("addHandlerAsync" in mailboxOf(older), true);
      assert.equal("masterCategories" in mailboxOf(web), true);
      const supported = (h: typeof older, v: string) =>
        h.office.context.requirements.isSetSupported("Mailbox", v);
      assert.deepEqual(
        ["1.1", "1.5", "1.8", "1.10", "1.14", "1.15"].map((v) => [supported(older, v), supported(web, v)]),
        [
          [true, true],
          [true, true],
          [false, true],
          [false, true],
          [false, true],
          [false, false],
        ],
      );
      assert.equal(older.office.context.requirements.isSetSupported("ExcelApi", "1.1"), false);
      older.mailbox.select(
        older.mailbox.createItem({ type: "email", fields: { subject: "x" } }, { notify: false, by: "world" })
          .itemId,
      );
      const item = older.office.context.mailbox.item as unknown as Record<string, unknown>;
      assert.equal("categories" in item, false);
      assert.equal("notificationMessages" in item, true);
      assert.throws(
        () => createSimulatedOffice(older.mailbox, { addinId, mailboxLevel: "2" }),
        /requirement set/,
      );
    } finally {
      older.dispose();
      web.dispose();
    }
  });

  it("works on an older desktop client (Mailbox 1.5): no categories, ids from saveAsync, from is the owner", async () => {
    const h = harness("1.5");
    try {
      const message = h.mailbox.createItem(
        { type: "email", fields: { subject: "x", from: "bob@fabrikam.com" }, categories: [] },
        { notify: false, by: "world" },
      );
      h.mailbox.select(message.itemId);
      const read = await h.host.getCurrentItem();
      assert.deepEqual([read?.itemId, read?.categories], [message.immutableId, []]);
      await h.host.ensureMasterCategory("Tracked to CRM", "Preset4");
      assert.deepEqual(h.mailbox.masterCategories(), []);
      await assert.rejects(
        h.host.updateCurrentItemCategories({ add: ["Tracked to CRM"], remove: [] }),
        (error: unknown) =>
          error instanceof SyncError && /Mailbox 1\.8/.test(error.message + String(error.details)),
      );
      const draft = h.mailbox.openCompose({ subject: "Hi" });
      await settle();
      const unsaved = await h.host.getCurrentItem();
      assert.deepEqual([unsaved?.itemId, unsaved?.fields.from], [null, "alice@contoso.com"]);
      await h.host.setCurrentItemLink({ crmId: null, state: "trackOnSend" });
      assert.equal((await h.host.getCurrentItem())?.itemId, draft.immutableId);
    } finally {
      h.dispose();
    }
  });

  it("below Mailbox 1.10 (no getComposeTypeAsync) knows a forwarded stamp by the parent's message id", async () => {
    const h = harness("1.8");
    try {
      const parent = h.mailbox.createItem(
        { type: "email", fields: { subject: "Order", from: "bob@fabrikam.com" } },
        { notify: false, by: "world" },
      );
      h.mailbox.select(parent.itemId);
      await h.host.setCurrentItemLink({ crmId: "crm-9", state: "tracked" });
      h.mailbox.openCompose({ subject: "FW: Order" }, { itemId: parent.itemId, composeType: "forward" });
      await settle();
      const item = h.office.context.mailbox.item as unknown as Record<string, unknown>;
      assert.equal("getComposeTypeAsync" in item, false);
      assert.equal((await h.host.getCurrentItem())?.link, null);
    } finally {
      h.dispose();
    }
  });

  it("subscribes to ItemChanged only where Mailbox 1.5 has it", async () => {
    const h = harness("1.3");
    try {
      let calls = 0;
      const subscription = h.host.onItemChanged(() => (calls += 1));
      await settle();
      h.mailbox.select(
        h.mailbox.createItem({ type: "email", fields: { subject: "x" } }, { notify: false, by: "world" })
          .itemId,
      );
      await settle();
      assert.equal(calls, 0);
      subscription.dispose();
      await settle();
    } finally {
      h.dispose();
    }
  });
});
