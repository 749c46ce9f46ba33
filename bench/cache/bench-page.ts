/**
 * The Chromium side of the cache benchmark: times IdbLocalCache on the browser's IndexedDB and counts the
 * readwrite transactions it opens. The 500-record batch is timed round by round against two peers doing the
 * same in the same page, alternating, so load on the machine falls on all three alike: Dexie's `bulkPut` of the
 * same mapping rows, one row each, into a table with the cache's look-ups (mapId, crmId, itemId), and raw
 * IndexedDB issuing the batch's writes (the mapping puts, the change-log deletes, the checkpoint) in one
 * transaction without reading anything first.
 * Called by cache-bench.ts through `window.cacheBench.run()`.
 */
import Dexie from "dexie";
import { IdbLocalCache } from "../../src/adapters/idb/idb-local-cache";
import type { Clock } from "../../src/ports/clock";
import type { Logger } from "../../src/ports/logger";
import type { Mapping } from "../../src/ports/local-cache";

const quiet: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const clock: Clock = { now: () => Date.now(), setTimeout: () => ({ dispose: () => {} }) };

let readwrite = 0;
const transaction: (this: IDBDatabase, ...args: Parameters<IDBDatabase["transaction"]>) => IDBTransaction =
  Reflect.get(IDBDatabase.prototype, "transaction");
IDBDatabase.prototype.transaction = function (
  this: IDBDatabase,
  ...args: Parameters<IDBDatabase["transaction"]>
): IDBTransaction {
  if (args[1] === "readwrite") readwrite += 1;
  return transaction.apply(this, args);
};

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const p95 = (values: readonly number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length * 0.95)]!;

/** A contact mapping with snapshots of realistic size on both sides. */
function syncedMapping(mapId: string, crmId: string, version: number): Mapping {
  const outlook = {
    firstName: `First ${mapId}`,
    lastName: "Lastname",
    email1Address: `${mapId}@example.com`,
    businessTelephoneNumber: "+1 555 0100",
    mobileTelephoneNumber: "+1 555 0101",
    jobTitle: "Account manager",
    department: "Sales",
    mailingAddressStreet: "1 Main Street\nSuite 200",
    mailingAddressCity: "Springfield",
    mailingAddressPostalCode: "12345",
    mailingAddressCountry: "US",
    body: "Met at the trade fair. Interested in the premium plan. ".repeat(4),
  };
  const crm = {
    firstname: outlook.firstName,
    lastname: outlook.lastName,
    emailaddress1: outlook.email1Address,
    telephone1: outlook.businessTelephoneNumber,
    mobilephone: outlook.mobileTelephoneNumber,
    jobtitle: outlook.jobTitle,
    department: outlook.department,
    address1_line1: "1 Main Street",
    address1_line2: "Suite 200",
    address1_city: outlook.mailingAddressCity,
    address1_postalcode: outlook.mailingAddressPostalCode,
    address1_country: outlook.mailingAddressCountry,
    description: outlook.body,
  };
  return {
    mapId,
    crmId,
    itemId: `item-${mapId}`,
    type: "contact",
    deletedLocally: false,
    linked: true,
    visited: true,
    verifiedTime: Date.now(),
    crmVersion: version,
    trackedByHand: false,
    snapshot: { outlook, crm },
  };
}

async function recordNotifications(count: number): Promise<number[]> {
  const cache = await IdbLocalCache.open({
    indexedDB,
    name: `bench-notify-${Date.now()}`,
    logger: quiet,
    clock,
  });
  const mappings = Array.from({ length: count }, (_, i) => syncedMapping(`n${i}`, `cn${i}`, 1));
  await cache.putMappings(mappings);
  const times: number[] = [];
  for (const [i, mapping] of mappings.entries()) {
    const start = performance.now();
    await cache.recordOutlookChange({ itemId: mapping.itemId ?? "", kind: "upsert", at: Date.now() + i });
    times.push(performance.now() - start);
  }
  cache.close();
  return times;
}

/** Dexie with a mappings table offering the cache's look-ups: by mapId, and by crmId and itemId (unique). */
async function openDexie(): Promise<{ put(rows: readonly Mapping[]): Promise<void>; close(): void }> {
  const db = new Dexie(`bench-dexie-${Date.now()}`);
  db.version(1).stores({ mappings: "mapId, &crmId, &itemId" });
  await db.open();
  const table = db.table<Mapping, string>("mappings");
  return {
    put: async (rows) => {
      await table.bulkPut([...rows]);
    },
    close: () => db.close(),
  };
}

/**
 * Raw IndexedDB with one row per mapping (indexed by crmId and itemId, as the cache looks them up) and a
 * change-log store: the batch's writes, nothing read first.
 */
async function openRaw(): Promise<{
  apply(rows: readonly Mapping[], handled: readonly string[]): Promise<void>;
  seed(mapIds: readonly string[]): Promise<void>;
  close(): void;
}> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open(`bench-raw-${Date.now()}`, 1);
    request.onupgradeneeded = () => {
      const mappings = request.result.createObjectStore("mappings", { keyPath: "mapId" });
      mappings.createIndex("byCrmId", "crmId", { unique: true });
      mappings.createIndex("byItemId", "itemId", { unique: true });
      request.result.createObjectStore("changes", { keyPath: "mapId" });
      request.result.createObjectStore("checkpoints", { keyPath: "key" });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error("open failed"));
  });
  const run = (work: (tx: IDBTransaction) => void): Promise<void> =>
    new Promise((resolve, reject) => {
      const tx = db.transaction(["mappings", "changes", "checkpoints"], "readwrite");
      work(tx);
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error ?? new Error("transaction failed"));
    });
  return {
    seed: (mapIds) =>
      run((tx) => {
        const changes = tx.objectStore("changes");
        for (const mapId of mapIds) changes.put({ mapId, revision: 1 });
      }),
    apply: (rows, handled) =>
      run((tx) => {
        const mappings = tx.objectStore("mappings");
        for (const row of rows) mappings.put(row);
        const changes = tx.objectStore("changes");
        for (const mapId of handled) changes.delete(mapId);
        tx.objectStore("checkpoints").put({ key: "folder:contacts", watermark: Date.now() });
      }),
    close: () => db.close(),
  };
}

