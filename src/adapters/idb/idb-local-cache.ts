/**
 * IdbLocalCache: the LocalCache port on IndexedDB. One piece past 500 lines because it is one class holding one
 * connection and its closing rules, with a method per port operation; the shared rules live in ../cache-rules,
 * the schema in idb-schema.ts and the packed mapping rows in mapping-chunks.ts.
 */
import type { z } from "zod";
import {
  unwrap,
  wrap,
  type IDBPDatabase,
  type IDBPObjectStore,
  type IDBPTransaction,
  type StoreNames,
} from "idb";
import { BugError, SyncError } from "../../core/errors";
import type { EntityType } from "../../core/types";
import type { Clock, Disposable } from "../../ports/clock";
import type {
  AppliedBatch,
  ChangeLogEntry,
  Checkpoint,
  ConflictRecord,
  CrmPage,
  LocalCache,
  Mapping,
  OutlookChangeNotice,
  PackageState,
  PendingCreate,
  StorageInfo,
  SyncStatus,
} from "../../ports/local-cache";
import type { Logger } from "../../ports/logger";
import type { SyncSettings } from "../../ports/settings";
import { DEFAULT_CACHE_LIMITS, type CacheLimits } from "../cache-rules/cache-limits";
import {
  appliedBatchSchema,
  changeLogEntrySchema,
  checkBulkInput,
  checkInput,
  checkpointSchema,
  checkStored,
  conflictListSchema,
  conflictSchema,
  countSchema,
  crmPageSchema,
  failureSchema,
  idListSchema,
  idSchema,
  logLineSchema,
  logSegmentSchema,
  mappingListSchema,
  outlookChangeSchema,
  packageStateSchema,
  pendingCreateSchema,
  settingsSchema,
  statusSchema,
  timeSchema,
} from "../cache-rules/cache-records";
import {
  afterStaleHandling,
  withCrmChange,
  withFailure,
  withOutlookChange,
} from "../cache-rules/change-log-coalescing";
import { logSegmentName, planLogAppend } from "../cache-rules/log-segments";
import { noMappingError, typeMismatchError } from "../cache-rules/cache-errors";
import { crmMapping, outlookMapping } from "../cache-rules/new-mappings";
import { CACHE_DB_VERSION, upgradeCacheDb, type CacheDb, type CacheDbV1, type ChangeRow } from "./idb-schema";
import { allMappings, findMapping, findMappings, mappingCount, MappingChunks } from "./mapping-chunks";

/** Options of {@link IdbLocalCache.open}. */
export interface IdbLocalCacheOptions {
  /** The IndexedDB factory; its classes must also be the globals (idb wraps by `instanceof`). */
  readonly indexedDB: IDBFactory;
  readonly name: string;
  readonly logger: Logger;
  /** Stamps CRM parts of entries and times the wait for a tab that blocks an upgrade. */
  readonly clock: Clock;
  /** How long to wait for another tab to let go of an older version before giving up (ms). */
  readonly blockedTimeoutMs?: number;
  readonly limits?: CacheLimits;
}

type Db = IDBPDatabase<CacheDb>;
type Store = StoreNames<CacheDb>;
type Tx<S extends Store[], M extends IDBTransactionMode> = IDBPTransaction<CacheDb, S, M>;

const ALL_STATE: Store[] = [
  "mappingChunks",
  "changes",
  "checkpoints",
  "pendingCreates",
  "conflicts",
  "settings",
  "status",
  "packageState",
];

/** Errors carry a DOMException name in browsers and in fake-indexeddb alike. */
function errorName(error: unknown): string | undefined {
  return error instanceof Error || error instanceof DOMException ? error.name : undefined;
}

/** A change-log row holding `entry` and the number of the row its mapping is in, when known. */
function changeRow(entry: ChangeLogEntry, chunk: number | undefined): ChangeRow {
  return chunk === undefined ? entry : { ...entry, chunk };
}

/** Handled entries this many or more are read with one range read instead of one read each. */
const RANGE_READ_MIN = 16;

