// The add-in's engine beside the server's background sync (docs/SPEC.md "A mailbox has one synchronizer"), over
// the real adapters: it hands the mailbox over after a clean last cycle, then acts as a secondary client (stamps,
// asks the server to run, makes no CRM record or Outlook item of its own) without touching the user's roaming
// isSyncClient, and resumes as the primary once background sync is disabled.
import assert from "node:assert/strict";
import { MailboxRegistry } from "../../src/server";
import { itemLink } from "../../src/sim/scenario/scenario-output";
import { SIM_ADDIN_ID } from "../../src/sim/scenario/scenario-world";
import { HistoryWorld, SharedServer } from "./support/reliability-harness";

describe("SyncEngine beside background sync", function () {
  this.timeout(60_000);
  let shared: SharedServer;
  let w: HistoryWorld;
  let registry: MailboxRegistry;

  before(async () => {
    shared = await SharedServer.start();
    registry = new MailboxRegistry(shared.db, shared.clock);
  });
  after(() => shared.close());
  beforeEach(async () => {
    w = new HistoryWorld(shared, `bg-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`);
    await w.start();
  });
  afterEach(() => w.close());

  const records = async (): Promise<number> =>
    (await shared.server.service.records.listAll()).filter((r) => !r.deleted && r.owner === w.userId).length;
  const contacts = (): number =>
    w.mailbox.allItems().filter((item) => item.type === "contact" && !item.deleted).length;
  const roles = async (): Promise<string[][]> =>
    (await shared.server.service.clients.list(w.userId)).map((client) => [client.clientId, client.role]);
  const crmContact = (name: string) =>
    shared.server.service.records.create({
      by: w.userId,
      type: "contact",
      fields: { firstname: name, lastname: w.userId },
    });

  it("hands the mailbox over, then stamps a Track, asks for a run and syncs nothing itself", async () => {
    await crmContact("Ann");
    await w.sync();
    assert.equal(contacts(), 1);
    await registry.setEnabled(w.userId, true);
    await w.sync();
    const status = w.pane.status();
    assert.equal(status.role, "secondary");
    assert.equal(status.server?.runPending, true, "the release asked the server to run");
    assert.ok(status.notices.some((notice) => notice.code === "serverSyncs"));
    assert.deepEqual(await roles(), [
      ["desk", "secondary"],
      ["server", "primary"],
    ]);
    assert.equal(w.pane.settings().isSyncClient, true, "the user's setting is kept");

    await crmContact("Bob");
    const item = w.mailbox.createItem(
      { type: "contact", fields: { firstName: "Cy", lastName: w.userId } },
      { notify: true, by: "world" },
    );
    await w.settle();
    const before = (await registry.status(w.userId)).runRequestedAt;
    w.advance(1000);
    const outcome = await w.pane.track({ surface: "explorer", item });
    assert.equal(outcome.timing, "deferToPrimary");
    const stamped = w.mailbox.get(item.itemId);
    assert.equal(stamped && itemLink(stamped, SIM_ADDIN_ID)?.state, "trackRequested");
    const asked = (await registry.status(w.userId)).runRequestedAt;
    assert.ok(asked !== null && before !== null && asked > before, "the Track asked the server for a run");
    const traffic = w.traffic().crmRequests;
    await w.sync();
    assert.equal(w.traffic().crmRequests - traffic, 2, "an idle cycle: the package check and the status");
    assert.equal(await records(), 2, "no record for the tracked contact: the server makes it");
    assert.equal(contacts(), 2, "Bob is not brought to Outlook by the add-in");
  });

  it("resumes as the primary client when background sync is disabled", async () => {
    await w.sync();
    await registry.setEnabled(w.userId, true);
    await w.sync();
    assert.equal(w.pane.status().role, "secondary");
    await crmContact("Dee");
    await registry.setEnabled(w.userId, false);
    await w.sync();
    const status = w.pane.status();
    assert.equal(status.role, "primary");
    assert.equal(status.server, null);
    assert.deepEqual(await roles(), [
      ["desk", "primary"],
      ["server", "secondary"],
    ]);
    assert.equal(contacts(), 1, "the resumed primary brings Dee to Outlook");
  });

  it("stays secondary from its start when the server already synchronizes the mailbox", async () => {
    await w.sync();
    await registry.setEnabled(w.userId, true);
    await registry.claimForRun(w.userId, 0, shared.clock.now());
    await w.reopen();
    await crmContact("Eve");
    await w.sync();
    assert.equal(w.pane.status().role, "secondary");
    assert.deepEqual(await roles(), [
      ["desk", "secondary"],
      ["server", "primary"],
    ]);
    assert.equal(contacts(), 0);
  });

  it("stops at PrepareSync when the server took the silent add-in's mailbox over", async () => {
    await w.sync();
    await registry.setEnabled(w.userId, true);
    await registry.claimForRun(w.userId, 0, shared.clock.now());
    await crmContact("Fay");
    await w.sync();
    assert.equal(w.pane.status().role, "secondary");
    assert.equal(contacts(), 0, "the add-in pulled nothing once the server had the mailbox");
    assert.equal(w.pane.status().server?.runPending, false);
  });
});
