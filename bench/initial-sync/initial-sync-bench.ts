/**
 * Initial sync into Chromium's IndexedDB, ours against PouchDB replication, in one run (issue 15). For each
 * mailbox size and round, alternating which goes first, in a fresh browser context each:
 * - ours: a fresh CRM user with N records (seed.ts), a fresh simulated mailbox behind its own Graph twin (its
 *   4-concurrent mailbox limit and $batch limit as always), and the add-in's engine in the page running its
 *   first sync (bench-page.ts); the items in the twin's mailbox are counted afterwards;
 * - PouchDB: `pouchdb-browser` replicating the same N records, as documents of the same fields, from a PouchDB
 *   HTTP server (express-pouchdb over the memory adapter) in this process.
 * Then, unless BENCH_MEMORY_RECORDS=0, one initial sync of 50,000 records of ours with the page's JS heap
 * sampled through CDP (Runtime.getHeapUsage every 250 ms). Prints one JSON object and writes
 * bench/out/initial-sync.html and initial-sync.svg (records/s against mailbox size).
 * Command: DATABASE_URL=postgres://postgres@127.0.0.1:5432/test node --import tsx bench/initial-sync/initial-sync-bench.ts
 * (without DATABASE_URL the server runs on embedded PGlite). BENCH_SIZES (default 1000,5000,10000) and
 * BENCH_ROUNDS (default 3) choose the runs. BENCH_PROFILE=1 CPU-profiles the page and this process during each
 * run of ours (profile.ts: bench/out/initial-sync-*.cpuprofile and the top self times on stderr).
 */
import { execFileSync } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import expressPouchdb from "express-pouchdb";
import PouchDB from "pouchdb-core";
import memoryAdapter from "pouchdb-adapter-memory";
import mapreduce from "pouchdb-mapreduce";
import replication from "pouchdb-replication";
import { chromium, type Browser, type CDPSession, type Page } from "playwright-core";
import { createCrmServer, openDatabase, SystemClock } from "../../src/server";
import type { Logger } from "../../src/ports/logger";
import { startGraphSubsetServer } from "../../src/sim/graph/graph-subset-server";
import { SimulatedMailbox } from "../../src/sim/mailbox/simulated-mailbox";
import { CHROMIUM_PATH } from "../../test/support/chromium";
import { bundleForBrowser } from "../../test/cache/browser-harness";
import type { OursRun, RunResult } from "./bench-page";
import { startFrontServer, type FrontServer } from "./front-server";
import { profilePage, profileProcess, type Profiling } from "./profile";
import { writeReport, type Run } from "./report";
import { documentsOf, RECORD_BYTES, seedUser } from "./seed";

const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"];
const silent: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const sizes = (process.env["BENCH_SIZES"] ?? "1000,5000,10000").split(",").map(Number);
const rounds = Number(process.env["BENCH_ROUNDS"] ?? 3);
const memoryRecords = Number(process.env["BENCH_MEMORY_RECORDS"] ?? 50_000);
const HEAP_SAMPLE_MS = 250;
const profiling = process.env["BENCH_PROFILE"] === "1";

const clock = new SystemClock();
const schema = `bench_initial_${process.pid}_${Date.now().toString(36)}`;
const db = await openDatabase({ databaseUrl: process.env["DATABASE_URL"], schema, logger: silent });
const crm = await createCrmServer({ db, clock, logger: silent, collectEveryMs: 0 });
const crmUrl = await crm.listen({ port: 0, host: "127.0.0.1" });
const Pouch = PouchDB.plugin(memoryAdapter)
  .plugin(mapreduce)
  .plugin(replication)
  .defaults({ adapter: "memory" });
const front: FrontServer = await startFrontServer({
  script: await bundleForBrowser(fileURLToPath(new URL("./bench-page.ts", import.meta.url))),
  crmUrl,
  pouch: expressPouchdb(Pouch, { mode: "minimumForPouchDB", inMemoryConfig: true, logPath: "/dev/null" }),
});
const browser: Browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ARGS });
let users = 0;

type Measured = RunResult & {
  peakHeapMb: number;
  load: number;
  pageCpuMs: number;
  nodeCpuMs: number;
  graphRequests?: number;
};

/** The page's main-thread busy time (CDP Performance.getMetrics TaskDuration), ms. */
async function pageTaskMs(cdp: CDPSession): Promise<number> {
  const { metrics } = await cdp.send("Performance.getMetrics");
  return (metrics.find((metric) => metric.name === "TaskDuration")?.value ?? 0) * 1000;
}

/** Stops both profiles and prints where each spent its self time. */
async function reportProfiles(label: string, page: Profiling, node: Profiling): Promise<void> {
  for (const [side, profile] of [
    ["page", page],
    ["node", node],
  ] as const) {
    const { file, functions, files } = await profile.stop(`${label}-${side}`);
    process.stderr.write(`${side} profile of ${label}: ${file}\n  self time by file:\n`);
    for (const line of files) process.stderr.write(`    ${String(line.ms).padStart(6)} ms  ${line.name}\n`);
    process.stderr.write("  self time by function:\n");
    for (const line of functions)
      process.stderr.write(`    ${String(line.ms).padStart(6)} ms  ${line.name}\n`);
  }
}

