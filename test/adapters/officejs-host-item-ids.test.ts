import assert from "node:assert/strict";
import { immutableRef } from "./mailbox-store-contract";
import { GraphMailboxStore } from "../../src/adapters/graph/graph-mailbox-store";
import { StaticTokenProvider } from "../../src/adapters/graph/token-provider";
import { OfficeJsOutlookHost } from "../../src/adapters/officejs/officejs-outlook-host";
import { SyncError } from "../../src/core/errors";
import { startGraphSubsetServer } from "../../src/sim/graph/graph-subset-server";
import { ewsIdFromRestId } from "../../src/sim/mailbox/exchange-ids";
import { SimulatedMailbox } from "../../src/sim/mailbox/simulated-mailbox";
import { createSimulatedOffice } from "../../src/sim/office/simulated-office";
import { ManualClock, settle } from "../support/manual-clock";

const addinId = "5f1e2d3c-0000-4000-8000-00000000a11d";

async function harness() {
  const clock = new ManualClock(Date.parse("2026-03-02T09:00:00Z"), true);
  const mailbox = new SimulatedMailbox({
    clock,
    owner: { emailAddress: "alice@contoso.com", displayName: "Alice" },
  });
  const server = await startGraphSubsetServer({ mailbox, clock, token: "sim-token" });
  const store = new GraphMailboxStore({
    fetch: globalThis.fetch,
    baseUrl: server.baseUrl,
    tokens: new StaticTokenProvider("sim-token"),
    clock,
    addinId,
    random: () => 0.5,
  });
  const simulated = createSimulatedOffice(mailbox, { addinId });
  const host = new OfficeJsOutlookHost(simulated.office as unknown as typeof Office, { itemIds: store });
  return {
    mailbox,
    store,
    host,
    dispose: async () => {
      simulated.dispose();
      await server.close();
    },
  };
}

describe("OfficeJsOutlookHost item ids (EWS in Office.js, immutable REST ids in Graph)", () => {
  it("reports the item Office.js names by an EWS id by its immutable id, which Graph accepts, also after a move", async () => {
    const h = await harness();
    try {
      const message = h.mailbox.createItem(
        { type: "email", fields: { subject: "Order", from: "bob@contoso.com" } },
        { notify: false, by: "world" },
      );
      h.mailbox.select(message.itemId);
      await settle();
      const current = await h.host.getCurrentItem();
      assert.equal(current?.itemId, message.immutableId);
      assert.equal(current?.kind, "receivedEmail");
      const read = await h.store.getItems([{ itemId: current.itemId ?? "", type: "email" }]);
      assert.equal(read.get(message.immutableId)?.fields.subject, "Order");
      const archived = h.mailbox.archiveItem(message.itemId, { notify: false });
      h.mailbox.select(archived.itemId);
      await settle();
      assert.equal((await h.host.getCurrentItem())?.itemId, message.immutableId);
    } finally {
      await h.dispose();
    }
  });

  it("an EWS id reaching the store fails: Graph answers ErrorInvalidIdMalformed", async () => {
    const h = await harness();
    try {
      const message = h.mailbox.createItem(
        { type: "email", fields: { subject: "Order" } },
        { notify: false, by: "world" },
      );
      const ewsId = ewsIdFromRestId(message.itemId);
      assert.notEqual(ewsId, message.itemId);
      await assert.rejects(
        h.store.getItems([{ itemId: ewsId, type: "email" }]),
        (error: unknown) =>
          error instanceof SyncError &&
          /ErrorInvalidIdMalformed|malformed/i.test(error.message + String(error.details)),
      );
    } finally {
      await h.dispose();
    }
  });

  it("a forward sent untracked does not link to its parent's record in the store", async () => {
    const h = await harness();
    try {
      const parent = h.mailbox.createItem(
        { type: "email", fields: { subject: "Order", from: "bob@contoso.com" } },
        { notify: false, by: "world" },
      );
      h.mailbox.select(parent.itemId);
      await settle();
      await h.host.setCurrentItemLink({ crmId: "crm-9", state: "tracked" });
      const forward = h.mailbox.openCompose(
        { subject: "FW: Order", to: ["carol@fabrikam.com"] },
        { itemId: parent.itemId, composeType: "forward" },
      );
      await settle();
      assert.equal((await h.host.getCurrentItem())?.link, null);
      await h.mailbox.sendDraft(forward.itemId);
      const stored = await h.store.getItems([immutableRef(parent), immutableRef(forward)]);
      assert.deepEqual(stored.get(parent.immutableId)?.link, { crmId: "crm-9", state: "tracked" });
      assert.equal(stored.get(forward.immutableId)?.link, null);
    } finally {
      await h.dispose();
    }
  });

  it("gives a new compose form no id until it is saved; stamping the draft saves it", async () => {
    const h = await harness();
    try {
      const draft = h.mailbox.openCompose({ subject: "Hello" });
      await settle();
      assert.equal((await h.host.getCurrentItem())?.itemId, null);
      await h.host.setCurrentItemLink({ crmId: null, state: "trackOnSend" });
      const current = await h.host.getCurrentItem();
      assert.equal(current?.itemId, draft.immutableId);
      assert.deepEqual(current?.link, { crmId: null, state: "trackOnSend" });
      assert.deepEqual(h.mailbox.customProperties(draft.itemId, addinId), { state: "trackOnSend" });
    } finally {
      await h.dispose();
    }
  });
});
