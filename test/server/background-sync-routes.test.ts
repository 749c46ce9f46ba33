/**
 * The background-sync operations over HTTP (docs/SPEC.md "A mailbox has one synchronizer"): the caller's own
 * status, a run asked for, the add-in's release, what registration and PrepareSync say, and the NOTIFY that
 * wakes the workers. PGlite or PostgreSQL.
 */
import assert from "node:assert/strict";
import { SyncError } from "../../src/core/errors";
import { MailboxRegistry } from "../../src/server";
import { runRequestChannel } from "../../src/server/sync/background-sync-service";
import { startTestServer, type TestServer } from "./support/test-server";

const rejectsWith = (promise: Promise<unknown>, code: string) =>
  assert.rejects(promise, (error: unknown) => error instanceof SyncError && error.code === code);

describe("background sync routes", () => {
  let t: TestServer;
  let registry: MailboxRegistry;

  before(async () => {
    t = await startTestServer();
    registry = new MailboxRegistry(t.db, t.clock);
  });
  after(() => t.dispose());

  it("answers a mailbox that is not enabled: status off, run and release refused with backgroundSyncOff", async () => {
    const ann = t.client(await t.user("ann"));
    assert.equal((await ann.registerClient("desk")).backgroundSync, "off");
    assert.equal((await ann.prepareSync("desk")).backgroundSync, "off");
    assert.deepEqual(await ann.backgroundSyncStatus(), {
      enabled: false,
      lastRun: null,
      nextRunAt: null,
      runPending: false,
    });
    await rejectsWith(ann.requestBackgroundRun(), "backgroundSyncOff");
    await rejectsWith(ann.releaseToBackgroundSync("desk"), "backgroundSyncOff");
    const raw = await fetch(`${t.url}/v1/background-sync/run`, {
      method: "POST",
      headers: { authorization: `Bearer ${await t.server.service.users.issueToken("ann", "raw")}` },
    });
    assert.equal(raw.status, 409);
    assert.equal(((await raw.json()) as { error: { code: string } }).error.code, "backgroundSyncOff");
  });

  it("hands an enabled mailbox over: the primary reads handOver, releases, the server becomes primary", async () => {
    const bea = t.client(await t.user("bea"));
    await bea.registerClient("desk");
    await registry.setEnabled("bea", true);
    assert.equal((await bea.registerClient("desk")).backgroundSync, "handOver");
    assert.equal((await bea.prepareSync("desk")).backgroundSync, "handOver");
    assert.equal((await bea.registerClient("laptop")).backgroundSync, "server", "a secondary client");
    await rejectsWith(bea.releaseToBackgroundSync("nowhere"), "notFound");

    const heard: string[] = [];
    const listener = await t.db.listen(runRequestChannel(t.db.schema), (payload) => heard.push(payload));
    try {
      const released = await bea.releaseToBackgroundSync("desk");
      assert.equal(released.runPending, true);
      assert.equal(released.enabled, true);
      for (let i = 0; i < 50 && heard.length === 0; i += 1) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(
        heard.map((payload) => JSON.parse(payload) as unknown),
        [{ users: ["bea"] }],
      );
    } finally {
      await listener.close();
    }
    const roles = (await bea.whoAmI()).clients.map((client) => [client.clientId, client.role]);
    assert.deepEqual(roles, [
      ["desk", "secondary"],
      ["laptop", "secondary"],
      ["server", "primary"],
    ]);
    assert.equal((await bea.registerClient("desk")).backgroundSync, "server");
    assert.equal(
      (await bea.releaseToBackgroundSync("desk")).runPending,
      true,
      "a repeated release is harmless",
    );
  });

  it("shows the last run and queues a run asked for until a run starts after it", async () => {
    const cai = t.client(await t.user("cai"));
    await registry.setEnabled("cai", true);
    const startedAt = t.clock.now();
    await registry.recordRun(
      "cai",
      { startedAt, durationMs: 1200, changes: 3, outcome: "failed", errors: ["Graph said no"] },
      startedAt + 900_000,
    );
    const status = await cai.backgroundSyncStatus();
    assert.deepEqual(status, {
      enabled: true,
      lastRun: {
        startedAt: new Date(startedAt).toISOString(),
        durationMs: 1200,
        outcome: "failed",
        changes: 3,
        errors: ["Graph said no"],
      },
      nextRunAt: new Date(startedAt + 900_000).toISOString(),
      runPending: false,
    });
    t.clock.advance(1000);
    const asked = await cai.requestBackgroundRun();
    assert.equal(asked.runPending, true);
    t.clock.advance(1000);
    await registry.recordRun(
      "cai",
      { startedAt: t.clock.now(), durationMs: 10, changes: 1, outcome: "ok", errors: [] },
      t.clock.now() + 900_000,
    );
    assert.equal((await cai.backgroundSyncStatus()).runPending, false, "the run after the request is done");
  });

  it("reaches only the caller's own mailbox", async () => {
    const dan = t.client(await t.user("dan"));
    const eve = t.client(await t.user("eve"));
    await registry.setEnabled("dan", true);
    await eve.registerClient("desk");
    assert.equal((await eve.backgroundSyncStatus()).enabled, false);
    await rejectsWith(eve.requestBackgroundRun(), "backgroundSyncOff");
    assert.equal((await dan.requestBackgroundRun()).runPending, true);
    assert.equal((await registry.status("eve")).runRequestedAt, null, "eve's mailbox was not asked to run");
  });

  it("lets a user without SyncToOutlook ask for a run (the server's runs track their e-mail)", async () => {
    const fay = t.client(await t.user("fay", []));
    await registry.setEnabled("fay", true);
    assert.equal((await fay.requestBackgroundRun()).runPending, true);
  });
});
