import "fake-indexeddb/auto";
import assert from "node:assert/strict";
import { IDBFactory, forceCloseDatabase } from "fake-indexeddb";
import { wrap, type IDBPDatabase } from "idb";
import { BugError, SyncError } from "../../src/core/errors";
import { IdbLocalCache } from "../../src/adapters/idb/idb-local-cache";
import {
  CACHE_DB_VERSION,
  migrateToV1,
  type CacheDbV1,
  type MappingV1,
} from "../../src/adapters/idb/idb-schema";
import { openLocalCache } from "../../src/adapters/idb/open-local-cache";
import { appliedBatch, EMPTY_PACKAGE_STATE } from "../../src/ports/local-cache";
import { DEFAULT_SETTINGS } from "../../src/ports/settings";
import type { Logger } from "../../src/ports/logger";
import { ManualClock } from "../support/manual-clock";

type LogCall = readonly [level: string, message: string];

function recordingLogger(): Logger & { calls: LogCall[] } {
  const calls: LogCall[] = [];
  return {
    calls,
    debug: (message) => calls.push(["debug", message]),
    info: (message) => calls.push(["info", message]),
    warn: (message) => calls.push(["warn", message]),
    error: (message) => calls.push(["error", message]),
  };
}

/** Opens the raw database at `version` and resolves with the connection, running `upgrade` if asked. */
function openRaw(
  factory: IDBFactory,
  name: string,
  version: number,
  upgrade: (db: IDBDatabase, tx: IDBTransaction) => void = () => {},
): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = factory.open(name, version);
    request.onupgradeneeded = () => {
      if (request.transaction) upgrade(request.result, request.transaction);
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error("open failed"));
  });
}

/** Lets pending IndexedDB events run (fake-indexeddb schedules them with setImmediate). */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));

function open(factory: IDBFactory, name: string, logger: Logger = recordingLogger()): Promise<IdbLocalCache> {
  return IdbLocalCache.open({ indexedDB: factory, name, logger, clock: new ManualClock() });
}

const v1Mapping = (mapId: string, verifiedTime: number | null): MappingV1 => ({
  mapId,
  crmId: `c-${mapId}`,
  itemId: `i-${mapId}`,
  type: "contact",
  deletedLocally: false,
  linked: true,
  visited: true,
  verifiedTime,
  crmVersion: 4,
  trackedByHand: false,
  snapshot: { outlook: { firstName: "Ann" }, crm: { firstname: "Ann" } },
});

/** A change-log entry as every schema version stores it. */
const storedEntry = {
  mapId: "m1",
  revision: 7,
  outlookTimestamp: 10,
  outlookChange: "upsert" as const,
  crmTimestamp: null,
  crmChange: null,
  crmVersion: null,
  attempts: 2,
  lastError: { code: "network", message: "down" },
  nextAttemptAt: 50,
};

/** The v5 layout: mappings live in chunk rows indexed by the ids they list; the v4 mappings store is gone. */
function assertChunkedLayout(db: IDBDatabase): void {
  assert.equal(db.objectStoreNames.contains("mappings"), false);
  const chunks = db.transaction("mappingChunks").objectStore("mappingChunks");
  assert.deepEqual([...chunks.indexNames], ["byCrmId", "byItemId", "byMapId"]);
  for (const name of chunks.indexNames) assert.equal(chunks.index(name).multiEntry, true);
}