/**
 * The requests a write issues. Each is observed at once (an aborted transaction rejects every pending
 * request), and the first failure is kept: it names the cause, where later ones only say "aborted".
 * Bulk writes go in as plain requests ({@link Writes.addRequest}): nothing waits on them one by one, the
 * transaction's completion says they all succeeded, and a failing one aborts it.
 */
class Writes {
  private readonly pending: Promise<unknown>[] = [];
  private failure: { readonly error: unknown } | null = null;

  addRequest(request: IDBRequest): void {
    request.addEventListener("error", () => {
      this.failure ??= { error: request.error };
    });
  }

  add(request: Promise<unknown>): void {
    const observed = request.catch((error: unknown) => {
      this.failure ??= { error };
      throw error;
    });
    observed.catch(() => undefined);
    this.pending.push(observed);
  }

  async all(): Promise<void> {
    await Promise.all(this.pending);
  }

  firstFailure(): { readonly error: unknown } | null {
    return this.failure;
  }
}

/**
 * The local cache on IndexedDB (schema in idb-schema.ts). Each write method is one readwrite transaction
 * that reads what it needs first, then issues every write without waiting in between; `storeCrmPage` asks
 * for "strict" durability because the server is told to forget the page right after it. The bulk writes of
 * `storeCrmPage` and `applyBatch` are plain requests that the transaction's completion confirms, and
 * `applyBatch` reads many handled entries with one range read and, when they are every entry in that range,
 * removes them with one range delete.
 * When another tab needs a newer version the connection closes at once (so that tab is not wedged) and
 * later calls reject with SyncError("storageClosed"); the same happens when the browser terminates it.
 */
export class IdbLocalCache implements LocalCache {
  private db: Db | null;
  private closed: StorageInfo["closed"] | "byCaller" | undefined;
  private readonly limits: CacheLimits;
  private persistent: boolean | null = null;

  private constructor(
    raw: IDBDatabase,
    private readonly logger: Logger,
    private readonly clock: Clock,
    limits: CacheLimits | undefined,
  ) {
    this.db = wrap(raw) as unknown as Db;
    this.limits = limits ?? DEFAULT_CACHE_LIMITS;
    raw.addEventListener("versionchange", () => {
      raw.close();
      this.db = null;
      this.closed ??= "versionChange";
      this.logger.warn("local cache closed so that another tab can upgrade it; reload this tab", {
        database: raw.name,
      });
    });
    raw.addEventListener("close", () => {
      this.db = null;
      this.closed ??= "terminated";
      this.logger.error("the browser closed the local cache; reload this tab", { database: raw.name });
    });
  }

  /**
   * Opens (creating or upgrading) the database. Rejects with SyncError("storageUnavailable") when
   * IndexedDB refuses, when an upgrade fails, or when another tab keeps an older version open for longer
   * than `blockedTimeoutMs` (default 5 s): the add-in then runs on memory instead of waiting forever.
   * A connection that opens after that is closed at once.
   */
  static open(options: IdbLocalCacheOptions): Promise<IdbLocalCache> {
    const { logger, clock } = options;
    return new Promise((resolve, reject) => {
      let settled = false;
      let timer: Disposable | null = null;
      const fail = (details: string, cause?: unknown): void => {
        timer?.dispose();
        if (settled) return;
        settled = true;
        reject(new SyncError("storageUnavailable", { details, cause }));
      };
      let request: IDBOpenDBRequest;
      try {
        request = options.indexedDB.open(options.name, CACHE_DB_VERSION);
      } catch (error) {
        fail(`IndexedDB refused to open "${options.name}".`, error);
        return;
      }
      request.addEventListener("upgradeneeded", (event) => {
        const tx = request.transaction;
        if (!tx) return;
        const db = wrap(request.result) as unknown as IDBPDatabase<CacheDbV1>;
        const upgrade = wrap(tx) as unknown as IDBPTransaction<
          CacheDbV1,
          StoreNames<CacheDbV1>[],
          "versionchange"
        >;
        upgradeCacheDb(db, upgrade, event.oldVersion).catch((error: unknown) => {
          logger.error("local cache upgrade failed", { from: event.oldVersion, error: String(error) });
          try {
            tx.abort();
          } catch {
            // The transaction already ended with the error.
          }
        });
      });
      request.addEventListener("blocked", (event) => {
        logger.warn("local cache upgrade waits for another tab to close an older version", {
          from: event.oldVersion,
        });
        timer ??= clock.setTimeout(
          () =>
            fail("Another tab keeps an older version of the add-in open. Close it, then reload this tab."),
          options.blockedTimeoutMs ?? 5000,
        );
      });
      request.addEventListener("success", () => {
        timer?.dispose();
        if (settled) {
          request.result.close();
          return;
        }
        settled = true;
        resolve(new IdbLocalCache(request.result, logger, clock, options.limits));
      });
      request.addEventListener("error", (event) => {
        event.preventDefault();
        fail(`IndexedDB could not open "${options.name}".`, request.error);
      });
    });
  }