interface BatchTimes {
  readonly ours: number[];
  readonly dexie: number[];
  readonly raw: number[];
  readonly transactions: number;
}

/**
 * `rounds` rounds of one 500-record batch each: the cache stores a pulled page and applies the batch that
 * handles it (timed: `applyBatch` only); Dexie and raw IndexedDB write the same rows under fresh ids.
 */
async function applyBatches(rounds: number, size: number): Promise<BatchTimes> {
  const cache = await IdbLocalCache.open({
    indexedDB,
    name: `bench-apply-${Date.now()}`,
    logger: quiet,
    clock,
  });
  const dexie = await openDexie();
  const raw = await openRaw();
  const times: BatchTimes = { ours: [], dexie: [], raw: [], transactions: 0 };
  let transactions = 0;
  for (let round = 0; round < rounds; round++) {
    const base = round * size;
    const entries = Array.from({ length: size }, (_, i) => ({
      crmId: `c${base + i}`,
      type: "contact" as const,
      version: base + i + 1,
      kind: "upsert" as const,
    }));
    // Mapping ids as the add-in makes them (crypto.randomUUID), so a batch's mappings share no key range.
    await cache.storeCrmPage(
      { entries, checkpoint: { key: "crm", serverVersion: base + size, watermark: null, deltaLink: null } },
      () => crypto.randomUUID(),
    );
    const due = await cache.dueEntries(Number.MAX_SAFE_INTEGER, size);
    const rows = due.map((entry, i) => syncedMapping(entry.mapId, `c${base + i}`, entry.crmVersion ?? 0));
    const batch = {
      mappings: rows,
      deleteMappings: [],
      handled: due.map((entry) => ({ mapId: entry.mapId, revision: entry.revision })),
      checkpoints: [{ key: "folder:contacts", serverVersion: null, watermark: Date.now(), deltaLink: null }],
      pendingCreatesDone: [],
      conflicts: [],
    };
    const before = readwrite;
    let start = performance.now();
    await cache.applyBatch(batch);
    times.ours.push(performance.now() - start);
    transactions += readwrite - before;
    if ((await cache.countEntries()) !== 0) throw new Error("the batch left entries behind");

    const peerRows = rows.map((row) => ({
      ...row,
      mapId: `p${row.mapId}`,
      crmId: `p${row.crmId}`,
      itemId: `p${row.itemId}`,
    }));
    start = performance.now();
    await dexie.put(peerRows);
    times.dexie.push(performance.now() - start);

    await raw.seed(peerRows.map((row) => row.mapId));
    start = performance.now();
    await raw.apply(
      peerRows,
      peerRows.map((row) => row.mapId),
    );
    times.raw.push(performance.now() - start);
  }
  cache.close();
  dexie.close();
  raw.close();
  return { ...times, transactions };
}

/**
 * The batch that touches the most rows: 500 of `size * 32` stored mappings, every 32nd one, so no two were
 * made together and no two share a row (the worst case of mappings packed in rows of 32 or fewer). `rounds`
 * rounds, each updating another set.
 */
async function applyScattered(rounds: number, size: number): Promise<number[]> {
  const cache = await IdbLocalCache.open({
    indexedDB,
    name: `bench-scattered-${Date.now()}`,
    logger: quiet,
    clock,
  });
  const all = Array.from({ length: size * 32 }, (_, i) =>
    syncedMapping(`s${String(i).padStart(6, "0")}`, `cs${i}`, 1),
  );
  await cache.putMappings(all);
  const times: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const rows = all.filter((_, i) => i % 32 === round).map((row) => ({ ...row, crmVersion: round + 2 }));
    const start = performance.now();
    await cache.applyBatch({
      mappings: rows,
      deleteMappings: [],
      handled: [],
      checkpoints: [],
      pendingCreatesDone: [],
      conflicts: [],
    });
    times.push(performance.now() - start);
  }
  cache.close();
  return times;
}

const summary = (values: readonly number[]) => ({
  medianMs: Number(median(values).toFixed(1)),
  p95Ms: Number(p95(values).toFixed(1)),
});

async function run() {
  await recordNotifications(100);
  const notify = await recordNotifications(1000);
  await applyBatches(2, 500);
  const apply = await applyBatches(20, 500);
  const scattered = await applyScattered(7, 500);
  return {
    recordNotification: { runs: notify.length, medianMs: median(notify), p95Ms: p95(notify) },
    applyBatch500: {
      runs: apply.ours.length,
      ...summary(apply.ours),
      recordsPerSecond: Math.round(500 / (median(apply.ours) / 1000)),
    },
    scatteredApply500: summary(scattered.slice(2)),
    dexieBulkPut500: summary(apply.dexie),
    rawIdbBatch500: summary(apply.raw),
    ratioToDexie: Number((median(apply.ours) / median(apply.dexie)).toFixed(2)),
    ratioToRaw: Number((median(apply.ours) / median(apply.raw)).toFixed(2)),
    readwriteTransactionsPer1000Records: apply.transactions / ((apply.ours.length * 500) / 1000),
    userAgent: navigator.userAgent,
  };
}

Object.assign(window, { cacheBench: { run } });
