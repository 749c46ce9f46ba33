import { BugError, SyncError, invariant } from "../../core/errors";
import type { EntityType } from "../../core/types";
import type { Clock } from "../../ports/clock";
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
import type { SyncSettings } from "../../ports/settings";
import { DEFAULT_CACHE_LIMITS, type CacheLimits } from "../cache-rules/cache-limits";
import {
  appliedBatchSchema,
  checkBulkInput,
  checkInput,
  conflictListSchema,
  countSchema,
  crmPageSchema,
  failureSchema,
  idListSchema,
  idSchema,
  logLineSchema,
  mappingListSchema,
  outlookChangeSchema,
  pendingCreateSchema,
  settingsSchema,
  statusSchema,
  timeSchema,
} from "../cache-rules/cache-records";
import {
  mapIdInUseError,
  noMappingError,
  typeMismatchError,
  uniqueKeyError,
} from "../cache-rules/cache-errors";
import {
  afterStaleHandling,
  withCrmChange,
  withFailure,
  withOutlookChange,
} from "../cache-rules/change-log-coalescing";
import { logSegmentName, planLogAppend, type LogSegmentRow } from "../cache-rules/log-segments";
import { crmMapping, outlookMapping } from "../cache-rules/new-mappings";

/** Options of {@link MemLocalCache}. */
export interface MemLocalCacheOptions {
  /** Stamps the CRM part of change-log entries. */
  readonly clock: Clock;
  readonly limits?: CacheLimits;
  /**
   * Fails a write with SyncError("quotaExceeded") when the stored rows would exceed this many bytes
   * (measured as their JSON length). Unlimited when absent.
   */
  readonly quotaBytes?: number;
}

/** One store: rows by key, with the name used in size accounting. */
class MemTable<K, V> {
  readonly rows = new Map<K, V>();
  constructor(readonly name: string) {}
}

const byKey = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The in-memory twin of IdbLocalCache, used where IndexedDB is missing or refused: the same contract,
 * nothing survives a reload. Each write runs synchronously against an undo journal; when it throws (bad
 * input, quota, a failing callback) the journal is replayed backwards, so a write happens whole or not at all.
 */
export class MemLocalCache implements LocalCache {
  private readonly clock: Clock;
  private readonly limits: CacheLimits;
  private readonly quotaBytes: number | undefined;
  private readonly mappings = new MemTable<string, Mapping>("mappings");
  private readonly byCrmId = new MemTable<string, string>("byCrmId");
  private readonly byItemId = new MemTable<string, string>("byItemId");
  private readonly changes = new MemTable<string, ChangeLogEntry>("changes");
  private readonly checkpoints = new MemTable<string, Checkpoint>("checkpoints");
  private readonly pendingCreates = new MemTable<string, PendingCreate>("pendingCreates");
  private readonly conflicts = new MemTable<number, ConflictRecord>("conflicts");
  private readonly settings = new MemTable<"current", SyncSettings>("settings");
  private readonly status = new MemTable<"current", SyncStatus>("status");
  private readonly packageState = new MemTable<"current", PackageState>("packageState");
  private readonly logSegments = new MemTable<number, LogSegmentRow>("logSegments");
  private readonly meta = new MemTable<"revision" | "conflictSeq", number>("meta");
  private readonly sizes = new Map<string, number>();
  private usedBytes = 0;
  private journal: (() => void)[] | null = null;
  private closed = false;

  constructor(options: MemLocalCacheOptions) {
    this.clock = options.clock;
    this.limits = options.limits ?? DEFAULT_CACHE_LIMITS;
    this.quotaBytes = options.quotaBytes;
  }

  /** Always memory, never persistent. */
  storageInfo(): StorageInfo {
    return { kind: "memory", persistent: false };
  }

  getMapping(mapId: string): Promise<Mapping | undefined> {
    return this.read(() => this.mappings.rows.get(mapId));
  }

  getMappings(mapIds: readonly string[]): Promise<ReadonlyMap<string, Mapping>> {
    return this.read(() => {
      const found = new Map<string, Mapping>();
      for (const mapId of checkBulkInput(idSchema, mapIds, "mapIds")) {
        const mapping = this.mappings.rows.get(mapId);
        if (mapping) found.set(mapId, mapping);
      }
      return found;
    });
  }

  findByCrmId(crmId: string): Promise<Mapping | undefined> {
    return this.read(() => this.mappingVia(this.byCrmId, crmId));
  }

  findByItemId(itemId: string): Promise<Mapping | undefined> {
    return this.read(() => this.mappingVia(this.byItemId, itemId));
  }

  listMappings(type?: EntityType): Promise<readonly Mapping[]> {
    return this.read(() =>
      [...this.mappings.rows.values()]
        .filter((m) => type === undefined || m.type === type)
        .sort((a, b) => byKey(a.mapId, b.mapId)),
    );
  }