  /** Records the answer to navigator.storage.persist(), which storageInfo() reports from then on. */
  notePersistence(persistent: boolean | null): void {
    this.persistent = persistent;
  }

  storageInfo(): StorageInfo {
    const info = { kind: "indexeddb", persistent: this.persistent } as const;
    return this.closed === undefined || this.closed === "byCaller" ? info : { ...info, closed: this.closed };
  }

  async getMapping(mapId: string): Promise<Mapping | undefined> {
    return await this.read(["mappingChunks"], (tx) =>
      findMapping(tx.objectStore("mappingChunks"), "byMapId", mapId),
    );
  }

  async getMappings(mapIds: readonly string[]): Promise<ReadonlyMap<string, Mapping>> {
    const ids = checkBulkInput(idSchema, mapIds, "mapIds");
    return await this.read(["mappingChunks"], (tx) => findMappings(tx.objectStore("mappingChunks"), ids));
  }

  async findByCrmId(crmId: string): Promise<Mapping | undefined> {
    return await this.read(["mappingChunks"], (tx) =>
      findMapping(tx.objectStore("mappingChunks"), "byCrmId", crmId),
    );
  }

  async findByItemId(itemId: string): Promise<Mapping | undefined> {
    return await this.read(["mappingChunks"], (tx) =>
      findMapping(tx.objectStore("mappingChunks"), "byItemId", itemId),
    );
  }

  async listMappings(type?: EntityType): Promise<readonly Mapping[]> {
    return await this.read(["mappingChunks"], (tx) => allMappings(tx.objectStore("mappingChunks"), type));
  }

  async countMappings(): Promise<number> {
    return await this.read(["mappingChunks"], (tx) => mappingCount(tx.objectStore("mappingChunks")));
  }

  async putMappings(mappings: readonly Mapping[]): Promise<void> {
    const input = checkInput(mappingListSchema, mappings, "mappings");
    return await this.write(["mappingChunks"], async (tx, writes) => {
      const chunks = new MappingChunks(tx.objectStore("mappingChunks"));
      await chunks.loadForWrite(input);
      for (const mapping of input) chunks.put(mapping);
      chunks.flush((request) => writes.addRequest(request));
    });
  }

  async recordOutlookChange(change: OutlookChangeNotice): Promise<ChangeLogEntry> {
    const input = checkInput(outlookChangeSchema, change, "change");
    return await this.write(["mappingChunks", "changes", "meta"], async (tx, writes) => {
      const chunks = new MappingChunks(tx.objectStore("mappingChunks"));
      const changes = tx.objectStore("changes");
      await chunks.load({ itemIds: [input.itemId], mapIds: input.create ? [input.create.mapId] : [] });
      let mapping = chunks.byItemId(input.itemId);
      if (!mapping) {
        const create = input.create;
        if (!create) throw noMappingError(input.itemId);
        mapping = outlookMapping(input.itemId, create);
        await chunks.load({}, true);
        chunks.add(mapping);
        chunks.flush((request) => writes.addRequest(request));
      }
      const mapId = mapping.mapId;
      const [previous, revision] = await Promise.all([
        this.entryRow(changes.get(mapId)),
        this.lastRevision(tx),
      ]);
      const entry = withOutlookChange(previous, mapId, input, revision + 1);
      writes.add(changes.put(changeRow(entry, chunks.rowOf(mapId))));
      writes.add(tx.objectStore("meta").put(entry.revision, "revision"));
      return entry;
    });
  }

