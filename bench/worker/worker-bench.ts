/**
 * Worker bench: 1,000 enabled mailboxes synced once by 1, 2 and 4 worker processes (bench/worker/worker-process.ts)
 * sharing one PostgreSQL. Reports mailboxes per minute, PostgreSQL time per mailbox sync (pg_stat_database
 * active_time of a database only this bench uses, since pg_stat_statements is not preloaded here), and the ratio
 * between worker counts. The runner does no mailbox work, so these are the queue's own costs.
 * Needs DATABASE_URL; `MAILBOXES` (1000) and `CONCURRENCY` (4 per process) change the load.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { MailboxRegistry, openDatabase, SystemClock, createCrmService } from "../../src/server";

const baseUrl = process.env["DATABASE_URL"];
if (!baseUrl) {
  console.error("worker bench: set DATABASE_URL (PostgreSQL)");
  process.exit(2);
}
const mailboxes = Number(process.env["MAILBOXES"] ?? 1000);
const concurrency = Number(process.env["CONCURRENCY"] ?? 4);
const benchDb = "bench_worker";
const schema = "bench";

const admin = new pg.Client({ connectionString: baseUrl });
await admin.connect();
const exists = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [benchDb]);
if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${benchDb}`);
await admin.end();
const url = new URL(baseUrl);
url.pathname = `/${benchDb}`;
const databaseUrl = url.toString();

const logger = { debug() {}, info() {}, warn() {}, error: (message: string) => console.error(message) };
const reset = new pg.Client({ connectionString: databaseUrl });
await reset.connect();
await reset.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; DROP SCHEMA IF EXISTS ${schema}_jobs CASCADE`);
await reset.end();
const clock = new SystemClock();
const db = await openDatabase({ databaseUrl, schema, logger });
const service = createCrmService({ db, clock, logger });
const registry = new MailboxRegistry(db, clock);
// One user through the service (its rules), the rest as copies of its row in one statement each.
await service.users.create({ id: "user00000", privileges: ["SyncToOutlook"] });
await db.query(
  `INSERT INTO users (id, display_name, emails, role, privileges, created_at)
   SELECT 'user' || lpad(n::text, 5, '0'), display_name, emails, role, privileges, created_at
     FROM users, generate_series(1, $1 - 1) AS n WHERE id = 'user00000'`,
  [mailboxes],
);
await registry.setEnabled("user00000", true);
await db.query(
  `INSERT INTO server_mailboxes (user_id, enabled, changed_at, next_run_at)
   SELECT id, true, $1, $1 FROM users WHERE id <> 'user00000'`,
  [Date.now()],
);

const activeMs = async (): Promise<number> => {
  const result = await db.query<{ active: number }>(
    "SELECT active_time AS active FROM pg_stat_database WHERE datname = current_database()",
  );
  return Number(result.rows[0]?.active ?? 0);
};
const processFile = fileURLToPath(new URL("./worker-process.ts", import.meta.url));
const startProcess = (): Promise<ChildProcess> =>
  new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", processFile, databaseUrl, schema, String(concurrency)],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    child.stdout?.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("ready")) resolve(child);
    });
    child.on("exit", (code) => reject(new Error(`worker process exited with ${code}`)));
  });

const rounds: Record<string, unknown>[] = [];
for (const workers of [1, 2, 4]) {
  const phaseStart = Date.now();
  await db.query("UPDATE server_mailboxes SET next_run_at = $1, last_run_started_at = NULL", [phaseStart]);
  await db.query("SELECT pg_stat_clear_snapshot()");
  const beforeActive = await activeMs();
  const load = loadavg()[0];
  const children = await Promise.all(Array.from({ length: workers }, () => startProcess()));
  const started = Date.now();
  for (;;) {
    const done = await db.query<{ count: number }>(
      "SELECT count(*)::int AS count FROM server_mailboxes WHERE last_run_started_at >= $1",
      [phaseStart],
    );
    if ((done.rows[0]?.count ?? 0) >= mailboxes) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const seconds = (Date.now() - started) / 1000;
  await new Promise((resolve) => setTimeout(resolve, 1000));
  await db.query("SELECT pg_stat_clear_snapshot()");
  const pgMs = (await activeMs()) - beforeActive;
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          child.removeAllListeners("exit");
          child.on("exit", () => resolve());
          child.kill("SIGTERM");
        }),
    ),
  );
  rounds.push({
    workers,
    seconds: Number(seconds.toFixed(1)),
    mailboxesPerMinute: Math.round((mailboxes / seconds) * 60),
    postgresMsPerSync: Number((pgMs / mailboxes).toFixed(2)),
    loadAverageAtStart: Number(load?.toFixed(1)),
  });
}
const base = rounds[0]?.["mailboxesPerMinute"] as number;
console.log(
  JSON.stringify(
    {
      mailboxes,
      concurrencyPerProcess: concurrency,
      postgresTime:
        "pg_stat_database.active_time of the bench's own database (includes the workers' polling)",
      rounds: rounds.map((round) => ({
        ...round,
        ratioToOneWorker: Number(((round["mailboxesPerMinute"] as number) / base).toFixed(2)),
      })),
    },
    null,
    2,
  ),
);
await db.close();
