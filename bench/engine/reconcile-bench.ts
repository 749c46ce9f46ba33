/**
 * Reconciliation benchmark (SPEC §3.3, issue 15): what keeping "every mapped item verified at least once a day"
 * costs per 15-minute cycle with 1,000 and with 50,000 mapped contacts, through the real adapters
 * (GraphMailboxStore → the Graph subset server over a simulated mailbox, IdbLocalCache on fake-indexeddb),
 * seeded directly (items in the simulated mailbox, mappings through putMappings), so 50,000 fit in one process.
 * Two options, each run on the same world:
 * - per-item slice (what reconciliation did before): after every cycle read K = ceil(N / 96) items with
 *   getItems ($batch of whole items) and write verifiedTime on their K mapping rows (markVerified); the
 *   selection of the K oldest is left out (it read an index this schema no longer has);
 * - id listing (what it does now, reconcileFolders): the folder listed whole by id once a day, and the 95 other
 *   cycles of the day, where nothing is due.
 * Prints one JSON object. `BENCH_MAPPED` sets the mapped counts (default "1000,50000").
 * Command: node --max-old-space-size=4000 --import tsx bench/engine/reconcile-bench.ts
 */
import "fake-indexeddb/auto";
import { IDBFactory } from "fake-indexeddb";
import { performance } from "node:perf_hooks";
import { GraphMailboxStore } from "../../src/adapters/graph/graph-mailbox-store";
import { StaticTokenProvider } from "../../src/adapters/graph/token-provider";
import { IdbLocalCache } from "../../src/adapters/idb/idb-local-cache";
import { reconcileFolders } from "../../src/engine/reconcile-slice";
import type { Logger } from "../../src/ports/logger";
import type { Mapping } from "../../src/ports/local-cache";
import { startGraphSubsetServer } from "../../src/sim/graph/graph-subset-server";
import { SimulatedMailbox } from "../../src/sim/mailbox/simulated-mailbox";
import { ManualClock } from "../../test/support/manual-clock";

const CYCLES_PER_DAY = 96;
const quiet: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

const outlookFields = (n: number) => ({
  firstName: `First${n}`,
  lastName: "Lastname",
  email1Address: `c${n}@bench.example`,
  businessTelephoneNumber: "+1 555 0100",
  jobTitle: "Account manager",
  department: "Sales",
  mailingAddressStreet: "1 Main Street\nSuite 200",
  mailingAddressCity: "Springfield",
  body: "Met at the trade fair. Interested in the premium plan. ".repeat(4),
});

function mapping(n: number, itemId: string, verifiedTime: number): Mapping {
  const outlook = outlookFields(n);
  return {
    mapId: `m${String(n).padStart(6, "0")}`,
    crmId: `crm-${n}`,
    itemId,
    type: "contact",
    deletedLocally: false,
    linked: true,
    visited: true,
    verifiedTime,
    crmVersion: n + 1,
    trackedByHand: false,
    snapshot: {
      outlook,
      crm: {
        firstname: outlook.firstName,
        lastname: outlook.lastName,
        emailaddress1: outlook.email1Address,
        telephone1: outlook.businessTelephoneNumber,
        jobtitle: outlook.jobTitle,
        department: outlook.department,
        address1_line1: outlook.mailingAddressStreet,
        address1_city: outlook.mailingAddressCity,
        description: outlook.body,
      },
    },
  };
}

interface Traffic {
  readonly requests: number;
  readonly bytes: number;
}