  async storeCrmPage(page: CrmPage, newMapId: () => string): Promise<void> {
    const input = checkInput(crmPageSchema, page, "page");
    const at = this.clock.now();
    const write = async (
      tx: Tx<["mappingChunks", "changes", "checkpoints", "meta"], "readwrite">,
      writes: Writes,
    ) => {
      const chunks = new MappingChunks(tx.objectStore("mappingChunks"));
      const changes = tx.objectStore("changes");
      const crmIds = [...new Set(input.entries.map((e) => e.crmId))];
      await chunks.load({ crmIds }, true);
      const byCrmId = new Map(
        crmIds.flatMap((crmId) => {
          const mapping = chunks.byCrmId(crmId);
          return mapping ? [[crmId, mapping] as const] : [];
        }),
      );
      const entries = new Map<string, ChangeLogEntry | undefined>();
      const [previous, last] = await Promise.all([
        Promise.all([...byCrmId.values()].map((m) => this.entryRow(changes.get(m.mapId)))),
        this.lastRevision(tx),
      ]);
      for (const entry of previous) if (entry) entries.set(entry.mapId, entry);
      const created: Mapping[] = [];
      const changed = new Set<string>();
      let revision = last;
      for (const change of input.entries) {
        let mapping = byCrmId.get(change.crmId);
        if (!mapping) {
          if (change.kind !== "upsert") continue;
          mapping = crmMapping(newMapId(), change.crmId, change.type);
          byCrmId.set(change.crmId, mapping);
          created.push(mapping);
        }
        if (mapping.type !== change.type) throw typeMismatchError(change, mapping);
        if (mapping.crmVersion !== null && change.version <= mapping.crmVersion) continue;
        const entry = withCrmChange(
          entries.get(mapping.mapId),
          mapping.mapId,
          { ...change, at },
          revision + 1,
        );
        if (!entry) continue;
        revision = entry.revision;
        entries.set(entry.mapId, entry);
        changed.add(entry.mapId);
      }
      await chunks.load({ mapIds: created.map((m) => m.mapId) });
      for (const mapping of created) chunks.add(mapping);
      chunks.flush((request) => writes.addRequest(request));
      const rawChanges = unwrap(changes);
      for (const mapId of changed) {
        const entry = entries.get(mapId);
        if (entry) writes.addRequest(rawChanges.put(changeRow(entry, chunks.rowOf(mapId))));
      }
      if (revision !== last) writes.add(tx.objectStore("meta").put(revision, "revision"));
      writes.add(tx.objectStore("checkpoints").put(input.checkpoint));
    };
    return await this.write(["mappingChunks", "changes", "checkpoints", "meta"], write, "strict");
  }

  async dueEntries(now: number, limit: number): Promise<readonly ChangeLogEntry[]> {
    const until = checkInput(timeSchema, now, "now");
    const max = checkInput(countSchema, limit, "limit");
    if (max === 0) return this.read(["changes"], () => Promise.resolve([]));
    return await this.read(["changes"], async (tx) => {
      const range = IDBKeyRange.upperBound([until, Infinity]);
      const rows = await tx.objectStore("changes").index("byDue").getAll(range, max);
      return rows.map((row) => this.checkedEntry(row));
    });
  }

  async getEntry(mapId: string): Promise<ChangeLogEntry | undefined> {
    return await this.read(["changes"], (tx) => this.entryRow(tx.objectStore("changes").get(mapId)));
  }

