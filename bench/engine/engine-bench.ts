/**
 * Engine benchmarks (issue 6 "Performance"), through the real adapters: HttpCrmClient to the in-process
 * server, GraphMailboxStore to the Graph subset server, IdbLocalCache on fake-indexeddb.
 * - initial sync of 10,000 CRM records (the mix of mapped-world.ts: 6k contacts, 2k appointments, 2k tasks,
 *   created through the service) into an empty mailbox;
 * - for each mapped count (1,000 and 50,000 by default) a world seeded directly on the three sides
 *   (mapped-world.ts), all worlds run side by side, one after the other within each step (in turn), so the
 *   machine's load weighs on them alike: a sync with 20 changes (10 CRM edits, 10 notified Outlook edits; one
 *   warm-up round, then the median of `BENCH_ROUNDS`, default 5) with its requests; as many rounds run as the
 *   cycle's parts one by one (pull, scan, change log, reconciliation); a day of idle cycles at the 15-minute
 *   interval (96, the day's id listing of every folder included) with their requests and bytes per cycle;
 * - the ratio of the 20-change sync between the largest and the smallest count.
 * Prints one JSON object. `BENCH_MAPPED` sets the mapped counts (default "1000,50000"); `BENCH_INITIAL=0`
 * leaves the initial sync out.
 * Command: DATABASE_URL=postgres://postgres@127.0.0.1:5432/test node --max-old-space-size=6000 --import tsx bench/engine/engine-bench.ts
 */
import { performance } from "node:perf_hooks";
import { pullCrmChanges } from "../../src/engine/crm-pull";
import { processChangeLog } from "../../src/engine/entry-processor";
import { scanOutlook } from "../../src/engine/outlook-scan";
import { reconcileFolders } from "../../src/engine/reconcile-slice";
import { refreshStatistics } from "../../src/server";
import { HistoryWorld, SharedServer } from "../../test/engine/support/reliability-harness";
import { MappedWorld, mixRecord, type Traffic } from "./mapped-world";

const INTERVAL_MS = 15 * 60_000;
const CYCLES_PER_DAY = 96;
/** Measured rounds of 20 changes per world (after one warm-up round), and rounds run as parts. */
const ROUNDS = Number(process.env["BENCH_ROUNDS"] ?? 5);
const SETTINGS = { entities: ["contact", "appointment", "task"] as const, intervalMinutes: 15 };