  countMappings(): Promise<number> {
    return this.read(() => this.mappings.rows.size);
  }

  putMappings(mappings: readonly Mapping[]): Promise<void> {
    return this.write(() => {
      for (const mapping of checkInput(mappingListSchema, mappings, "mappings")) this.putMapping(mapping);
    });
  }

  recordOutlookChange(change: OutlookChangeNotice): Promise<ChangeLogEntry> {
    return this.write(() => {
      const input = checkInput(outlookChangeSchema, change, "change");
      let mapping = this.mappingVia(this.byItemId, input.itemId);
      if (!mapping) {
        if (!input.create) throw noMappingError(input.itemId);
        if (this.mappings.rows.has(input.create.mapId)) throw mapIdInUseError(input.create.mapId);
        mapping = outlookMapping(input.itemId, input.create);
        this.putMapping(mapping);
      }
      const entry = withOutlookChange(
        this.changes.rows.get(mapping.mapId),
        mapping.mapId,
        input,
        this.nextRevision(),
      );
      this.set(this.changes, entry.mapId, entry);
      return structuredClone(entry);
    });
  }

  storeCrmPage(page: CrmPage, newMapId: () => string): Promise<void> {
    return this.write(() => {
      const input = checkInput(crmPageSchema, page, "page");
      const at = this.clock.now();
      for (const change of input.entries) {
        let mapping = this.mappingVia(this.byCrmId, change.crmId);
        if (!mapping) {
          if (change.kind !== "upsert") continue;
          const mapId = newMapId();
          if (this.mappings.rows.has(mapId)) throw mapIdInUseError(mapId);
          mapping = crmMapping(mapId, change.crmId, change.type);
          this.putMapping(mapping);
        }
        if (mapping.type !== change.type) throw typeMismatchError(change, mapping);
        if (mapping.crmVersion !== null && change.version <= mapping.crmVersion) continue;
        const revision = (this.meta.rows.get("revision") ?? 0) + 1;
        const entry = withCrmChange(
          this.changes.rows.get(mapping.mapId),
          mapping.mapId,
          { ...change, at },
          revision,
        );
        if (!entry) continue;
        this.set(this.meta, "revision", revision);
        this.set(this.changes, entry.mapId, entry);
      }
      this.set(this.checkpoints, input.checkpoint.key, input.checkpoint);
    });
  }

