/**
 * The mailboxes enabled for background sync: enabling, disabling, unknown users, recorded runs, and the wait for
 * the add-in that still synchronizes a mailbox.
 */
import assert from "node:assert/strict";
import { createCrmService, MailboxRegistry, type CrmService, type Database } from "../../src/server";
import { ManualClock } from "../support/manual-clock";
import { openTestDatabase, silentLogger } from "./support/test-database";

describe("mailbox registry", function () {
  this.timeout(60_000);
  let db: Database;
  let dispose: () => Promise<void>;
  let clock: ManualClock;
  let registry: MailboxRegistry;
  let service: CrmService;

  beforeEach(async () => {
    const database = await openTestDatabase();
    db = database.db;
    dispose = () => database.dispose();
    clock = new ManualClock();
    registry = new MailboxRegistry(db, clock);
    service = createCrmService({ db, clock, logger: silentLogger });
    for (const id of ["zoe", "yann"]) await service.users.create({ id, privileges: ["SyncToOutlook"] });
  });
  afterEach(() => dispose());

  it("enables a mailbox with its first run due at once, and says when nothing changed", async () => {
    assert.deepEqual(await registry.list(), []);
    assert.equal(await registry.setEnabled("zoe", true), true);
    assert.equal(await registry.setEnabled("zoe", true), false);
    const status = await registry.status("zoe");
    assert.deepEqual(status, {
      userId: "zoe",
      enabled: true,
      changedAt: clock.now(),
      lastRun: null,
      consecutiveFailures: 0,
      nextRunAt: clock.now(),
      runRequestedAt: null,
      waitingFor: null,
    });
    assert.deepEqual(await registry.enabledUsers(), ["zoe"]);
    assert.deepEqual(
      (await registry.list()).map((entry) => entry.userId),
      ["zoe"],
    );
  });

  it("disables a mailbox, keeps its history, and does not list a user never enabled", async () => {
    assert.equal(await registry.setEnabled("yann", false), false, "never enabled: nothing to disable");
    assert.deepEqual(await registry.list(), []);
    await registry.setEnabled("zoe", true);
    await registry.recordRun(
      "zoe",
      { startedAt: clock.now(), durationMs: 12, changes: 2, outcome: "ok", errors: [] },
      clock.now() + 900_000,
    );
    clock.advance(1000);
    assert.equal(await registry.setEnabled("zoe", false), true);
    const status = await registry.status("zoe");
    assert.equal(status.enabled, false);
    assert.equal(status.nextRunAt, null);
    assert.equal(status.changedAt, clock.now());
    assert.equal(status.lastRun?.changes, 2);
    assert.deepEqual(await registry.enabledUsers(), []);
    assert.deepEqual((await registry.status("yann")).enabled, false);
  });

  it("refuses an unknown user, naming them", async () => {
    for (const attempt of [registry.status("nobody"), registry.setEnabled("nobody", true)]) {
      await assert.rejects(attempt, (error: Error & { code?: string; details?: string }) => {
        assert.equal(error.code, "notFound");
        assert.match(error.details ?? "", /no user "nobody"/);
        return true;
      });
    }
  });

  it("counts failed runs in a row until one succeeds, bounds the errors kept, and ignores disabled mailboxes", async () => {
    await registry.setEnabled("zoe", true);
    const failed = {
      startedAt: clock.now(),
      durationMs: 3.6,
      changes: 0,
      outcome: "failed" as const,
      errors: Array.from({ length: 15 }, (_, index) => `error ${index} ${"x".repeat(600)}`),
    };
    await registry.recordRun("zoe", failed, clock.now() + 60_000);
    await registry.recordRun("zoe", failed, clock.now() + 120_000);
    let status = await registry.status("zoe");
    assert.equal(status.consecutiveFailures, 2);
    assert.equal(status.nextRunAt, clock.now() + 120_000);
    assert.equal(status.lastRun?.durationMs, 4);
    assert.equal(status.lastRun?.errors.length, 10);
    assert.equal(status.lastRun?.errors[0]?.length, 500);
    await registry.recordRun(
      "zoe",
      { ...failed, outcome: "throttled", errors: ["429"] },
      clock.now() + 5_000,
    );
    status = await registry.status("zoe");
    assert.equal(status.consecutiveFailures, 2, "a throttled run neither fails nor succeeds");
    assert.equal(status.lastRun?.outcome, "throttled");
    await registry.recordRun("zoe", { ...failed, outcome: "ok", errors: [] }, clock.now() + 900_000);
    assert.equal((await registry.status("zoe")).consecutiveFailures, 0);
    assert.equal(await registry.recordRun("yann", failed, clock.now()), false, "yann is not enabled");
    assert.equal((await registry.status("yann")).lastRun, null);
  });

  const roles = async (userId: string): Promise<string[][]> =>
    (await service.clients.list(userId)).map((client) => [client.clientId, client.role]);

  it("waits while an add-in synchronizes the mailbox, and takes it over after the silence bound", async () => {
    await service.clients.register("zoe", "desk");
    await registry.setEnabled("zoe", true);
    clock.advance(10 * 60_000);
    const claim = await registry.claimForRun("zoe", 30 * 60_000, clock.now() + 60_000);
    assert.deepEqual(claim, { run: false, clientId: "desk", seenAt: clock.now() - 10 * 60_000 });
    const waiting = await registry.status("zoe");
    assert.deepEqual(waiting.waitingFor, { clientId: "desk", since: clock.now() });
    assert.equal(waiting.nextRunAt, clock.now() + 60_000, "looked at again soon");

    await service.sync.prepare("zoe", "desk");
    clock.advance(29 * 60_000);
    assert.equal(
      (await registry.claimForRun("zoe", 30 * 60_000, clock.now() + 60_000)).run,
      false,
      "PrepareSync counts as a sync",
    );
    assert.deepEqual(await roles("zoe"), [["desk", "primary"]]);
    clock.advance(60_000);
    assert.deepEqual(await registry.claimForRun("zoe", 30 * 60_000, clock.now() + 60_000), { run: true });
    assert.deepEqual(await roles("zoe"), [
      ["desk", "secondary"],
      ["server", "primary"],
    ]);
    await registry.recordRun(
      "zoe",
      { startedAt: clock.now(), durationMs: 5, changes: 0, outcome: "ok", errors: [] },
      clock.now() + 900_000,
    );
    assert.equal((await registry.status("zoe")).waitingFor, null, "a run clears the wait");
    assert.equal((await service.sync.prepare("zoe", "desk")).backgroundSync, "server");
  });

  it("runs at once after the add-in released the mailbox, and for a user with no add-in", async () => {
    await service.clients.register("zoe", "desk");
    await registry.setEnabled("zoe", true);
    assert.equal((await registry.claimForRun("zoe", 30 * 60_000, clock.now() + 60_000)).run, false);
    assert.notEqual((await registry.status("zoe")).waitingFor, null);
    assert.equal(await registry.release("zoe", "desk"), true);
    assert.equal((await registry.status("zoe")).waitingFor, null, "the release ends the wait");
    assert.deepEqual(await registry.claimForRun("zoe", 30 * 60_000, clock.now() + 60_000), { run: true });
    await registry.setEnabled("yann", true);
    assert.deepEqual(await registry.claimForRun("yann", 30 * 60_000, clock.now() + 60_000), { run: true });
    assert.deepEqual(await roles("yann"), [["server", "primary"]]);
    assert.equal(await registry.release("yann", "server"), true);
    await registry.setEnabled("yann", false);
    assert.equal(await registry.release("yann", "server"), false, "not enabled");
  });
});
