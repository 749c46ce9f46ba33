/**
 * Server benchmark on PostgreSQL with 1M records and 1,000 subscriptions (issue 5):
 * - GetSyncData with 1,000-entry pages: latency percentiles over HTTP (target p95 ≤ 50 ms);
 * - idle PrepareSync throughput from many concurrent clients on loopback (target ≥ 2,000 per second).
 * Prints JSON. Seeds the `bench_server` schema once and reuses it; BENCH_RESEED=1 rebuilds it.
 */
import { spawn } from "node:child_process";
import http from "node:http";
import { createInterface } from "node:readline";
import pg from "pg";
import { createCrmService, createPinoLogger, openDatabase, SystemClock } from "../../src/server";
import { seedBenchData } from "./seed";

const databaseUrl = process.env["DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/test";
const schema = "bench_server";
const USERS = 1_000;
const RECORDS = 1_000_000;
const CONCURRENCY = Number(process.env["BENCH_CONCURRENCY"] ?? 64);
const SECONDS = Number(process.env["BENCH_SECONDS"] ?? 10);

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;

async function prepareSchema(): Promise<{ tokens: string[]; seededMs: number }> {
  if (process.env["BENCH_RESEED"] === "1") {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  }
  const logger = createPinoLogger({ level: "warn" });
  const db = await openDatabase({ databaseUrl, schema, logger });
  const started = Date.now();
  const existing = await db.query<{ n: number }>("SELECT count(*) AS n FROM users");
  if ((existing.rows[0]?.n ?? 0) === 0) await seedBenchData(db, { users: USERS, records: RECORDS });
  const seededMs = Date.now() - started;
  const service = createCrmService({ db, clock: new SystemClock(), logger });
  const tokens: string[] = [];
  for (let i = 1; i <= USERS; i += 1) tokens.push(await service.users.issueToken(`user${i}`, "bench"));
  const count = await db.query<{ records: number; subscriptions: number }>(
    "SELECT (SELECT count(*) FROM records) AS records, (SELECT count(*) FROM subscriptions) AS subscriptions",
  );
  console.error(`schema ${schema}: ${JSON.stringify(count.rows[0])}`);
  await db.close();
  return { tokens, seededMs };
}

async function startServer(): Promise<{ url: string; stop(): void }> {
  const child = spawn(process.execPath, ["--import", "tsx", "bench/server/serve-process.ts"], {
    env: { ...process.env, DATABASE_URL: databaseUrl, BENCH_SCHEMA: schema },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout });
  const url = await new Promise<string>((resolve) => lines.once("line", resolve));
  return { url, stop: () => child.kill("SIGTERM") };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function get(url: string, token: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { agent, headers: { authorization: `Bearer ${token}` } }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on("error", reject);
  });
}

async function benchGetSyncData(url: string, tokens: string[]) {
  const samples: number[] = [];
  let entries = 0;
  for (let i = 0; i < 220; i += 1) {
    const user = (i * 37) % USERS;
    const started = performance.now();
    const answer = await get(`${url}/v1/sync/changes?clientId=desk&limit=1000&after=0`, tokens[user] ?? "");
    const elapsed = performance.now() - started;
    if (answer.status !== 200) throw new Error(`GetSyncData answered ${answer.status}: ${answer.body}`);
    if (i >= 20) {
      samples.push(elapsed);
      entries += (JSON.parse(answer.body) as { entries: unknown[] }).entries.length;
    }
  }
  samples.sort((a, b) => a - b);
  return {
    pages: samples.length,
    meanEntriesPerPage: Math.round(entries / samples.length),
    p50Ms: +percentile(samples, 50).toFixed(1),
    p95Ms: +percentile(samples, 95).toFixed(1),
    p99Ms: +percentile(samples, 99).toFixed(1),
  };
}

async function benchPrepareSync(url: string, tokens: string[]) {
  let done = 0;
  let failed = 0;
  const latencies: number[] = [];
  const warmUntil = Date.now() + 2_000;
  const endAt = warmUntil + SECONDS * 1_000;
  const worker = async (index: number) => {
    for (let n = 0; Date.now() < endAt; n += 1) {
      const token = tokens[(index * 7 + n * CONCURRENCY) % tokens.length] ?? "";
      const started = performance.now();
      const answer = await get(`${url}/v1/sync/prepare?clientId=desk`, token);
      if (Date.now() < warmUntil) continue;
      latencies.push(performance.now() - started);
      if (answer.status === 200 && (JSON.parse(answer.body) as { total: number }).total === 0) done += 1;
      else failed += 1;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, index) => worker(index)));
  latencies.sort((a, b) => a - b);
  return {
    concurrency: CONCURRENCY,
    seconds: SECONDS,
    perSecond: Math.round(done / SECONDS),
    failed,
    p50Ms: +percentile(latencies, 50).toFixed(1),
    p95Ms: +percentile(latencies, 95).toFixed(1),
  };
}

const { tokens, seededMs } = await prepareSchema();
const server = await startServer();
try {
  const getSyncData = await benchGetSyncData(server.url, tokens);
  const prepareSync = await benchPrepareSync(server.url, tokens);
  console.log(
    JSON.stringify({ records: RECORDS, subscriptions: USERS, seededMs, getSyncData, prepareSync }, null, 2),
  );
} finally {
  server.stop();
  agent.destroy();
}
