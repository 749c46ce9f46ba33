/**
 * Worker bench: `MAILBOXES` (1,000) simulated mailboxes synced through the Graph twin (one twin per mailbox,
 * twin-mailboxes.ts) and the sync server (server-process.ts) on PostgreSQL by 1, 2 and 4 background-sync worker
 * processes (worker-process.ts: the real worker with the headless engine). For each worker count the bench
 * starts from nothing (fresh database schemas, seed, fresh twins and processes), measures the running workers
 * with nothing due (rest), then runs three passes, each making every mailbox due once: its first (initial) run,
 * its first idle run (which also makes the day's id listing of the folders) and an idle run. A pass ends when
 * every mailbox recorded a run since the pass began and the queue is empty (wake-ups from the runs' own CRM
 * writes included). Reports per pass: mailboxes per minute, PostgreSQL time per sync (pg_stat_database
 * .active_time of the bench's own database, and the CPU its backends used from /proc, in all and by the process
 * they serve, told apart by application_name), the CPU of the twins, the
 * sync server and the workers, Graph requests per sync (the workers' run reports through /metrics, and each
 * twin's count per mailbox), the ratio to the first worker count and the load average.
 * Needs DATABASE_URL; `MAILBOXES`, `CONTACTS` (10 per mailbox), `CONCURRENCY` (4 per process),
 * `POLLING_SECONDS` (0.5) and `WORKERS` (1,2,4) change the load.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { createCrmService, openDatabase, QueueInspector, SystemClock, type Database } from "../../src/server";
import { addressOf, seedMailboxes, userIdOf } from "./seed-mailboxes";
import { startTwinMailboxes, type TwinMailboxes } from "./twin-mailboxes";

const baseUrl = process.env["DATABASE_URL"];
if (!baseUrl) {
  console.error("worker bench: set DATABASE_URL (PostgreSQL)");
  process.exit(2);
}
const mailboxes = Number(process.env["MAILBOXES"] ?? 1000);
const contacts = Number(process.env["CONTACTS"] ?? 10);
const concurrency = Number(process.env["CONCURRENCY"] ?? 4);
const pollingSeconds = Number(process.env["POLLING_SECONDS"] ?? 0.5);
const workerCounts = (process.env["WORKERS"] ?? "1,2,4").split(",").map(Number);
for (const [name, value] of Object.entries({ mailboxes, contacts, concurrency, pollingSeconds })) {
  if (!(value > 0)) throw new Error(`worker bench: ${name} must be a positive number, got ${value}`);
}
if (workerCounts.some((count) => !Number.isInteger(count) || count < 1)) {
  throw new Error(`worker bench: WORKERS must list positive whole numbers, got ${process.env["WORKERS"]}`);
}
const benchDb = "bench_worker";
const schema = "bench";
/** PostgreSQL reports an idle backend's pending statistics within 10 s (PGSTAT_IDLE_INTERVAL). */
const STATS_SETTLE_MS = 11_000;

const admin = new pg.Client({ connectionString: baseUrl });
await admin.connect();
if ((await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [benchDb])).rowCount === 0)
  await admin.query(`CREATE DATABASE ${benchDb}`);
await admin.end();
const url = new URL(baseUrl);
url.pathname = `/${benchDb}`;
const databaseUrl = url.toString();
const logger = { debug() {}, info() {}, warn() {}, error: (message: string) => console.error(message) };
const clock = new SystemClock();
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts a bench process and resolves with it and what it printed after "ready " (a URL). */
function startProcess(
  file: string,
  args: readonly string[],
  stdin?: string,
): Promise<[ChildProcess, string]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", fileURLToPath(new URL(file, import.meta.url)), ...args],
      { stdio: [stdin === undefined ? "ignore" : "pipe", "pipe", "inherit"] },
    );
    let printed = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      printed += chunk.toString();
      const ready = /ready (\S*)/.exec(printed);
      if (ready) resolve([child, ready[1] ?? ""]);
    });
    child.once("exit", (code) => reject(new Error(`${file} exited with ${code} before it was ready`)));
    child.stdin?.end(stdin);
  });
}

