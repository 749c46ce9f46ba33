/**
 * Background-sync workers on PostgreSQL (pg-boss): two workers share the enabled mailboxes, never run one
 * mailbox twice at once, run a mailbox woken during its run once more afterwards, retry a failing mailbox with
 * backoff and then show it as a dead job. The runner here is a test double of the headless engine that records
 * what it was asked to do.
 */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { jobsCommand } from "../../src/entry/cli/server-commands/jobs";
import { mailboxesCommand } from "../../src/entry/cli/server-commands/mailboxes";
import type { CommandContext, ServerCommand } from "../../src/entry/cli/server-commands/command";
import {
  type CrmService,
  createCrmService,
  MailboxRegistry,
  openDatabase,
  SystemClock,
  type Database,
} from "../../src/server";
import { MailboxQueue, QueueInspector } from "../../src/server/worker/mailbox-queue";
import type { HeadlessRunReport } from "../../src/headless/headless-runner";
import { SyncWorker, type MailboxRunner, type WorkerSettings } from "../../src/server/worker/sync-worker";
import { WorkerMetrics } from "../../src/server/worker/worker-metrics";
import { skipSuiteBecause } from "../support/skip";
import { until } from "../support/until";
import { databaseUrl, openTestDatabase, silentLogger } from "./support/test-database";

/** Records, across workers, every run, the mailboxes running now, and any mailbox that ran twice at once. */
class RecordingRunner implements MailboxRunner {
  constructor(
    private readonly worker: string,
    private readonly shared: {
      active: Set<string>;
      overlaps: string[];
      runs: { userId: string; worker: string }[];
    },
    private readonly behaviour: (userId: string) => { ms: number; outcome: HeadlessRunReport["outcome"] },
  ) {}

  async runMailbox(userId: string): Promise<HeadlessRunReport> {
    if (this.shared.active.has(userId)) this.shared.overlaps.push(userId);
    this.shared.active.add(userId);
    const { ms, outcome } = this.behaviour(userId);
    const startedAt = new Date().toISOString();
    await sleep(ms);
    this.shared.active.delete(userId);
    this.shared.runs.push({ userId, worker: this.worker });
    return {
      userId,
      startedAt,
      durationMs: ms,
      changes: 1,
      errors: outcome === "failed" ? [`mailbox ${userId} is unreachable`] : [],
      outcome,
      graphRequests: 2,
      graphThrottled: 0,
    };
  }
}