  async countEntries(): Promise<number> {
    return await this.read(["changes"], (tx) => tx.objectStore("changes").count());
  }

  async applyBatch(batch: AppliedBatch): Promise<void> {
    const input = checkInput(appliedBatchSchema, batch, "batch");
    const stores: Store[] = [
      "mappingChunks",
      "changes",
      "checkpoints",
      "pendingCreates",
      "conflicts",
      "meta",
    ];
    if (input.packageState !== undefined) stores.push("packageState");
    return await this.write(stores, async (tx, writes) => {
      const changes = tx.objectStore("changes");
      const chunks = new MappingChunks(tx.objectStore("mappingChunks"));
      const [handled, last, conflicts] = await Promise.all([
        this.handledEntries(
          changes,
          input.handled.map((h) => h.mapId),
        ),
        this.lastRevision(tx),
        this.planConflicts(tx, input.conflicts),
      ]);
      await chunks.loadRows(handled.rows);
      await chunks.loadForWrite(input.mappings, input.deleteMappings);
      for (const mapId of input.deleteMappings) chunks.delete(mapId);
      const applied = new Map<string, number | null>();
      for (const mapping of input.mappings) {
        chunks.put(mapping);
        applied.set(mapping.mapId, mapping.crmVersion);
      }
      chunks.flush((request) => writes.addRequest(request));
      for (const checkpoint of input.checkpoints) writes.add(tx.objectStore("checkpoints").put(checkpoint));
      for (const key of input.pendingCreatesDone) writes.add(tx.objectStore("pendingCreates").delete(key));
      conflicts(writes);
      if (input.packageState !== undefined)
        writes.add(tx.objectStore("packageState").put(input.packageState, "current"));
      let revision = last;
      const removed = new Set<string>();
      const kept: ChangeLogEntry[] = [];
      for (const { mapId, revision: expected } of input.handled) {
        const entry = handled.entries.get(mapId);
        if (!entry) continue;
        if (entry.revision === expected) {
          removed.add(mapId);
          continue;
        }
        const next = afterStaleHandling(entry, applied.get(mapId) ?? null, revision + 1);
        if (next === entry) continue;
        if (next === null) {
          removed.add(mapId);
          continue;
        }
        revision = next.revision;
        kept.push(next);
      }
      const rawChanges = unwrap(changes);
      if (handled.range !== null && kept.length === 0 && removed.size === handled.inRange) {
        writes.addRequest(rawChanges.delete(handled.range));
      } else {
        for (const mapId of removed) writes.addRequest(rawChanges.delete(mapId));
      }
      for (const entry of kept)
        writes.addRequest(rawChanges.put(changeRow(entry, chunks.rowOf(entry.mapId))));
      if (revision !== last) writes.add(tx.objectStore("meta").put(revision, "revision"));
    });
  }

  async markFailed(
    mapId: string,
    revision: number,
    error: { readonly code: string; readonly message: string },
    nextAttemptAt: number,
  ): Promise<ChangeLogEntry | undefined> {
    const input = checkInput(failureSchema, { mapId, revision, error, nextAttemptAt }, "failure");
    return await this.write(["changes", "meta"], async (tx, writes) => {
      const [row, last] = await Promise.all([
        tx.objectStore("changes").get(input.mapId),
        this.lastRevision(tx),
      ]);
      const entry = row && this.checkedEntry(row);
      if (!row || !entry || entry.revision !== input.revision) return entry;
      const failed = withFailure(entry, input.error, input.nextAttemptAt, last + 1);
      writes.add(tx.objectStore("changes").put(changeRow(failed, row.chunk)));
      writes.add(tx.objectStore("meta").put(failed.revision, "revision"));
      return failed;
    });
  }

  async failedEntries(minAttempts: number): Promise<readonly ChangeLogEntry[]> {
    const min = checkInput(countSchema, minAttempts, "minAttempts");
    return await this.read(["changes"], async (tx) => {
      const rows = await tx.objectStore("changes").index("byAttempts").getAll(IDBKeyRange.lowerBound(min));
      return rows.map((row) => this.checkedEntry(row));
    });
  }