const stopProcess = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    child.removeAllListeners("exit");
    if (child.exitCode !== null) resolve();
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });

/** pg_stat_database.active_time of the bench's database (ms). */
async function activeMs(db: Database): Promise<number> {
  await db.query("SELECT pg_stat_clear_snapshot()");
  const result = await db.query<{ active: number }>(
    "SELECT active_time AS active FROM pg_stat_database WHERE datname = current_database()",
  );
  return Number(result.rows[0]?.active ?? 0);
}

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** A process's user + system CPU time so far (ms), or null when it is gone. */
function cpuMsOf(pid: number): number | null {
  try {
    // The fields after the command name (in parentheses): utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** Who a backend works for, by the application_name its process connects with. */
const BACKEND_ROLES: Readonly<Record<string, string>> = {
  "bench-sync-server": "sync server",
  "bench-worker": "engine and registry",
  "outlook-crm-worker": "queue",
};

/** The bench database's URL with the application_name a process's connections report. */
const urlFor = (applicationName: string): string => {
  const named = new URL(databaseUrl);
  named.searchParams.set("application_name", applicationName);
  return named.toString();
};

/**
 * The CPU the bench database's backends used, by whom (BACKEND_ROLES; the rest, autovacuum and the bench's own
 * polling, is "other"), sampled: each sample reads every backend's CPU time, so a backend that ends between
 * samples loses only what it used since the last one.
 */
class BackendCpu {
  private readonly first = new Map<number, number>();
  private readonly last = new Map<number, number>();
  private readonly roleOf = new Map<number, string>();
  /** Whether a sample was taken: a backend first seen later started after the first sample. */
  private known = false;

  constructor(private readonly db: Database) {}

  async sample(): Promise<void> {
    const result = await this.db.query<{ pid: number; name: string }>(
      "SELECT pid, application_name AS name FROM pg_stat_activity WHERE datname = current_database()",
    );
    for (const { pid, name } of result.rows) {
      const used = cpuMsOf(pid);
      if (used === null) continue;
      if (!this.first.has(pid)) this.first.set(pid, this.known ? 0 : used);
      this.last.set(pid, used);
      this.roleOf.set(pid, BACKEND_ROLES[name] ?? "other");
    }
    this.known = true;
  }

  /** CPU ms used between the first sample and the last, in all and by role. */
  ms(): { total: number; byRole: Map<string, number> } {
    const byRole = new Map(["sync server", "engine and registry", "queue", "other"].map((role) => [role, 0]));
    let total = 0;
    for (const [pid, last] of this.last) {
      const used = last - (this.first.get(pid) ?? last);
      const role = this.roleOf.get(pid) ?? "other";
      byRole.set(role, (byRole.get(role) ?? 0) + used);
      total += used;
    }
    return { total, byRole };
  }
}

/** The sum of a counter family's samples in the Prometheus text of every worker's /metrics. */
async function counterSum(metricsUrls: readonly string[], family: string): Promise<number> {
  let sum = 0;
  for (const metricsUrl of metricsUrls) {
    const text = await (await fetch(metricsUrl)).text();
    for (const line of text.split("\n")) {
      const match = /^(\w+)(?:\{[^}]*\})? (\S+)$/.exec(line);
      if (match?.[1] === family) sum += Number(match[2]);
    }
  }
  return sum;
}

const round1 = (value: number): number => Number(value.toFixed(1));
const round2 = (value: number): number => Number(value.toFixed(2));

/** The processes of one worker count's run. */
interface Processes {
  readonly server: ChildProcess;
  readonly workers: readonly ChildProcess[];
  readonly metricsUrls: readonly string[];
}

/** CPU ms used so far by the bench process (the twins), the sync server and the worker processes. */
function processCpu(processes: Processes): { twins: number; server: number; workers: number } {
  const ms = (child: ChildProcess): number => (child.pid === undefined ? 0 : (cpuMsOf(child.pid) ?? 0));
  const own = process.cpuUsage();
  return {
    twins: (own.user + own.system) / 1000,
    server: ms(processes.server),
    workers: processes.workers.reduce((sum, child) => sum + ms(child), 0),
  };
}

/**
 * Measures what happens while `until` runs (sampling the backends' CPU every half second until it says done):
 * PostgreSQL time, the processes' CPU, the workers' runs and Graph requests and each twin's requests.
 */
async function measure(
  db: Database,
  twins: TwinMailboxes,
  processes: Processes,
  until: () => Promise<boolean>,
): Promise<Record<string, number | string>> {
  const cpu = new BackendCpu(db);
  const requestsBefore = twins.requestsByAddress();
  const counters = async (): Promise<[number, number]> => [
    await counterSum(processes.metricsUrls, "outlook_crm_sync_runs_total"),
    await counterSum(processes.metricsUrls, "outlook_crm_graph_requests_total"),
  ];
  const [runsBefore, graphBefore] = await counters();
  await cpu.sample();
  const activeBefore = await activeMs(db);
  const cpuBefore = processCpu(processes);
  const load = loadavg()[0] ?? 0;
  const start = Date.now();
  do {
    await sleep(500);
    await cpu.sample();
  } while (!(await until()));
  const seconds = (Date.now() - start) / 1000;
  const loadAtEnd = loadavg()[0] ?? 0;
  const cpuAfter = processCpu(processes);
  await sleep(STATS_SETTLE_MS);
  await cpu.sample();
  const pgMs = (await activeMs(db)) - activeBefore;
  const [runsAfter, graphAfter] = await counters();
  const runs = runsAfter - runsBefore;
  const perMailbox = [...twins.requestsByAddress()]
    .map(([address, count]) => count - (requestsBefore.get(address) ?? 0))
    .sort((a, b) => a - b);
  const at = (share: number): number =>
    perMailbox[Math.min(perMailbox.length - 1, Math.floor(perMailbox.length * share))] ?? 0;
  const per = (value: number): number => round2(runs === 0 ? value / seconds : value / runs);
  const backends = cpu.ms();
  return {
    seconds: round1(seconds),
    runs,
    runsPerMinute: Math.round((runs / seconds) * 60),
    [runs === 0 ? "postgresActiveMsPerSecond" : "postgresActiveMsPerSync"]: per(pgMs),
    [runs === 0 ? "postgresBackendCpuMsPerSecond" : "postgresBackendCpuMsPerSync"]: per(backends.total),
    postgresBackendCpuByRole: [...backends.byRole].map(([role, ms]) => `${role} ${per(ms)}`).join(", "),
    [runs === 0 ? "cpuMsPerSecond" : "cpuMsPerSync"]:
      `twins ${per(cpuAfter.twins - cpuBefore.twins)}, sync server ${per(cpuAfter.server - cpuBefore.server)}, ` +
      `workers ${per(cpuAfter.workers - cpuBefore.workers)}`,
    graphRequestsPerSync: runs === 0 ? 0 : round2((graphAfter - graphBefore) / runs),
    graphRequestsPerMailbox: `min ${perMailbox[0]}, median ${at(0.5)}, p90 ${at(0.9)}, max ${perMailbox.at(-1)}`,
    mailboxesOverThreeRequests: perMailbox.filter((count) => count > 3).length,
    loadAverage: `${round1(load)}–${round1(loadAtEnd)}`,
  };
}

/** Makes every mailbox due now; done when each recorded a run since then and the queue is empty. */
async function pass(
  db: Database,
  twins: TwinMailboxes,
  processes: Processes,
): Promise<Record<string, number | string>> {
  const inspector = new QueueInspector(db, schema);
  const start = Date.now();
  await db.query("UPDATE server_mailboxes SET next_run_at = $1", [start]);
  const figures = await measure(db, twins, processes, async () => {
    const done = await db.query<{ count: number }>(
      "SELECT count(*)::int AS count FROM server_mailboxes WHERE last_run_started_at >= $1",
      [start],
    );
    if ((done.rows[0]?.count ?? 0) < mailboxes) return false;
    const queue = await inspector.counts();
    return queue.queued + queue.running + queue.retrying === 0;
  });
  const outcomes = await db.query<{ outcome: string; count: number }>(
    "SELECT last_run_outcome AS outcome, count(*)::int AS count FROM server_mailboxes GROUP BY 1 ORDER BY 1",
  );
  return {
    mailboxesPerMinute: Math.round((mailboxes / Number(figures["seconds"])) * 60),
    ...figures,
    lastOutcomes: outcomes.rows.map((row) => `${row.outcome}: ${row.count}`).join(", "),
  };
}

/** Nothing due for REST_SECONDS: what the running workers cost PostgreSQL when there is no work. */
const REST_SECONDS = 20;

/** Drops the bench's schemas and seeds them again. */
async function freshDatabase(): Promise<Database> {
  const reset = new pg.Client({ connectionString: databaseUrl });
  await reset.connect();
  await reset.query(
    `DROP SCHEMA IF EXISTS ${schema} CASCADE; DROP SCHEMA IF EXISTS ${schema}_jobs CASCADE;
     DROP SCHEMA IF EXISTS ${schema}_mailbox_cache CASCADE`,
  );
  await reset.end();
  const db = await openDatabase({ databaseUrl: urlFor("bench"), schema, logger, maxConnections: 2 });
  await seedMailboxes(createCrmService({ db, clock, logger }), db, mailboxes, contacts);
  return db;
}

/** The passes of each worker count, in order. */
const PASSES = ["rest", "initial", "firstIdle", "idle"] as const;
type Pass = (typeof PASSES)[number];

const addresses = Array.from({ length: mailboxes }, (_, n) => addressOf(userIdOf(n)));
const rounds: ({ workers: number } & Record<Pass, Record<string, number | string>>)[] = [];
for (const workers of workerCounts) {
  const db = await freshDatabase();
  const twins = await startTwinMailboxes(addresses, clock);
  const [server, serverUrl] = await startProcess("./server-process.ts", [
    urlFor("bench-sync-server"),
    schema,
  ]);
  const started = await Promise.all(
    Array.from({ length: workers }, () =>
      startProcess(
        "./worker-process.ts",
        [urlFor("bench-worker"), databaseUrl, schema, serverUrl, String(concurrency), String(pollingSeconds)],
        JSON.stringify(twins.routes),
      ),
    ),
  );
  const processes: Processes = {
    server,
    workers: started.map(([child]) => child),
    metricsUrls: started.map(([, metricsUrl]) => metricsUrl),
  };
  const restEnds = Date.now() + REST_SECONDS * 1000;
  const rest = await measure(db, twins, processes, () => Promise.resolve(Date.now() >= restEnds));
  const initial = await pass(db, twins, processes);
  const firstIdle = await pass(db, twins, processes);
  const idle = await pass(db, twins, processes);
  rounds.push({ workers, rest, initial, firstIdle, idle });
  await Promise.all(processes.workers.map((child) => stopProcess(child)));
  await stopProcess(server);
  await twins.close();
  await db.close();
  console.error(JSON.stringify(rounds.at(-1)));
}
const withRatio = (round: (typeof rounds)[number], kind: Pass): Record<string, number | string> =>
  kind === "rest"
    ? round[kind]
    : {
        ...round[kind],
        ratioToFirst: round2(
          (round[kind]["mailboxesPerMinute"] as number) / (rounds[0]?.[kind]["mailboxesPerMinute"] as number),
        ),
      };
console.log(
  JSON.stringify(
    {
      mailboxes,
      contactsPerMailbox: contacts,
      concurrencyPerProcess: concurrency,
      pollingSeconds,
      postgresTime:
        "active: pg_stat_database.active_time of the bench's database; backend CPU: user + system time of its backends from /proc",
      rounds: rounds.map((round) => ({
        workers: round.workers,
        ...Object.fromEntries(PASSES.map((kind) => [kind, withRatio(round, kind)])),
      })),
    },
    null,
    2,
  ),
);
