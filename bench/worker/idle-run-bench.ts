/**
 * Idle-run bench: what one headless-engine run of a mailbox with nothing to do costs (the goal: at most 3 Graph
 * requests and 5 ms of PostgreSQL time). One mailbox on the Graph twin with `CONTACTS` (200) synced CRM contacts,
 * the sync server in-process on a PostgreSQL database only this bench uses; after the first (initial) run,
 * `RUNS` (50) idle runs. PostgreSQL time is pg_stat_database.active_time of that database, so it includes the sync
 * server's work for the run's protocol calls; the statements each side sends are counted too (statement-counts.ts).
 * Prints JSON. Needs DATABASE_URL.
 */
import { loadavg } from "node:os";
import pg from "pg";
import { StaticTokenProvider } from "../../src/adapters/graph/token-provider";
import { HttpCrmClient } from "../../src/adapters/http/http-crm-client";
import { createHeadlessRunner } from "../../src/headless/headless-runner";
import { createCrmServer, openDatabase, SystemClock } from "../../src/server";
import { startGraphSubsetServer } from "../../src/sim/graph/graph-subset-server";
import { SimulatedMailbox } from "../../src/sim/mailbox/simulated-mailbox";
import { SIM_ADDIN_ID } from "../../src/sim/scenario/scenario-world";
import { StatementCounts } from "./statement-counts";

const baseUrl = process.env["DATABASE_URL"];
if (!baseUrl) {
  console.error("idle-run bench: set DATABASE_URL (PostgreSQL)");
  process.exit(2);
}
const contacts = Number(process.env["CONTACTS"] ?? 200);
const runs = Number(process.env["RUNS"] ?? 50);
const benchDb = "bench_idle_run";
const schema = "bench";

const admin = new pg.Client({ connectionString: baseUrl });
await admin.connect();
if ((await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [benchDb])).rowCount === 0)
  await admin.query(`CREATE DATABASE ${benchDb}`);
await admin.end();
const url = new URL(baseUrl);
url.pathname = `/${benchDb}`;
const databaseUrl = url.toString();
const reset = new pg.Client({ connectionString: databaseUrl });
await reset.connect();
await reset.query(
  `DROP SCHEMA IF EXISTS ${schema} CASCADE; DROP SCHEMA IF EXISTS ${schema}_mailbox_cache CASCADE`,
);
await reset.end();

const logger = { debug() {}, info() {}, warn() {}, error: (message: string) => console.error(message) };
const clock = new SystemClock();
const db = await openDatabase({ databaseUrl, schema, logger });
const serverStatements = new StatementCounts();
const cacheStatements = new StatementCounts();
const server = await createCrmServer({
  db: serverStatements.wrap(db),
  clock,
  logger,
  rateLimit: false,
  collectEveryMs: 0,
});
const serverUrl = await server.listen({ port: 0 });
await server.service.users.create({
  id: "idle",
  privileges: ["SyncToOutlook", "GoOffline"],
  emails: ["idle@contoso.example"],
});
const token = await server.service.users.issueToken("idle", "bench");
for (let n = 0; n < contacts; n += 1) {
  await server.service.records.create({
    by: "idle",
    owner: "idle",
    type: "contact",
    fields: { firstname: `First${n}`, lastname: `Last${n}` },
  });
}
const mailbox = new SimulatedMailbox({
  clock,
  owner: { emailAddress: "idle@contoso.example", displayName: "Idle" },
});
const graph = await startGraphSubsetServer({ mailbox, clock, token: "app-token" });
const runner = createHeadlessRunner({
  db: cacheStatements.wrap(db),
  graph: { baseUrl: graph.baseUrl, tokens: new StaticTokenProvider("app-token") },
  crmFor: () => new HttpCrmClient({ baseUrl: serverUrl, getToken: () => Promise.resolve(token), clock }),
  serverUrl,
  addinId: SIM_ADDIN_ID,
  clock,
  logger,
});

const activeMs = async (): Promise<number> => {
  await db.query("SELECT pg_stat_clear_snapshot()");
  const result = await db.query<{ active: number }>(
    "SELECT active_time AS active FROM pg_stat_database WHERE datname = current_database()",
  );
  return Number(result.rows[0]?.active ?? 0);
};

const first = await runner.runMailbox("idle");
if (first.outcome !== "ok") throw new Error(`the initial run failed: ${first.errors.join("; ")}`);
const load = loadavg()[0];
const requests: number[] = [];
const changes: number[] = [];
const before = await activeMs();
serverStatements.counting = true;
cacheStatements.counting = true;
const started = performance.now();
for (let n = 0; n < runs; n += 1) {
  const report = await runner.runMailbox("idle");
  if (report.outcome !== "ok") throw new Error(`idle run ${n} failed: ${report.errors.join("; ")}`);
  requests.push(report.graphRequests);
  changes.push(report.changes);
}
const wallMs = performance.now() - started;
serverStatements.counting = false;
cacheStatements.counting = false;
// pg_stat_database is written when a backend's transaction ends; give the last ones a moment.
await new Promise((resolve) => setTimeout(resolve, 1000));
const pgMs = (await activeMs()) - before;
const sorted = [...requests].sort((a, b) => a - b);
console.log(
  JSON.stringify(
    {
      contacts,
      initialRun: { graphRequests: first.graphRequests, changes: first.changes, ms: first.durationMs },
      idleRuns: runs,
      graphRequestsPerIdleRun: {
        min: sorted[0],
        median: sorted[Math.floor(sorted.length / 2)],
        max: sorted.at(-1),
      },
      changesInIdleRuns: changes.reduce((sum, value) => sum + value, 0),
      postgresMsPerIdleRun: Number((pgMs / runs).toFixed(2)),
      wallMsPerIdleRun: Number((wallMs / runs).toFixed(1)),
      statementsPerIdleRun: {
        mailboxCache: cacheStatements.perRun(runs),
        syncServer: serverStatements.perRun(runs),
      },
      loadAverageAtStart: Number(load?.toFixed(1)),
      postgresTime:
        "pg_stat_database.active_time of the bench's own database (the sync server's work included)",
    },
    null,
    2,
  ),
);
await graph.close();
await server.close();
await db.close();