/**
 * Runs `work` in a fresh page, sampling its JS heap; returns the result with the peak heap in MB, and the CPU
 * time the page's main thread and this process (server, Graph twin, PouchDB server) spent meanwhile. With a
 * `profileLabel`, the page and this process are CPU-profiled meanwhile (profile.ts).
 */
async function inPage(
  work: (page: Page) => Promise<RunResult>,
  profileLabel: string | null = null,
): Promise<Measured> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(front.url);
    await page.waitForFunction(() => "initialSyncBench" in window);
    const cdp = await context.newCDPSession(page);
    await cdp.send("HeapProfiler.collectGarbage");
    await cdp.send("Performance.enable");
    const profiles =
      profileLabel === null ? null : { page: await profilePage(cdp), node: await profileProcess() };
    const pageBefore = await pageTaskMs(cdp);
    const nodeBefore = process.cpuUsage();
    let peak = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const usage = await cdp.send("Runtime.getHeapUsage").catch(() => null);
        if (usage !== null) peak = Math.max(peak, usage.usedSize);
        await new Promise((resolve) => setTimeout(resolve, HEAP_SAMPLE_MS));
      }
    })();
    try {
      const result = await work(page);
      const node = process.cpuUsage(nodeBefore);
      const pageCpuMs = Math.round((await pageTaskMs(cdp)) - pageBefore);
      if (profiles !== null) await reportProfiles(profileLabel ?? "", profiles.page, profiles.node);
      return {
        ...result,
        peakHeapMb: Math.round(peak / 1e6),
        load: loadavg()[0] ?? 0,
        pageCpuMs,
        nodeCpuMs: Math.round((node.user + node.system) / 1000),
      };
    } finally {
      sampling = false;
      await sampler;
    }
  } finally {
    await context.close();
  }
}

async function runOurs(records: number): Promise<Measured> {
  users += 1;
  const userId = `bench${users}`;
  const crmToken = await seedUser(crm.service, db, userId, records);
  const ownerEmail = `${userId}@bench.example`;
  const mailbox = new SimulatedMailbox({ clock, owner: { emailAddress: ownerEmail, displayName: userId } });
  const graphToken = `graph-${userId}`;
  const graph = await startGraphSubsetServer({ mailbox, clock, token: graphToken });
  front.useGraph(graph.baseUrl);
  try {
    const run: OursRun = { userId, crmToken, graphToken, ownerEmail, cacheName: `ours-${userId}` };
    const result = await inPage(
      (page) => page.evaluate((r) => window.initialSyncBench.ours(r), run),
      profiling ? `ours-${records}-${userId}` : null,
    );
    const items = mailbox.allItems().filter((item) => !item.deleted).length;
    const failure =
      result.failure ??
      (items === records && result.count === records
        ? null
        : `${items} items in the mailbox and ${result.count} mappings for ${records} records`);
    return { ...result, failure, count: items, graphRequests: graph.stats().requests };
  } finally {
    await graph.close();
  }
}

/** One measured run as the report lists it. */
function runOf(peer: Run["peer"], round: number, records: number, result: Measured): Run {
  return {
    peer,
    round,
    records,
    ms: Math.round(result.ms),
    recordsPerSecond: Math.round(records / (result.ms / 1000)),
    peakHeapMb: result.peakHeapMb,
    loadAverage: Number(result.load.toFixed(1)),
    pageCpuMs: result.pageCpuMs,
    nodeCpuMs: result.nodeCpuMs,
    graphRequests: result.graphRequests ?? null,
    failure: result.failure,
  };
}

async function runPouch(remote: string, run: number): Promise<Measured> {
  const name = `pouch-${run}`;
  return inPage((page) =>
    page.evaluate(([from, to]) => window.initialSyncBench.pouch(from, to), [remote, name] as const),
  );
}

try {
  const runs: Run[] = [];
  const remotes = new Map<number, string>();
  for (const size of sizes) {
    users += 1;
    const source = `source${users}`;
    await seedUser(crm.service, db, source, size);
    const remote = new Pouch(`docs${size}`);
    await remote.bulkDocs(await documentsOf(db, source));
    remotes.set(size, `${front.url}pouch/docs${size}`);
  }
  for (let round = 1; round <= rounds; round += 1) {
    for (const size of sizes) {
      const order = round % 2 === 1 ? (["ours", "pouchdb"] as const) : (["pouchdb", "ours"] as const);
      for (const peer of order) {
        const result =
          peer === "ours" ? await runOurs(size) : await runPouch(remotes.get(size) ?? "", runs.length);
        const run = runOf(peer, round, size, result);
        runs.push(run);
        process.stderr.write(`${JSON.stringify(run)}\n`);
      }
    }
  }
  let memory: Run | null = null;
  if (memoryRecords > 0) {
    memory = runOf("ours", 0, memoryRecords, await runOurs(memoryRecords));
    process.stderr.write(`${JSON.stringify(memory)}\n`);
  }
  const machine = {
    nproc: execFileSync("nproc").toString().trim(),
    cpu: cpus()[0]?.model ?? "unknown",
    node: process.version,
    chromium: browser.version(),
    database: db.kind,
    recordBytes: RECORD_BYTES,
  };
  const written = await writeReport({ runs, memory, machine });
  console.log(JSON.stringify({ ...written.summary, memory, machine, report: written.files, runs }, null, 2));
} finally {
  await browser.close();
  await front.close();
  await crm.close();
  if (db.kind === "postgres") await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await db.close();
}