  dueEntries(now: number, limit: number): Promise<readonly ChangeLogEntry[]> {
    return this.read(() => {
      const until = checkInput(timeSchema, now, "now");
      const max = checkInput(countSchema, limit, "limit");
      return [...this.changes.rows.values()]
        .filter((e) => e.nextAttemptAt <= until)
        .sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || a.revision - b.revision)
        .slice(0, max);
    });
  }

  getEntry(mapId: string): Promise<ChangeLogEntry | undefined> {
    return this.read(() => this.changes.rows.get(mapId));
  }

  countEntries(): Promise<number> {
    return this.read(() => this.changes.rows.size);
  }

  applyBatch(batch: AppliedBatch): Promise<void> {
    return this.write(() => {
      const input = checkInput(appliedBatchSchema, batch, "batch");
      for (const mapId of input.deleteMappings) this.deleteMapping(mapId);
      const applied = new Map<string, number | null>();
      for (const mapping of input.mappings) {
        this.putMapping(mapping);
        applied.set(mapping.mapId, mapping.crmVersion);
      }
      for (const checkpoint of input.checkpoints) this.set(this.checkpoints, checkpoint.key, checkpoint);
      for (const key of input.pendingCreatesDone) this.set(this.pendingCreates, key, undefined);
      this.addConflicts(input.conflicts);
      if (input.packageState !== undefined) this.set(this.packageState, "current", input.packageState);
      for (const { mapId, revision } of input.handled) {
        const entry = this.changes.rows.get(mapId);
        if (!entry) continue;
        if (entry.revision === revision) {
          this.set(this.changes, mapId, undefined);
          continue;
        }
        const next = afterStaleHandling(
          entry,
          applied.get(mapId) ?? null,
          (this.meta.rows.get("revision") ?? 0) + 1,
        );
        if (next === entry) continue;
        if (next) this.set(this.meta, "revision", next.revision);
        this.set(this.changes, mapId, next ?? undefined);
      }
    });
  }

  markFailed(
    mapId: string,
    revision: number,
    error: { readonly code: string; readonly message: string },
    nextAttemptAt: number,
  ): Promise<ChangeLogEntry | undefined> {
    return this.write(() => {
      const input = checkInput(failureSchema, { mapId, revision, error, nextAttemptAt }, "failure");
      const entry = this.changes.rows.get(input.mapId);
      if (!entry || entry.revision !== input.revision) return entry && structuredClone(entry);
      const failed = withFailure(entry, input.error, input.nextAttemptAt, this.nextRevision());
      this.set(this.changes, mapId, failed);
      return structuredClone(failed);
    });
  }

  failedEntries(minAttempts: number): Promise<readonly ChangeLogEntry[]> {
    return this.read(() => {
      const min = checkInput(countSchema, minAttempts, "minAttempts");
      return [...this.changes.rows.values()]
        .filter((e) => e.attempts >= min)
        .sort((a, b) => a.attempts - b.attempts || byKey(a.mapId, b.mapId));
    });
  }

  markVerified(mapIds: readonly string[], now: number): Promise<void> {
    return this.write(() => {
      const ids = checkInput(idListSchema, mapIds, "mapIds");
      const at = checkInput(timeSchema, now, "now");
      for (const mapId of ids) {
        const mapping = this.mappings.rows.get(mapId);
        if (mapping) this.set(this.mappings, mapId, { ...mapping, verifiedTime: at });
      }
    });
  }

  getCheckpoint(key: string): Promise<Checkpoint | undefined> {
    return this.read(() => this.checkpoints.rows.get(key));
  }

  putPendingCreate(create: PendingCreate): Promise<void> {
    return this.write(() => {
      const input = checkInput(pendingCreateSchema, create, "create");
      this.set(this.pendingCreates, input.idempotencyKey, input);
    });
  }

  putPendingCreates(creates: readonly PendingCreate[]): Promise<void> {
    return this.write(() => {
      for (const create of checkBulkInput(pendingCreateSchema, creates, "creates"))
        this.set(this.pendingCreates, create.idempotencyKey, create);
    });
  }

  getPendingCreate(idempotencyKey: string): Promise<PendingCreate | undefined> {
    return this.read(() => this.pendingCreates.rows.get(idempotencyKey));
  }

  listPendingCreates(): Promise<readonly PendingCreate[]> {
    return this.read(() =>
      [...this.pendingCreates.rows.values()].sort((a, b) => byKey(a.idempotencyKey, b.idempotencyKey)),
    );
  }

  appendConflicts(conflicts: readonly ConflictRecord[]): Promise<void> {
    return this.write(() => this.addConflicts(checkInput(conflictListSchema, conflicts, "conflicts")));
  }

  listConflicts(limit: number): Promise<readonly ConflictRecord[]> {
    return this.read(() => {
      const max = checkInput(countSchema, limit, "limit");
      return [...this.conflicts.rows.entries()]
        .sort(([a], [b]) => b - a)
        .slice(0, max)
        .map(([, conflict]) => conflict);
    });
  }

  getSettings(): Promise<SyncSettings | undefined> {
    return this.read(() => this.settings.rows.get("current"));
  }

  putSettings(settings: SyncSettings): Promise<void> {
    return this.write(() =>
      this.set(this.settings, "current", checkInput(settingsSchema, settings, "settings")),
    );
  }

  getStatus(): Promise<SyncStatus | undefined> {
    return this.read(() => this.status.rows.get("current"));
  }

  putStatus(status: SyncStatus): Promise<void> {
    return this.write(() => this.set(this.status, "current", checkInput(statusSchema, status, "status")));
  }

  getPackageState(): Promise<PackageState | undefined> {
    return this.read(() => this.packageState.rows.get("current"));
  }

  appendLog(line: string): Promise<void> {
    return this.write(() => {
      const text = checkInput(logLineSchema, line, "line");
      const newest = Math.max(0, ...this.logSegments.rows.keys());
      const plan = planLogAppend(this.logSegments.rows.get(newest), text, this.limits);
      this.set(this.logSegments, plan.write.seq, plan.write);
      for (const seq of [...this.logSegments.rows.keys()]) {
        if (seq <= plan.dropUpTo) this.set(this.logSegments, seq, undefined);
      }
    });
  }

  exportLog(): Promise<string> {
    return this.read(() =>
      this.sortedSegments()
        .map((s) => s.text)
        .join(""),
    );
  }

  listLogSegments(): Promise<readonly { readonly name: string; readonly bytes: number }[]> {
    return this.read(() =>
      this.sortedSegments().map((s) => ({ name: logSegmentName(s.seq), bytes: s.bytes })),
    );
  }

  clear(): Promise<void> {
    return this.write(() => {
      this.clearTable(this.mappings);
      this.clearTable(this.byCrmId);
      this.clearTable(this.byItemId);
      this.clearTable(this.changes);
      this.clearTable(this.checkpoints);
      this.clearTable(this.pendingCreates);
      this.clearTable(this.conflicts);
      this.clearTable(this.settings);
      this.clearTable(this.status);
      this.clearTable(this.packageState);
    });
  }

  close(): void {
    this.closed = true;
  }

  private clearTable<K, V>(table: MemTable<K, V>): void {
    for (const key of [...table.rows.keys()]) this.set(table, key, undefined);
  }

  private sortedSegments(): LogSegmentRow[] {
    return [...this.logSegments.rows.values()].sort((a, b) => a.seq - b.seq);
  }

  private mappingVia(index: MemTable<string, string>, key: string): Mapping | undefined {
    const mapId = index.rows.get(key);
    return mapId === undefined ? undefined : this.mappings.rows.get(mapId);
  }

  private nextRevision(): number {
    const revision = (this.meta.rows.get("revision") ?? 0) + 1;
    this.set(this.meta, "revision", revision);
    return revision;
  }

  /** Puts a mapping and keeps the unique crmId and itemId indexes in step. */
  private putMapping(mapping: Mapping): void {
    for (const [index, key] of [
      [this.byCrmId, mapping.crmId],
      [this.byItemId, mapping.itemId],
    ] as const) {
      const owner = key === null ? undefined : index.rows.get(key);
      if (owner !== undefined && owner !== mapping.mapId) throw uniqueKeyError(mapping.mapId, owner);
    }
    this.deleteMapping(mapping.mapId);
    this.set(this.mappings, mapping.mapId, mapping);
    if (mapping.crmId !== null) this.set(this.byCrmId, mapping.crmId, mapping.mapId);
    if (mapping.itemId !== null) this.set(this.byItemId, mapping.itemId, mapping.mapId);
  }

  private deleteMapping(mapId: string): void {
    const old = this.mappings.rows.get(mapId);
    if (!old) return;
    if (old.crmId !== null) this.set(this.byCrmId, old.crmId, undefined);
    if (old.itemId !== null) this.set(this.byItemId, old.itemId, undefined);
    this.set(this.mappings, mapId, undefined);
  }

  /** Appends conflicts under increasing sequence numbers and drops the oldest beyond the limit. */
  private addConflicts(conflicts: readonly ConflictRecord[]): void {
    let seq = this.meta.rows.get("conflictSeq") ?? 0;
    for (const conflict of conflicts) this.set(this.conflicts, ++seq, conflict);
    this.set(this.meta, "conflictSeq", seq);
    const excess = this.conflicts.rows.size - this.limits.conflictsKept;
    if (excess <= 0) return;
    const oldest = [...this.conflicts.rows.keys()].sort((a, b) => a - b).slice(0, excess);
    for (const key of oldest) this.set(this.conflicts, key, undefined);
  }

  /** Writes (or deletes, for undefined) one row and journals how to undo it. */
  private set<K, V>(table: MemTable<K, V>, key: K, value: V | undefined): void {
    const journal = this.journal;
    invariant(journal, "MemLocalCache wrote outside a transaction");
    const had = table.rows.has(key);
    const previous = table.rows.get(key);
    const sizeKey = `${table.name}\u0000${String(key)}`;
    const previousSize = this.sizes.get(sizeKey) ?? 0;
    const size = this.quotaBytes === undefined || value === undefined ? 0 : JSON.stringify(value).length;
    if (value === undefined) table.rows.delete(key);
    else table.rows.set(key, value);
    this.sizes.set(sizeKey, size);
    this.usedBytes += size - previousSize;
    journal.push(() => {
      if (had) table.rows.set(key, previous as V);
      else table.rows.delete(key);
      this.sizes.set(sizeKey, previousSize);
      this.usedBytes -= size - previousSize;
    });
  }

  /** Runs `body` as one all-or-nothing write. */
  private write<T>(body: () => T): Promise<T> {
    try {
      this.assertOpen();
      this.journal = [];
      const result = body();
      if (this.quotaBytes !== undefined && this.usedBytes > this.quotaBytes) {
        throw new SyncError("quotaExceeded", {
          details: `The in-memory cache is limited to ${this.quotaBytes} bytes; this write needed ${this.usedBytes}.`,
        });
      }
      this.journal = null;
      return Promise.resolve(result);
    } catch (error) {
      const journal = this.journal ?? [];
      this.journal = null;
      for (let i = journal.length - 1; i >= 0; i--) journal[i]?.();
      return Promise.reject(error instanceof Error ? error : new BugError(String(error)));
    }
  }

  /** Runs `body` and returns a copy of its result, so callers cannot change stored rows. */
  private read<T>(body: () => T): Promise<T> {
    try {
      this.assertOpen();
      return Promise.resolve(structuredClone(body()));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new BugError(String(error)));
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new BugError("MemLocalCache used after close()");
  }
}