/** Creates `count` records of the mix through the server's service, 16 at a time. */
async function seedThroughService(world: HistoryWorld, count: number): Promise<void> {
  const day0 = world.clock.now() - (world.clock.now() % 86_400_000);
  const jobs: (() => Promise<unknown>)[] = [];
  for (let n = 0; n < count; n += 1) {
    const { type, fields } = mixRecord(n, world.userId, day0);
    jobs.push(() => world.shared.server.service.records.create({ by: world.userId, type, fields }));
  }
  for (let start = 0; start < jobs.length; start += 16)
    await Promise.all(jobs.slice(start, start + 16).map((job) => job()));
  await refreshStatistics(world.shared.db);
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

/** The requests and body bytes of `after` minus `before`. */
function trafficDelta(before: Traffic, after: Traffic): Traffic {
  return {
    crmRequests: after.crmRequests - before.crmRequests,
    crmBytes: after.crmBytes - before.crmBytes,
    graphRequests: after.graphRequests - before.graphRequests,
    graphBytes: after.graphBytes - before.graphBytes,
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

const round1 = (ms: number): number => Number(ms.toFixed(1));

async function initialSync(shared: SharedServer) {
  const world = new HistoryWorld(shared, `initial-${Date.now().toString(36)}`);
  await world.start({ settings: SETTINGS });
  await seedThroughService(world, 10_000);
  const ms = await timed(() => world.sync());
  const created = world.mailbox.allItems().filter((item) => !item.deleted).length;
  await world.close();
  return {
    records: 10_000,
    itemsCreated: created,
    ms: Math.round(ms),
    recordsPerSecond: Math.round(10_000 / (ms / 1000)),
  };
}

/**
 * Makes round `round`'s 20 changes: 10 CRM edits and 10 Outlook edits (notified), on distinct pairs spread
 * over the mix (a contact's job title or department, an appointment's or a task's subject).
 */
async function makeChanges(world: MappedWorld, round: number): Promise<void> {
  const { pairs } = world;
  const step = Math.max(1, Math.floor(pairs.length / 20));
  for (let n = 0; n < 10; n += 1) {
    const edited = pairs[(round * 7 + n * 2 * step) % pairs.length];
    if (edited !== undefined)
      await world.shared.server.service.records.update({
        by: world.userId,
        id: edited.crmId,
        fields: edited.type === "contact" ? { jobtitle: `R${round}-${n}` } : { subject: `R${round}-${n}` },
      });
    const item = pairs[(round * 7 + (n * 2 + 1) * step) % pairs.length];
    if (item !== undefined)
      world.mailbox.updateItem(
        item.itemId,
        {
          fields: item.type === "contact" ? { department: `D${round}-${n}` } : { subject: `D${round}-${n}` },
        },
        { notify: true, by: "world" },
      );
  }
  await world.settle();
}

/** One world per mapped count, seeded, its first cycle done (the delta links and the day's first listing). */
async function seededWorld(shared: SharedServer, mapped: number) {
  const world = new MappedWorld(shared, `m${mapped}-${Date.now().toString(36)}`);
  try {
    await world.start();
    const seedMs = await timed(() => world.seed(mapped));
    const first = await world.firstCycle();
    return { world, mapped, seedMs, first };
  } catch (error) {
    await world.close();
    throw error;
  }
}

/** One cycle of round `round`'s 20 changes: its time and requests. */
async function changeCycle(world: MappedWorld, round: number): Promise<{ ms: number; traffic: Traffic }> {
  await makeChanges(world, round);
  const before = world.traffic();
  const ms = await timed(() => world.engine.syncNow());
  return { ms, traffic: trafficDelta(before, world.traffic()) };
}

/** Round `round`'s 20 changes run as the cycle's four parts one by one; the time of each in ms. */
async function partsCycle(world: MappedWorld, round: number) {
  await makeChanges(world, round);
  const context = world.cycleContext();
  const parts = {
    pullMs: await timed(() => pullCrmChanges(context, false)),
    scanMs: await timed(() => scanOutlook(context, new Set())),
    changeLogMs: await timed(() => processChangeLog(context)),
    reconciliationMs: await timed(() => reconcileFolders(context, { all: false })),
  };
  const left = await world.deps.cache.countEntries();
  if (left > 0) throw new Error(`the cycle's parts left ${left} entries in the change log`);
  return parts;
}

/** An idle cycle: its time, requests, and whether it took a folder's id listing. */
async function idleCycle(world: MappedWorld): Promise<{ ms: number; traffic: Traffic; listed: boolean }> {
  const listedBefore = await world.lastListing();
  const before = world.traffic();
  const ms = await timed(() => world.engine.syncNow());
  const traffic = trafficDelta(before, world.traffic());
  return { ms, traffic, listed: (await world.lastListing()) !== listedBefore };
}

type Seeded = Awaited<ReturnType<typeof seededWorld>>;

/**
 * Runs the worlds side by side, one world after the other within each step (the order turned round at every
 * step), so the machine's load (shared, never steady) weighs on every count alike: a warm-up round of 20 changes, `ROUNDS` measured ones, `ROUNDS`
 * rounds run as parts, then a day of idle cycles.
 */
async function measureSideBySide(worlds: readonly Seeded[]) {
  const changes = worlds.map(() => [] as { ms: number; traffic: Traffic }[]);
  const parts = worlds.map(() => [] as Awaited<ReturnType<typeof partsCycle>>[]);
  const idle = worlds.map(() => [] as Awaited<ReturnType<typeof idleCycle>>[]);
  for (let round = 0; round <= ROUNDS; round += 1) {
    advance(worlds, INTERVAL_MS);
    for (const [at, { world }] of inTurn(worlds, round)) {
      const cycle = await changeCycle(world, round);
      if (round > 0) changes[at]?.push(cycle);
    }
  }
  for (let round = 0; round < ROUNDS; round += 1) {
    advance(worlds, INTERVAL_MS);
    for (const [at, { world }] of inTurn(worlds, round))
      parts[at]?.push(await partsCycle(world, ROUNDS + 1 + round));
  }
  for (let cycle = 0; cycle < CYCLES_PER_DAY; cycle += 1) {
    advance(worlds, INTERVAL_MS);
    for (const [at, { world }] of inTurn(worlds, cycle)) idle[at]?.push(await idleCycle(world));
  }
  return worlds.map(({ mapped, seedMs, first }, at) => {
    const rounds = changes[at] ?? [];
    const partRounds = parts[at] ?? [];
    const day = idle[at] ?? [];
    const listing = day.filter((cycle) => cycle.listed);
    const quiet = day.filter((cycle) => !cycle.listed);
    const partMedian = (key: keyof (typeof partRounds)[number]): number =>
      round1(median(partRounds.map((p) => p[key])));
    const perCycle = (key: keyof Traffic): number =>
      Number((day.reduce((sum, cycle) => sum + cycle.traffic[key], 0) / day.length).toFixed(2));
    return {
      mapped,
      seedMs: Math.round(seedMs),
      firstScanMs: Math.round(first.scanMs),
      firstCycleMs: Math.round(first.cycleMs),
      twentyChanges: {
        medianMs: round1(median(rounds.map((r) => r.ms))),
        ms: rounds.map((r) => round1(r.ms)),
        lastRoundTraffic: rounds[rounds.length - 1]?.traffic ?? null,
      },
      twentyChangesPartsMedianMs: {
        pull: partMedian("pullMs"),
        scan: partMedian("scanMs"),
        changeLog: partMedian("changeLogMs"),
        reconciliation: partMedian("reconciliationMs"),
      },
      idleDay: {
        cycles: day.length,
        medianMs: round1(median(quiet.map((cycle) => cycle.ms))),
        listingCycles: listing.map((cycle) => ({ ms: Math.round(cycle.ms), ...cycle.traffic })),
        quietCycles: {
          medianGraphRequests: median(quiet.map((cycle) => cycle.traffic.graphRequests)),
          maxGraphRequests: Math.max(...quiet.map((cycle) => cycle.traffic.graphRequests)),
          medianCrmRequests: median(quiet.map((cycle) => cycle.traffic.crmRequests)),
          maxCrmRequests: Math.max(...quiet.map((cycle) => cycle.traffic.crmRequests)),
          last: quiet[quiet.length - 1]?.traffic ?? null,
        },
        perCycleAveragedOverTheDay: {
          crmRequests: perCycle("crmRequests"),
          crmBytes: perCycle("crmBytes"),
          graphRequests: perCycle("graphRequests"),
          graphBytes: perCycle("graphBytes"),
        },
      },
    };
  });
}

/** The worlds with their index, in order on even steps and in reverse on odd ones, so none always goes first. */
function inTurn(worlds: readonly Seeded[], step: number): [number, Seeded][] {
  const indexed = [...worlds.entries()];
  return step % 2 === 0 ? indexed : indexed.reverse();
}

/** The worlds share the server's clock: moving one moves them all. */
function advance(worlds: readonly Seeded[], ms: number): void {
  worlds[0]?.world.advance(ms);
}

const shared = await SharedServer.start();
const worlds: Seeded[] = [];
try {
  const initial = process.env["BENCH_INITIAL"] === "0" ? null : await initialSync(shared);
  const counts = (process.env["BENCH_MAPPED"] ?? "1000,50000").split(",").map(Number);
  for (const mapped of counts) worlds.push(await seededWorld(shared, mapped));
  const results = await measureSideBySide(worlds);
  const smallest = results[0];
  const largest = results[results.length - 1];
  console.log(
    JSON.stringify(
      {
        initialSync: initial,
        mapped: results,
        twentyChangesRatio:
          smallest && largest
            ? Number((largest.twentyChanges.medianMs / smallest.twentyChanges.medianMs).toFixed(2))
            : null,
      },
      null,
      2,
    ),
  );
} finally {
  for (const { world } of worlds) await world.close();
  await shared.close();
}