describe("IdbLocalCache on fake-indexeddb", () => {
  describe("schema upgrade", () => {
    it("opens a database written by v1 code and keeps every row intact, backfilling verifiedTime", async () => {
      const factory = new IDBFactory();
      const raw = await openRaw(factory, "v1", 1, (db) =>
        migrateToV1(wrap(db) as unknown as IDBPDatabase<CacheDbV1>),
      );
      const v1 = wrap(raw) as unknown as IDBPDatabase<CacheDbV1>;
      const entry = storedEntry;
      const checkpoint = { key: "crm", serverVersion: 9, watermark: null, deltaLink: null };
      const pending = {
        idempotencyKey: "k1",
        mapId: "m2",
        side: "crm" as const,
        type: "task" as const,
        createdAt: 5,
      };
      const conflict = {
        at: 3,
        mapId: "m1",
        type: "contact" as const,
        field: "firstname",
        kept: "B",
        overwritten: "A",
        winner: "crm" as const,
      };
      const status = {
        lastSyncAt: 1,
        nextSyncAt: null,
        pending: 1,
        progress: null,
        errors: [],
        conflicts: 1,
      };
      const tx = v1.transaction(
        [
          "mappings",
          "changes",
          "checkpoints",
          "pendingCreates",
          "conflicts",
          "settings",
          "status",
          "logSegments",
          "meta",
        ],
        "readwrite",
      );
      await Promise.all([
        tx.objectStore("mappings").put(v1Mapping("m1", null)),
        tx.objectStore("mappings").put(v1Mapping("m2", 1234)),
        tx.objectStore("changes").put(entry),
        tx.objectStore("checkpoints").put(checkpoint),
        tx.objectStore("pendingCreates").put(pending),
        tx.objectStore("conflicts").add(conflict),
        tx.objectStore("settings").put(DEFAULT_SETTINGS, "current"),
        tx.objectStore("status").put(status, "current"),
        tx.objectStore("logSegments").put({ seq: 1, text: "old line\n", bytes: 9 }),
        tx.objectStore("meta").put(7, "revision"),
        tx.done,
      ]);
      raw.close();

      const cache = await open(factory, "v1");
      assert.deepEqual(await cache.getMapping("m1"), { ...v1Mapping("m1", null), verifiedTime: 0 });
      assert.deepEqual(await cache.getMapping("m2"), v1Mapping("m2", 1234));
      assert.deepEqual(await cache.getEntry("m1"), entry);
      assert.deepEqual(await cache.getCheckpoint("crm"), checkpoint);
      assert.deepEqual(await cache.listPendingCreates(), [pending]);
      assert.deepEqual(await cache.listConflicts(10), [conflict]);
      assert.deepEqual(await cache.getSettings(), DEFAULT_SETTINGS);
      assert.deepEqual(await cache.getStatus(), status);
      assert.equal(await cache.exportLog(), "old line\n");
      const next = await cache.recordOutlookChange({ itemId: "i-m2", kind: "upsert", at: 20 });
      assert.equal(next.revision, 8);
      cache.close();

      const reopened = await openRaw(factory, "v1", CACHE_DB_VERSION);
      assert.equal(reopened.version, CACHE_DB_VERSION);
      assertChunkedLayout(reopened);
      assert.ok(reopened.objectStoreNames.contains("packageState"));
      reopened.close();
    });

    it("opens a database written by v2 code with no package applied, then keeps a package state", async () => {
      const factory = new IDBFactory();
      const raw = await openRaw(factory, "v2", 2, (db, tx) => {
        migrateToV1(wrap(db) as unknown as IDBPDatabase<CacheDbV1>);
        tx.objectStore("mappings").createIndex("byVerifiedTime", "verifiedTime");
      });
      assert.equal(raw.objectStoreNames.contains("packageState"), false);
      raw.close();
      const cache = await open(factory, "v2");
      assert.equal(await cache.getPackageState(), undefined);
      await cache.applyBatch(appliedBatch({ packageState: EMPTY_PACKAGE_STATE }));
      assert.deepEqual(await cache.getPackageState(), EMPTY_PACKAGE_STATE);
      cache.close();
    });

    it("opens a database written by v3 code without the verifiedTime index, keeping the mappings", async () => {
      const factory = new IDBFactory();
      const raw = await openRaw(factory, "v3", 3, (db, tx) => {
        migrateToV1(wrap(db) as unknown as IDBPDatabase<CacheDbV1>);
        tx.objectStore("mappings").createIndex("byVerifiedTime", "verifiedTime");
        db.createObjectStore("packageState");
      });
      const write = raw.transaction("mappings", "readwrite");
      write.objectStore("mappings").put(v1Mapping("m1", 1234));
      await new Promise((resolve) => (write.oncomplete = resolve));
      raw.close();
      const cache = await open(factory, "v3");
      assert.deepEqual(await cache.getMapping("m1"), v1Mapping("m1", 1234));
      assert.deepEqual((await cache.findByItemId("i-m1"))?.mapId, "m1");
      cache.close();
      const reopened = await openRaw(factory, "v3", CACHE_DB_VERSION);
      assert.equal(reopened.version, 5);
      assertChunkedLayout(reopened);
      reopened.close();
    });

    it("opens a database written by v4 code, packing its mappings into chunk rows that read back whole", async () => {
      const factory = new IDBFactory();
      const raw = await openRaw(factory, "v4", 4, (db) => {
        migrateToV1(wrap(db) as unknown as IDBPDatabase<CacheDbV1>);
        db.createObjectStore("packageState");
      });
      const mappings = Array.from({ length: 70 }, (_, i) => ({
        ...v1Mapping(`m${String(i).padStart(2, "0")}`, 100 + i),
        type: i % 5 === 0 ? ("task" as const) : ("contact" as const),
        itemId: i % 7 === 0 ? null : `i-${i}`,
      }));
      const entry = { ...storedEntry, mapId: "m03", revision: 4 };
      const write = raw.transaction(["mappings", "changes", "meta"], "readwrite");
      for (const mapping of [...mappings].reverse()) write.objectStore("mappings").put(mapping);
      write.objectStore("changes").put(entry);
      write.objectStore("meta").put(4, "revision");
      await new Promise((resolve) => (write.oncomplete = resolve));
      raw.close();

      const cache = await open(factory, "v4");
      assert.equal(await cache.countMappings(), 70);
      assert.deepEqual(await cache.listMappings(), mappings);
      assert.deepEqual(
        await cache.listMappings("task"),
        mappings.filter((m) => m.type === "task"),
      );
      for (const mapping of mappings) {
        assert.deepEqual(await cache.getMapping(mapping.mapId), mapping);
        assert.deepEqual(await cache.findByCrmId(mapping.crmId ?? ""), mapping);
        if (mapping.itemId !== null) assert.deepEqual(await cache.findByItemId(mapping.itemId), mapping);
      }
      assert.deepEqual(await cache.getEntry("m03"), entry);
      const next = await cache.recordOutlookChange({
        itemId: "i-new",
        kind: "track",
        at: 20,
        create: { mapId: "m99", type: "contact", trackedByHand: true },
      });
      assert.equal(next.revision, 5);
      assert.equal(await cache.countMappings(), 71);
      cache.close();

      const reopened = await openRaw(factory, "v4", CACHE_DB_VERSION);
      assertChunkedLayout(reopened);
      const rows = await wrap(reopened).getAll("mappingChunks");
      assert.deepEqual(
        rows.map((row: { chunk: number; mapIds: string[] }) => [row.chunk, row.mapIds.length]),
        [
          [1, 16],
          [2, 16],
          [3, 16],
          [4, 16],
          [5, 7],
        ],
      );
      reopened.close();
    });

    it("keeps the data across connections", async () => {
      const factory = new IDBFactory();
      const first = await open(factory, "reopen");
      await first.recordOutlookChange({
        itemId: "i1",
        kind: "track",
        at: 1,
        create: { mapId: "m1", type: "task", trackedByHand: true },
      });
      first.close();
      const second = await open(factory, "reopen");
      assert.equal((await second.getEntry("m1"))?.outlookChange, "track");
      assert.equal((await second.findByItemId("i1"))?.mapId, "m1");
      second.close();
    });

    it("reports a malformed stored row as a BugError naming the store and key", async () => {
      const factory = new IDBFactory();
      (await open(factory, "corrupt")).close();
      const raw = await openRaw(factory, "corrupt", CACHE_DB_VERSION);
      const bad = { mapId: "bad", crmId: null, itemId: "i-bad", type: "fax" };
      await wrap(raw).put("mappingChunks", {
        chunk: 1,
        mapIds: ["bad"],
        itemIds: ["i-bad"],
        mappings: [bad],
      });
      await wrap(raw).put("mappingChunks", { chunk: 2, mapIds: ["torn"], mappings: "torn" });
      raw.close();
      const cache = await open(factory, "corrupt");
      await assert.rejects(
        cache.getMapping("bad"),
        (error: unknown) =>
          error instanceof BugError && /mappings\/bad \(mappingChunks\/1\)/.test(error.message),
      );
      await assert.rejects(
        cache.getMapping("torn"),
        (error: unknown) => error instanceof BugError && /mappingChunks\/2/.test(error.message),
      );
      cache.close();
    });
  });

  describe("other tabs and the browser", () => {
    it("closes when another tab needs a newer version, reports it, and rejects later calls", async () => {
      const factory = new IDBFactory();
      const logger = recordingLogger();
      const cache = await open(factory, "blocking", logger);
      const newer = await openRaw(factory, "blocking", CACHE_DB_VERSION + 1);
      assert.equal(newer.version, CACHE_DB_VERSION + 1);
      newer.close();
      assert.equal(cache.storageInfo().closed, "versionChange");
      assert.ok(logger.calls.some(([level, message]) => level === "warn" && /another tab/.test(message)));
      await assert.rejects(
        cache.countMappings(),
        (error: unknown) => error instanceof SyncError && error.code === "storageClosed",
      );
      await assert.rejects(
        cache.appendLog("x"),
        (error: unknown) => error instanceof SyncError && error.code === "storageClosed",
      );
    });

    it("reports a connection the browser terminated and rejects later calls", async () => {
      const factory = new IDBFactory();
      let request: IDBOpenDBRequest | undefined;
      const spy = { open: (name: string, version?: number) => (request = factory.open(name, version)) };
      const logger = recordingLogger();
      const cache = await IdbLocalCache.open({
        indexedDB: spy as unknown as IDBFactory,
        name: "terminated",
        logger,
        clock: new ManualClock(),
      });
      assert.ok(request);
      forceCloseDatabase(request.result as unknown as Parameters<typeof forceCloseDatabase>[0]);
      await settle();
      assert.equal(cache.storageInfo().closed, "terminated");
      assert.ok(logger.calls.some(([level]) => level === "error"));
      await assert.rejects(
        cache.getEntry("m1"),
        (error: unknown) => error instanceof SyncError && error.code === "storageClosed",
      );
    });

    it("falls back to memory when an older tab blocks the upgrade past the timeout, and closes the late connection", async () => {
      const factory = new IDBFactory();
      const old = await openRaw(factory, "blocked", 1, (db) =>
        migrateToV1(wrap(db) as unknown as IDBPDatabase<CacheDbV1>),
      );
      const clock = new ManualClock();
      const logger = recordingLogger();
      const opening = openLocalCache({
        name: "blocked",
        indexedDB: factory,
        storage: null,
        logger,
        clock,
        blockedTimeoutMs: 3000,
      });
      while (clock.pending() === 0) await settle();
      clock.advance(3000);
      const { cache, warning } = await opening;
      assert.equal(cache.storageInfo().kind, "memory");
      assert.equal(warning?.code, "storageUnavailable");
      assert.match(warning?.message ?? "", /older version/);
      assert.ok(logger.calls.some(([level, message]) => level === "warn" && /another tab/.test(message)));
      await cache.putMappings([]);
      old.close();
      await settle();
      const after = await openRaw(factory, "blocked", CACHE_DB_VERSION + 1);
      assert.equal(after.version, CACHE_DB_VERSION + 1);
      after.close();
    });
  });

  describe("openLocalCache", () => {
    const base = { name: "factory", logger: recordingLogger(), clock: new ManualClock() };

    it("runs on memory with storageUnavailable when there is no IndexedDB", async () => {
      const { cache, warning } = await openLocalCache({ ...base, indexedDB: null });
      assert.deepEqual(cache.storageInfo(), { kind: "memory", persistent: false });
      assert.equal(warning?.code, "storageUnavailable");
      await cache.putSettings(DEFAULT_SETTINGS);
      assert.deepEqual(await cache.getSettings(), DEFAULT_SETTINGS);
    });

    it("runs on memory when IndexedDB refuses to open", async () => {
      const refusing = {
        open: () => {
          throw new DOMException("no storage in private windows", "InvalidStateError");
        },
      };
      const { cache, warning } = await openLocalCache({
        ...base,
        indexedDB: refusing as unknown as IDBFactory,
      });
      assert.equal(cache.storageInfo().kind, "memory");
      assert.equal(warning?.code, "storageUnavailable");
      assert.ok(warning?.cause instanceof SyncError);
    });

    it("asks for persistent storage and reports a granted answer", async () => {
      let asked = 0;
      const storage = { persist: () => Promise.resolve(++asked > 0) };
      const { cache, warning } = await openLocalCache({ ...base, indexedDB: new IDBFactory(), storage });
      assert.equal(asked, 1);
      assert.deepEqual(cache.storageInfo(), { kind: "indexeddb", persistent: true });
      assert.equal(warning, null);
      cache.close();
    });

    it("warns with storageNotPersistent when persistence is declined", async () => {
      const storage = { persist: () => Promise.resolve(false) };
      const { cache, warning } = await openLocalCache({ ...base, indexedDB: new IDBFactory(), storage });
      assert.equal(cache.storageInfo().persistent, false);
      assert.equal(warning?.code, "storageNotPersistent");
      cache.close();
    });

    it("does not wait for a persist() answer that takes long, and reports it once it arrives", async () => {
      let answer: (granted: boolean) => void = () => {};
      const storage = { persist: () => new Promise<boolean>((resolve) => (answer = resolve)) };
      const clock = new ManualClock();
      const opening = openLocalCache({
        ...base,
        clock,
        indexedDB: new IDBFactory(),
        storage,
        persistWaitMs: 500,
      });
      while (clock.pending() === 0) await settle();
      clock.advance(500);
      const { cache, warning } = await opening;
      assert.equal(warning, null);
      assert.equal(cache.storageInfo().persistent, null);
      answer(true);
      await settle();
      assert.equal(cache.storageInfo().persistent, true);
      cache.close();
    });

    it("treats a close() by the caller as final: later calls are a BugError", async () => {
      const { cache } = await openLocalCache({ ...base, indexedDB: new IDBFactory(), storage: null });
      assert.equal(cache.storageInfo().persistent, null);
      cache.close();
      await assert.rejects(cache.countEntries(), BugError);
    });
  });
});