  async markVerified(mapIds: readonly string[], now: number): Promise<void> {
    const ids = checkInput(idListSchema, mapIds, "mapIds");
    const at = checkInput(timeSchema, now, "now");
    return await this.write(["mappingChunks"], async (tx, writes) => {
      const chunks = new MappingChunks(tx.objectStore("mappingChunks"));
      await chunks.load({ mapIds: ids });
      for (const mapId of ids) {
        const mapping = chunks.get(mapId);
        if (mapping) chunks.put({ ...mapping, verifiedTime: at });
      }
      chunks.flush((request) => writes.addRequest(request));
    });
  }

  async getCheckpoint(key: string): Promise<Checkpoint | undefined> {
    return await this.read(["checkpoints"], async (tx) => {
      const row = await tx.objectStore("checkpoints").get(key);
      return row && checkStored(checkpointSchema, row, `checkpoints/${key}`);
    });
  }

  async putPendingCreate(create: PendingCreate): Promise<void> {
    const input = checkInput(pendingCreateSchema, create, "create");
    return await this.write(["pendingCreates"], (tx, writes) => {
      writes.add(tx.objectStore("pendingCreates").put(input));
      return Promise.resolve();
    });
  }

  async putPendingCreates(creates: readonly PendingCreate[]): Promise<void> {
    const input = checkBulkInput(pendingCreateSchema, creates, "creates");
    return await this.write(["pendingCreates"], (tx, writes) => {
      const store = tx.objectStore("pendingCreates");
      for (const create of input) writes.add(store.put(create));
      return Promise.resolve();
    });
  }

  async getPendingCreate(idempotencyKey: string): Promise<PendingCreate | undefined> {
    return await this.read(["pendingCreates"], async (tx) => {
      const row = await tx.objectStore("pendingCreates").get(idempotencyKey);
      return row && checkStored(pendingCreateSchema, row, `pendingCreates/${idempotencyKey}`);
    });
  }

  async listPendingCreates(): Promise<readonly PendingCreate[]> {
    return await this.read(["pendingCreates"], async (tx) => {
      const rows = await tx.objectStore("pendingCreates").getAll();
      return rows.map((row) => checkStored(pendingCreateSchema, row, `pendingCreates/${row.idempotencyKey}`));
    });
  }

  async appendConflicts(conflicts: readonly ConflictRecord[]): Promise<void> {
    const input = checkInput(conflictListSchema, conflicts, "conflicts");
    return await this.write(["conflicts"], async (tx, writes) =>
      (await this.planConflicts(tx, input))(writes),
    );
  }

  async listConflicts(limit: number): Promise<readonly ConflictRecord[]> {
    const max = checkInput(countSchema, limit, "limit");
    return await this.read(["conflicts"], async (tx) => {
      const conflicts: ConflictRecord[] = [];
      let cursor = max === 0 ? null : await tx.objectStore("conflicts").openCursor(null, "prev");
      while (cursor && conflicts.length < max) {
        conflicts.push(checkStored(conflictSchema, cursor.value, `conflicts/${cursor.key}`));
        cursor = await cursor.continue();
      }
      return conflicts;
    });
  }

  async getSettings(): Promise<SyncSettings | undefined> {
    return await this.getCurrent("settings", settingsSchema);
  }

  async putSettings(settings: SyncSettings): Promise<void> {
    return await this.putCurrent("settings", checkInput(settingsSchema, settings, "settings"));
  }

  async getStatus(): Promise<SyncStatus | undefined> {
    return await this.getCurrent("status", statusSchema);
  }

  async putStatus(status: SyncStatus): Promise<void> {
    return await this.putCurrent("status", checkInput(statusSchema, status, "status"));
  }

  async getPackageState(): Promise<PackageState | undefined> {
    return await this.getCurrent("packageState", packageStateSchema);
  }