describe("background-sync workers (pg-boss on PostgreSQL)", function () {
  this.timeout(180_000);
  let db: Database;
  let dispose: () => Promise<void>;
  let registry: MailboxRegistry;
  let channel: string;
  let service: CrmService;
  const workers: SyncWorker[] = [];
  const clock = new SystemClock();

  before(async function () {
    if (!databaseUrl) skipSuiteBecause(this, "background sync needs PostgreSQL: DATABASE_URL is not set");
    const database = await openTestDatabase({ postgres: "required" });
    db = database.db;
    dispose = async () => {
      await db.query(`DROP SCHEMA IF EXISTS ${db.schema}_jobs CASCADE`);
      await database.dispose();
    };
    registry = new MailboxRegistry(db, clock);
    service = createCrmService({ db, clock, logger: silentLogger });
    channel = service.channel;
    const ids = Array.from({ length: 16 }, (_, index) => `m${index}`);
    for (const id of [...ids, "slow", "bad", "handing", "silent"]) {
      await service.users.create({ id, privileges: ["SyncToOutlook"] });
    }
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.stop()));
  });
  after(async () => dispose?.());

  const startWorker = async (
    name: string,
    shared: ConstructorParameters<typeof RecordingRunner>[1],
    behaviour: ConstructorParameters<typeof RecordingRunner>[2],
    handover: Pick<WorkerSettings, "handoverSilenceMs" | "handoverRetryMs"> = {},
  ): Promise<SyncWorker> => {
    const worker = new SyncWorker({
      db,
      queue: new MailboxQueue({
        connectionString: databaseUrl ?? "",
        db,
        logger: silentLogger,
        retry: { retryLimit: 1, retryDelaySeconds: 1, expireSeconds: 60 },
        pollingSeconds: 0.5,
      }),
      registry,
      runner: new RecordingRunner(name, shared, behaviour),
      crmChannel: channel,
      clock,
      logger: silentLogger,
      metrics: new WorkerMetrics(),
      settings: { intervalMs: 3_600_000, concurrency: 2, scheduleEveryMs: 200, wakeDelayMs: 0, ...handover },
    });
    workers.push(worker);
    await worker.start();
    return worker;
  };

  it("shares the due mailboxes between two workers, one run per mailbox, never two at once", async () => {
    const shared = {
      active: new Set<string>(),
      overlaps: [] as string[],
      runs: [] as { userId: string; worker: string }[],
    };
    const ids = Array.from({ length: 16 }, (_, index) => `m${index}`);
    for (const id of ids) await registry.setEnabled(id, true);
    const behaviour = (): { ms: number; outcome: "ok" } => ({ ms: 150, outcome: "ok" });
    await Promise.all([startWorker("a", shared, behaviour), startWorker("b", shared, behaviour)]);
    await until(() => shared.runs.length >= ids.length, "every mailbox to run");
    await sleep(1500);
    assert.deepEqual(shared.overlaps, []);
    assert.deepEqual(
      shared.runs.map((run) => run.userId).sort(),
      [...ids].sort(),
      "each due mailbox ran once (its next run is an hour away)",
    );
    for (const worker of ["a", "b"]) {
      assert.ok(
        shared.runs.some((run) => run.worker === worker),
        `worker ${worker} ran some mailboxes`,
      );
    }
    const status = await registry.status("m3");
    assert.equal(status.lastRun?.outcome, "ok");
    assert.equal(status.lastRun?.changes, 1);
    assert.ok((status.nextRunAt ?? 0) > Date.now() + 3_000_000, "next run one interval after the start");
    for (const id of ids) await registry.setEnabled(id, false);
  });

  it("runs a mailbox woken during its run (a CRM hint) once more afterwards, never both at once", async () => {
    const shared = {
      active: new Set<string>(),
      overlaps: [] as string[],
      runs: [] as { userId: string; worker: string }[],
    };
    await registry.setEnabled("slow", true);
    const behaviour = (): { ms: number; outcome: "ok" } => ({ ms: 1500, outcome: "ok" });
    await Promise.all([startWorker("a", shared, behaviour), startWorker("b", shared, behaviour)]);
    await until(() => shared.active.has("slow"), "the first run to start");
    await db.query("SELECT pg_notify($1, $2)", [
      channel,
      JSON.stringify({ users: ["slow", "m1"], latestVersion: 9 }),
    ]);
    await until(() => shared.runs.length >= 2, "the run after the wake-up");
    await sleep(1500);
    assert.deepEqual(shared.overlaps, []);
    assert.deepEqual(
      shared.runs.map((run) => run.userId),
      ["slow", "slow"],
      "m1 is not enabled: its hint queues nothing",
    );
    await registry.setEnabled("slow", false);
  });

  it("retries a failing mailbox with backoff, then lists it as a dead job", async () => {
    const shared = {
      active: new Set<string>(),
      overlaps: [] as string[],
      runs: [] as { userId: string; worker: string }[],
    };
    await registry.setEnabled("bad", true);
    await startWorker("a", shared, () => ({ ms: 10, outcome: "failed" }));
    const inspector = new QueueInspector(db, db.schema);
    await until(async () => (await inspector.counts()).dead === 1, "the dead job");
    assert.equal(shared.runs.length, 2, "the first run and one retry");
    const [dead] = await inspector.deadJobs(10);
    assert.equal(dead?.userId, "bad");
    assert.equal(dead?.reason, "schedule");
    assert.equal(dead?.error, "mailbox bad is unreachable");
    assert.deepEqual(await inspector.deadJobs(10, "m1"), []);
    const status = await registry.status("bad");
    assert.equal(status.consecutiveFailures, 2);
    assert.deepEqual(status.lastRun?.errors, ["mailbox bad is unreachable"]);
    const listed = await runCommand(jobsCommand, ["dead"]);
    assert.match(
      listed[0] ?? "",
      /^[0-9a-f-]{36} {2}bad {2}died \d{4}-\S+Z {2}\(schedule\) {2}mailbox bad is unreachable$/,
    );
    assert.deepEqual(await runCommand(jobsCommand, ["dead", "m1"]), ["no dead jobs"]);
    const shown = await runCommand(mailboxesCommand, ["status", "bad"]);
    assert.ok(shown.includes("failed runs in a row: 2"), shown.join("\n"));
    assert.ok(shown.includes("jobs: 0 queued, 0 running, 0 waiting to retry, 1 dead"), shown.join("\n"));
    assert.ok(shown.some((line) => /^ {2}dead \S+ died \S+: mailbox bad is unreachable$/.test(line)));
  });

  const emptyRuns = () => ({
    active: new Set<string>(),
    overlaps: [] as string[],
    runs: [] as { userId: string; worker: string }[],
  });
  const quick = (): { ms: number; outcome: "ok" } => ({ ms: 20, outcome: "ok" });

  it("does not run a mailbox its add-in synchronizes until the add-in releases it, then runs it at once", async () => {
    await service.clients.register("handing", "desk");
    await registry.setEnabled("handing", true);
    const shared = emptyRuns();
    await startWorker("a", shared, quick, { handoverSilenceMs: 3_600_000, handoverRetryMs: 300 });
    await until(async () => (await registry.status("handing")).waitingFor !== null, "the job to wait");
    await sleep(1000);
    assert.deepEqual(shared.runs, [], "no run while the add-in synchronizes the mailbox");
    const shown = await runCommand(mailboxesCommand, ["status", "handing"]);
    assert.ok(
      shown.some((line) => line.startsWith("waiting for the add-in to hand over (client desk, since ")),
      shown.join("\n"),
    );
    const released = Date.now();
    await service.backgroundSync.release("handing", "desk");
    await until(() => shared.runs.some((run) => run.userId === "handing"), "the released mailbox to run");
    assert.ok(Date.now() - released < 5000, "run at once, not at the next look");
    assert.equal((await registry.status("handing")).waitingFor, null);
  });

  it("takes a mailbox over once its add-in has been silent for the bound", async () => {
    await service.clients.register("silent", "desk");
    await registry.setEnabled("silent", true);
    const shared = emptyRuns();
    const started = Date.now();
    await startWorker("a", shared, quick, { handoverSilenceMs: 2000, handoverRetryMs: 200 });
    await until(
      () => shared.runs.some((run) => run.userId === "silent"),
      "the silent add-in's mailbox to run",
    );
    assert.ok(Date.now() - started >= 1500, "not before the add-in was silent for the bound");
    const roles = (await service.clients.list("silent")).map((client) => [client.clientId, client.role]);
    assert.deepEqual(roles, [
      ["desk", "secondary"],
      ["server", "primary"],
    ]);
  });

  /** Runs an admin command on this suite's schema and returns what it printed. */
  async function runCommand(command: ServerCommand, args: string[]): Promise<string[]> {
    const printed: string[] = [];
    const context: CommandContext = {
      env: {},
      logger: silentLogger,
      clock,
      print: (line) => printed.push(line),
      openDatabase: () => openDatabase({ databaseUrl, schema: db.schema, logger: silentLogger }),
    };
    await command.run(args, context);
    return printed;
  }
});
