/**
 * Engine benchmarks (issue 6 "Performance"), through the real adapters: HttpCrmClient to the in-process
 * server, GraphMailboxStore to the Graph subset server, IdbLocalCache on fake-indexeddb.
 * - initial sync of 10,000 CRM records (6k contacts, 2k appointments, 2k tasks) into an empty mailbox;
 * - a sync with 20 changes (10 CRM, 10 Outlook) with 1,000 and with 50,000 mapped items, and their ratio, with
 *   the requests and bytes of one such cycle at 1,000 mapped;
 * - a sync with nothing to do: requests and body bytes to the CRM and to Graph.
 * Prints one JSON object. `BENCH_LARGE` sets the large mapped count (default 50,000).
 * Command: DATABASE_URL=postgres://postgres@127.0.0.1:5432/test node --import tsx bench/engine/engine-bench.ts
 */
import { performance } from "node:perf_hooks";
import { refreshStatistics } from "../../src/server";
import { HistoryWorld, SharedServer } from "../../test/engine/support/reliability-harness";

const SETTINGS = { entities: ["contact", "appointment", "task"] as const, intervalMinutes: 15 };

async function seed(
  world: HistoryWorld,
  counts: { contact: number; appointment: number; task: number },
): Promise<void> {
  const records = world.shared.server.service.records;
  const jobs: (() => Promise<unknown>)[] = [];
  for (let n = 0; n < counts.contact; n += 1) {
    jobs.push(() =>
      records.create({
        by: world.userId,
        type: "contact",
        fields: {
          firstname: `First${n}`,
          lastname: `Last${n}`,
          emailaddress1: `c${n}@bench.example`,
          jobtitle: "Buyer",
          telephone1: "555-0100",
        },
      }),
    );
  }
  for (let n = 0; n < counts.appointment; n += 1) {
    const day = String(3 + (n % 25)).padStart(2, "0");
    jobs.push(() =>
      records.create({
        by: world.userId,
        type: "appointment",
        fields: {
          subject: `Meeting ${n}`,
          organizer: world.userId,
          scheduledstart: `2026-03-${day}T10:00:00Z`,
          scheduledend: `2026-03-${day}T11:00:00Z`,
          statecode: 3,
          statuscode: 5,
        },
      }),
    );
  }
  for (let n = 0; n < counts.task; n += 1) {
    jobs.push(() =>
      records.create({
        by: world.userId,
        type: "task",
        fields: { subject: `Task ${n}`, statecode: 0, statuscode: 2, prioritycode: 1 },
      }),
    );
  }
  for (let start = 0; start < jobs.length; start += 16)
    await Promise.all(jobs.slice(start, start + 16).map((job) => job()));
  await refreshStatistics(world.shared.db);
}

async function timed(work: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

/** A world with `mapped` contacts already synced, its initial sync done. */
async function syncedWorld(shared: SharedServer, name: string, mapped: number): Promise<HistoryWorld> {
  const world = new HistoryWorld(shared, `${name}-${Date.now().toString(36)}`);
  await world.start({ settings: SETTINGS });
  await seed(world, { contact: mapped, appointment: 0, task: 0 });
  await world.sync();
  await world.sync();
  return world;
}

type Traffic = ReturnType<HistoryWorld["traffic"]>;

/** The requests and body bytes of `after` minus `before`. */
function trafficDelta(before: Traffic, after: Traffic): Traffic {
  return {
    crmRequests: after.crmRequests - before.crmRequests,
    crmBytes: after.crmBytes - before.crmBytes,
    graphRequests: after.graphRequests - before.graphRequests,
    graphBytes: after.graphBytes - before.graphBytes,
  };
}

/**
 * One sync after 10 CRM edits and 10 Outlook edits (notified): the median time of `rounds` in ms, and the
 * requests of the last round (the notices' handling and the sync).
 */
async function twentyChanges(world: HistoryWorld, rounds: number): Promise<{ ms: number; traffic: Traffic }> {
  const records = (await world.shared.server.service.records.listAll()).filter(
    (r) => r.owner === world.userId && !r.deleted,
  );
  const items = world.mailbox.allItems().filter((item) => !item.deleted && item.type === "contact");
  const times: number[] = [];
  let traffic = trafficDelta(world.traffic(), world.traffic());
  for (let round = 0; round < rounds; round += 1) {
    world.advance(15 * 60_000);
    const before = world.traffic();
    for (let n = 0; n < 10; n += 1) {
      const record = records[(round * 20 + n) % records.length];
      if (record)
        await world.shared.server.service.records.update({
          by: world.userId,
          id: record.id,
          fields: { jobtitle: `R${round}-${n}` },
        });
      const item = items[(round * 20 + 10 + n) % items.length];
      if (item)
        world.mailbox.updateItem(
          item.itemId,
          { fields: { department: `D${round}-${n}` } },
          { notify: true, by: "world" },
        );
    }
    await world.settle();
    times.push(await timed(() => world.sync()));
    traffic = trafficDelta(before, world.traffic());
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)] ?? Number.NaN, traffic };
}

const shared = await SharedServer.start();
try {
  const initial = new HistoryWorld(shared, `initial-${Date.now().toString(36)}`);
  await initial.start({ settings: SETTINGS });
  await seed(initial, { contact: 6000, appointment: 2000, task: 2000 });
  const initialMs = await timed(() => initial.sync());
  const created = initial.mailbox.allItems().filter((item) => !item.deleted).length;
  await initial.close();

  const large = Number(process.env["BENCH_LARGE"] ?? 50_000);
  const smallWorld = await syncedWorld(shared, "small", 1000);
  const small = await twentyChanges(smallWorld, 5);
  smallWorld.advance(15 * 60_000);
  const before = smallWorld.traffic();
  const idleMs = await timed(() => smallWorld.sync());
  const after = smallWorld.traffic();
  await smallWorld.close();

  const largeWorld = await syncedWorld(shared, "large", large);
  const { ms: largeMs } = await twentyChanges(largeWorld, 5);
  await largeWorld.close();

  console.log(
    JSON.stringify(
      {
        initialSync: {
          records: 10_000,
          itemsCreated: created,
          ms: Math.round(initialMs),
          recordsPerSecond: Math.round(10_000 / (initialMs / 1000)),
        },
        twentyChanges: {
          mapped1000Ms: Math.round(small.ms),
          [`mapped${large}Ms`]: Math.round(largeMs),
          ratio: Number((largeMs / small.ms).toFixed(2)),
          mapped1000Traffic: small.traffic,
        },
        idleSync: { ms: Math.round(idleMs), ...trafficDelta(before, after) },
      },
      null,
      2,
    ),
  );
} finally {
  await shared.close();
}