  async appendLog(line: string): Promise<void> {
    const text = checkInput(logLineSchema, line, "line");
    return await this.write(["logSegments"], async (tx, writes) => {
      const store = tx.objectStore("logSegments");
      const cursor = await store.openCursor(null, "prev");
      const newest = cursor
        ? checkStored(logSegmentSchema, cursor.value, `logSegments/${cursor.key}`)
        : undefined;
      const plan = planLogAppend(newest, text, this.limits);
      writes.add(store.put(plan.write));
      if (plan.dropUpTo > 0) writes.add(store.delete(IDBKeyRange.upperBound(plan.dropUpTo)));
    });
  }

  async exportLog(): Promise<string> {
    return await this.read(["logSegments"], async (tx) => {
      const rows = await tx.objectStore("logSegments").getAll();
      return rows.map((row) => checkStored(logSegmentSchema, row, `logSegments/${row.seq}`).text).join("");
    });
  }

  async listLogSegments(): Promise<readonly { readonly name: string; readonly bytes: number }[]> {
    return await this.read(["logSegments"], async (tx) => {
      const rows = await tx.objectStore("logSegments").getAll();
      return rows.map((row) => {
        const segment = checkStored(logSegmentSchema, row, `logSegments/${row.seq}`);
        return { name: logSegmentName(segment.seq), bytes: segment.bytes };
      });
    });
  }

  async clear(): Promise<void> {
    return await this.write(ALL_STATE, (tx, writes) => {
      for (const name of ALL_STATE) writes.add(tx.objectStore(name).clear());
      return Promise.resolve();
    });
  }

  close(): void {
    this.db?.close();
    this.db = null;
    this.closed ??= "byCaller";
  }

  /**
   * Reads what appending `conflicts` needs (the count, and the oldest keys beyond the limit), and returns
   * the writes to issue: delete those oldest, add the newest `conflictsKept` of the new ones.
   */
  private async planConflicts(
    tx: Tx<Store[], "readwrite">,
    conflicts: readonly ConflictRecord[],
  ): Promise<(writes: Writes) => void> {
    if (conflicts.length === 0) return () => undefined;
    const store = tx.objectStore("conflicts");
    const kept = conflicts.slice(Math.max(0, conflicts.length - this.limits.conflictsKept));
    const excess = (await store.count()) + kept.length - this.limits.conflictsKept;
    const oldest = excess > 0 ? await store.getAllKeys(null, excess) : [];
    return (writes) => {
      for (const key of oldest) writes.add(store.delete(key));
      for (const conflict of kept) writes.add(store.add(conflict));
    };
  }

  /**
   * The change-log entries of `mapIds` that exist. Many ids are read with one range read over their key range
   * (at most twice their number of rows; ids past a cut-off range are read one by one). `range` and `inRange`
   * are set when that read covered its whole range: the entries in it are exactly `inRange` rows, so when
   * all of them are removed, one range delete does it.
   */
  private async handledEntries(
    changes: IDBPObjectStore<CacheDb, Store[], "changes", "readwrite">,
    mapIds: readonly string[],
  ): Promise<{
    entries: Map<string, ChangeLogEntry>;
    rows: number[];
    range: IDBKeyRange | null;
    inRange: number;
  }> {
    const entries = new Map<string, ChangeLogEntry>();
    const rows: number[] = [];
    const keep = (row: ChangeRow | undefined): void => {
      if (!row) return;
      entries.set(row.mapId, this.checkedEntry(row));
      if (row.chunk !== undefined) rows.push(row.chunk);
    };
    const wanted = [...new Set(mapIds)].sort();
    const first = wanted[0];
    const lastId = wanted.at(-1);
    if (wanted.length < RANGE_READ_MIN || first === undefined || lastId === undefined) {
      (await Promise.all(wanted.map((mapId) => changes.get(mapId)))).forEach(keep);
      return { entries, rows, range: null, inRange: 0 };
    }
    const range = IDBKeyRange.bound(first, lastId);
    const limit = wanted.length * 2;
    const inRange = await changes.getAll(range, limit);
    const complete = inRange.length < limit;
    const asked = new Set(wanted);
    for (const row of inRange) if (asked.has(row.mapId)) keep(row);
    const readTo = inRange.at(-1)?.mapId ?? lastId;
    if (!complete) {
      const rest = wanted.filter((mapId) => mapId > readTo);
      (await Promise.all(rest.map((mapId) => changes.get(mapId)))).forEach(keep);
    }
    return complete
      ? { entries, rows, range, inRange: inRange.length }
      : { entries, rows, range: null, inRange: 0 };
  }

