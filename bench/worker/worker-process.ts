/**
 * One background-sync worker process for the worker bench, assembled as `outlook-crm-server worker` assembles
 * it (startBackgroundWorker: the SyncWorker, pg-boss queue and registry on PostgreSQL, the headless engine per
 * job, the worker's own CRM tokens of each mailbox's user and its /metrics), with Graph being the bench's twins
 * behind the routing fetch (twin-mailboxes.ts). Reads the routes (JSON) from stdin, prints "ready <metrics URL>"
 * once started; stops on SIGTERM, revoking its CRM tokens.
 * Arguments: <database url> <queue's database url> <crm schema> <sync server url> <concurrency> <pg-boss polling
 * seconds> (the two URLs differ in application_name only, which the bench tells the backends apart by; pg-boss
 * names its own connections).
 */
import { StaticTokenProvider } from "../../src/adapters/graph/token-provider";
import { startBackgroundWorker } from "../../src/headless/background-worker";
import { openDatabase, SystemClock } from "../../src/server";
import { SIM_ADDIN_ID } from "../../src/sim/scenario/scenario-world";
import { GRAPH_FRONT, GRAPH_TOKEN, routingFetch, type GraphRoutes } from "./twin-mailboxes";

const [
  databaseUrl = "",
  queueUrl = "",
  schema = "",
  syncServerUrl = "",
  concurrencyText = "4",
  pollingText = "0.5",
] = process.argv.slice(2);
const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const routes = JSON.parse(Buffer.concat(chunks).toString("utf8")) as GraphRoutes;

const logger = { debug() {}, info() {}, warn() {}, error: (message: string) => console.error(message) };
const clock = new SystemClock();
const concurrency = Number(concurrencyText);
const db = await openDatabase({ databaseUrl, schema, logger, maxConnections: concurrency + 2 });
const worker = await startBackgroundWorker({
  db,
  connectionString: queueUrl,
  syncServerUrl,
  graph: { baseUrl: GRAPH_FRONT, tokens: new StaticTokenProvider(GRAPH_TOKEN), fetch: routingFetch(routes) },
  addinId: SIM_ADDIN_ID,
  notificationBaseUrl: null,
  clock,
  logger,
  // A day's interval: the bench makes the mailboxes due itself, once per pass.
  settings: { intervalMs: 86_400_000, concurrency, scheduleEveryMs: 1_000, wakeDelayMs: 5_000 },
  metrics: { host: "127.0.0.1", port: 0 },
  queue: { pollingSeconds: Number(pollingText) },
});
console.log(`ready ${worker.metricsUrl ?? ""}`);
process.once("SIGTERM", () => {
  void worker.stop().then(() => db.close());
});