async function measure(mapped: number) {
  const clock = new ManualClock(Date.parse("2026-03-02T09:00:00Z"), true);
  const mailbox = new SimulatedMailbox({
    clock,
    owner: { emailAddress: "bench@contoso.com", displayName: "Bench" },
  });
  const server = await startGraphSubsetServer({ mailbox, clock, token: "bench" });
  const cache = await IdbLocalCache.open({
    indexedDB: new IDBFactory(),
    name: "bench",
    logger: quiet,
    clock,
  });
  try {
    const store = new GraphMailboxStore({
      fetch: globalThis.fetch,
      baseUrl: server.baseUrl,
      tokens: new StaticTokenProvider("bench"),
      clock,
      addinId: "5f1e2d3c-0000-4000-8000-00000000a11d",
      random: () => 0.5,
    });
    const seeded = performance.now();
    const rows: Mapping[] = [];
    for (let n = 0; n < mapped; n += 1) {
      const item = mailbox.createItem(
        { type: "contact", fields: outlookFields(n) },
        { notify: false, by: "world" },
      );
      rows.push(mapping(n, item.immutableId, clock.now()));
    }
    for (let start = 0; start < rows.length; start += 1000)
      await cache.putMappings(rows.slice(start, start + 1000));
    const seedMs = performance.now() - seeded;
    clock.advance(60_000);

    const traffic = (): Traffic => {
      const stats = server.stats();
      return { requests: stats.requests, bytes: stats.bytesIn + stats.bytesOut };
    };
    const timed = async (work: () => Promise<unknown>): Promise<{ ms: number } & Traffic> => {
      const before = traffic();
      const start = performance.now();
      await work();
      const ms = performance.now() - start;
      const after = traffic();
      return { ms, requests: after.requests - before.requests, bytes: after.bytes - before.bytes };
    };
    await store.listFolders(["contact"]);

    const k = Math.ceil(mapped / CYCLES_PER_DAY);
    const sliceRounds = [];
    for (let round = 0; round < 3; round += 1) {
      const slice = rows.slice(round * k, (round + 1) * k);
      const refs = slice.map((row) => ({ itemId: row.itemId ?? "", type: "contact" as const }));
      sliceRounds.push(
        await timed(async () => {
          await store.getItems(refs);
          await cache.markVerified(
            slice.map((row) => row.mapId),
            clock.now(),
          );
        }),
      );
    }

    const context = {
      deps: { cache, mailbox: store, clock },
      settings: { intervalMinutes: 15 },
      syncTypes: new Set(["contact"] as const),
    };
    const listing = await timed(() => reconcileFolders(context, { all: false }));
    const notDue = [];
    for (let round = 0; round < 3; round += 1) {
      clock.advance(15 * 60_000);
      notDue.push(await timed(() => reconcileFolders(context, { all: false })));
    }
    const median = <T extends { ms: number }>(runs: readonly T[]): T =>
      [...runs].sort((a, b) => a.ms - b.ms)[Math.floor(runs.length / 2)] as T;
    const slice = median(sliceRounds);
    const idle = median(notDue);
    return {
      mapped,
      seedMs: Math.round(seedMs),
      perItemSlice: {
        itemsPerCycle: k,
        cycleMs: Math.round(slice.ms),
        requestsPerCycle: slice.requests,
        bytesPerCycle: slice.bytes,
      },
      idListing: {
        listingCycleMs: Math.round(listing.ms),
        listingRequests: listing.requests,
        listingBytes: listing.bytes,
        otherCycleMs: Number(idle.ms.toFixed(1)),
        otherCycleRequests: idle.requests,
        requestsPerCycleAveragedOverADay: Number(
          ((listing.requests + idle.requests * (CYCLES_PER_DAY - 1)) / CYCLES_PER_DAY).toFixed(2),
        ),
        bytesPerCycleAveragedOverADay: Math.round(
          (listing.bytes + idle.bytes * (CYCLES_PER_DAY - 1)) / CYCLES_PER_DAY,
        ),
      },
    };
  } finally {
    cache.close();
    await server.close();
  }
}

const counts = (process.env["BENCH_MAPPED"] ?? "1000,50000").split(",").map(Number);
const results = [];
for (const mapped of counts) results.push(await measure(mapped));
console.log(JSON.stringify({ reconciliation: results }, null, 2));