  /** Reads the single row of a one-row store. */
  private getCurrent<S extends "settings" | "status" | "packageState">(
    name: S,
    schema: z.ZodType<CacheDb[S]["value"]>,
  ): Promise<CacheDb[S]["value"] | undefined> {
    return this.read([name], async (tx) => {
      const row = await tx.objectStore(name).get("current");
      return row && checkStored(schema, row, `${name}/current`);
    });
  }

  /** Replaces the single row of a one-row store. */
  private putCurrent<S extends "settings" | "status">(name: S, value: CacheDb[S]["value"]): Promise<void> {
    return this.write([name], (tx, writes) => {
      writes.add(tx.objectStore(name).put(value, "current"));
      return Promise.resolve();
    });
  }

  private async lastRevision(tx: Tx<Store[], IDBTransactionMode>): Promise<number> {
    return (await tx.objectStore("meta").get("revision")) ?? 0;
  }

  /** The entry of a change-log row, without the row's hint. */
  private checkedEntry(row: ChangeRow): ChangeLogEntry {
    const { chunk: _hint, ...entry } = row;
    return checkStored(changeLogEntrySchema, entry, `changes/${row.mapId}`);
  }

  private async entryRow(request: Promise<ChangeRow | undefined>): Promise<ChangeLogEntry | undefined> {
    const row = await request;
    return row && this.checkedEntry(row);
  }

  private connection(): Db {
    if (this.db) return this.db;
    if (this.closed === "byCaller" || this.closed === undefined)
      throw new BugError("IdbLocalCache used after close()");
    throw new SyncError("storageClosed", {
      details:
        this.closed === "versionChange"
          ? "A newer version of the add-in opened in another tab."
          : "The browser closed the database.",
    });
  }

  private async read<S extends Store[], T>(
    stores: S,
    body: (tx: Tx<S, "readonly">) => Promise<T>,
  ): Promise<T> {
    const tx = this.connection().transaction(stores, "readonly");
    try {
      return await body(tx);
    } catch (error) {
      throw this.storageError(error);
    }
  }

  /**
   * Runs `body` in one readwrite transaction and resolves once it committed. Any failure aborts the
   * transaction, so nothing of it is stored; the error that started it is the one reported.
   */
  private async write<S extends Store[], T>(
    stores: S,
    body: (tx: Tx<S, "readwrite">, writes: Writes) => Promise<T>,
    durability: "default" | "strict" = "default",
  ): Promise<T> {
    const tx = this.connection().transaction(stores, "readwrite", { durability });
    const done = tx.done;
    done.catch(() => undefined);
    const writes = new Writes();
    try {
      const result = await body(tx, writes);
      await writes.all();
      await done;
      return result;
    } catch (error) {
      try {
        tx.abort();
      } catch {
        // Already aborted by the failing request, or already finished.
      }
      throw this.storageError(writes.firstFailure()?.error ?? error, tx.error);
    }
  }

  /** Names storage failures: a full quota and a closed connection become SyncErrors. */
  private storageError(error: unknown, txError?: DOMException | null): unknown {
    if (error instanceof SyncError || error instanceof BugError) return error;
    if (errorName(error) === "QuotaExceededError" || txError?.name === "QuotaExceededError") {
      return new SyncError("quotaExceeded", { cause: error });
    }
    if (errorName(error) === "InvalidStateError" && this.closed !== undefined) {
      try {
        this.connection();
      } catch (closed) {
        return closed;
      }
    }
    return error;
  }
}
