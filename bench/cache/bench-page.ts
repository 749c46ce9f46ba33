/**
 * The Chromium side of the cache benchmark: times IdbLocalCache on the browser's IndexedDB and counts the
 * readwrite transactions it opens. Called by cache-bench.ts through `window.cacheBench.run()`.
 */
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

async function applyBatches(
  rounds: number,
  size: number,
): Promise<{ times: number[]; transactions: number }> {
  const cache = await IdbLocalCache.open({
    indexedDB,
    name: `bench-apply-${Date.now()}`,
    logger: quiet,
    clock,
  });
  const times: number[] = [];
  let transactions = 0;
  for (let round = 0; round < rounds; round++) {
    const base = round * size;
    const entries = Array.from({ length: size }, (_, i) => ({
      crmId: `c${base + i}`,
      type: "contact" as const,
      version: base + i + 1,
      kind: "upsert" as const,
    }));
    let n = base;
    await cache.storeCrmPage(
      { entries, checkpoint: { key: "crm", serverVersion: base + size, watermark: null, deltaLink: null } },
      () => `m${n++}`,
    );
    const due = await cache.dueEntries(Number.MAX_SAFE_INTEGER, size);
    const batch = {
      mappings: due.map((entry, i) => syncedMapping(entry.mapId, `c${base + i}`, entry.crmVersion ?? 0)),
      deleteMappings: [],
      handled: due.map((entry) => ({ mapId: entry.mapId, revision: entry.revision })),
      checkpoints: [{ key: "folder:contacts", serverVersion: null, watermark: Date.now(), deltaLink: null }],
      pendingCreatesDone: [],
      conflicts: [],
    };
    const before = readwrite;
    const start = performance.now();
    await cache.applyBatch(batch);
    times.push(performance.now() - start);
    transactions += readwrite - before;
    if ((await cache.countEntries()) !== 0) throw new Error("the batch left entries behind");
  }
  cache.close();
  return { times, transactions };
}

async function run() {
  await recordNotifications(100);
  const notify = await recordNotifications(1000);
  await applyBatches(2, 500);
  const apply = await applyBatches(20, 500);
  return {
    recordNotification: { runs: notify.length, medianMs: median(notify), p95Ms: p95(notify) },
    applyBatch500: {
      runs: apply.times.length,
      medianMs: median(apply.times),
      p95Ms: p95(apply.times),
      recordsPerSecond: Math.round(500 / (median(apply.times) / 1000)),
    },
    readwriteTransactionsPer1000Records: apply.transactions / ((apply.times.length * 500) / 1000),
    userAgent: navigator.userAgent,
  };
}

Object.assign(window, { cacheBench: { run } });
