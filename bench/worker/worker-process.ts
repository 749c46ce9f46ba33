/**
 * One background-sync worker process for the worker bench: the real SyncWorker, MailboxQueue and registry on
 * PostgreSQL, with a runner that does no mailbox work (it reports an idle run at once), so the figures are the
 * queue's and the registry's own cost per mailbox sync. Prints "ready" once started; stops on SIGTERM.
 * Arguments: <database url> <crm schema> <concurrency>.
 */
import { MailboxRegistry, openDatabase, SystemClock } from "../../src/server";
import { changeChannel } from "../../src/server/sync/change-feed";
import { MailboxQueue } from "../../src/server/worker/mailbox-queue";
import { SyncWorker, type MailboxRunner } from "../../src/server/worker/sync-worker";
import { WorkerMetrics } from "../../src/server/worker/worker-metrics";

const [databaseUrl = "", schema = "", concurrencyText = "4"] = process.argv.slice(2);
const logger = { debug() {}, info() {}, warn() {}, error: (message: string) => console.error(message) };
const clock = new SystemClock();
const db = await openDatabase({ databaseUrl, schema, logger, maxConnections: 4 });

const idle: MailboxRunner = {
  runMailbox: (userId) =>
    Promise.resolve({
      userId,
      startedAt: new Date().toISOString(),
      durationMs: 0,
      changes: 0,
      errors: [],
      outcome: "ok",
      graphRequests: 0,
      graphThrottled: 0,
    }),
};

const worker = new SyncWorker({
  db,
  queue: new MailboxQueue({ connectionString: databaseUrl, db, logger, pollingSeconds: 0.5 }),
  registry: new MailboxRegistry(db, clock),
  runner: idle,
  crmChannel: changeChannel(schema),
  clock,
  logger,
  metrics: new WorkerMetrics(),
  settings: {
    intervalMs: 3_600_000,
    concurrency: Number(concurrencyText),
    scheduleEveryMs: 1_000,
    wakeDelayMs: 0,
  },
});
await worker.start();
console.log("ready");
process.once("SIGTERM", () => {
  void worker.stop().then(() => db.close());
});
