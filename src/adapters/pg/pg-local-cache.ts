/**
 * LocalCache on PostgreSQL (or PGlite) for the headless engine: one mailbox's cache, in the tables of
 * pg-cache-schema.ts keyed by mailbox. Same contract as IdbLocalCache and MemLocalCache (test/cache).
 * Every write is one transaction that first takes an advisory lock on the mailbox, so two writers of one
 * mailbox run one after the other and a failure (bad input, quota, a throwing callback, a lost connection)
 * rolls everything back: nothing is half-written.
 */
import { BugError, SyncError } from "../../core/errors";
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
import type { Database, SqlExecutor } from "../../server/db/database";
import { BY_TEXT, MailboxRows, WriteScope, tablesOf } from "./pg-cache-rows";
import { DEFAULT_CACHE_LIMITS, type CacheLimits } from "../cache-rules/cache-limits";
import {
  appliedBatchSchema,
  changeLogEntrySchema,
  checkBulkInput,
  checkInput,
  checkpointSchema,
  conflictListSchema,
  conflictSchema,
  countSchema,
  crmPageSchema,
  failureSchema,
  idListSchema,
  idSchema,
  logLineSchema,
  mappingListSchema,
  mappingSchema,
  outlookChangeSchema,
  packageStateSchema,
  pendingCreateSchema,
  settingsSchema,
  statusSchema,
  timeSchema,
} from "../cache-rules/cache-records";
import { mapIdInUseError, noMappingError, typeMismatchError } from "../cache-rules/cache-errors";
import {
  afterStaleHandling,
  withCrmChange,
  withFailure,
  withOutlookChange,
} from "../cache-rules/change-log-coalescing";
import { logSegmentName, planLogAppend } from "../cache-rules/log-segments";
import { crmMapping, outlookMapping } from "../cache-rules/new-mappings";

/** Options of {@link PgLocalCache}. */
export interface PgLocalCacheOptions {
  readonly db: Database;
  /** The cache schema, already migrated by `migrateCacheSchema`. */
  readonly schema: string;
  /** Whose cache this is: the CRM user id of the mailbox. */
  readonly mailbox: string;
  /** Stamps the CRM part of change-log entries. */
  readonly clock: Clock;
  readonly limits?: CacheLimits;
  /**
   * Fails a write with SyncError("quotaExceeded") when the mailbox's stored rows would exceed this many bytes
   * (their text length). Unlimited when absent.
   */
  readonly quotaBytes?: number;
}

export class PgLocalCache implements LocalCache {
  private readonly db: Database;
  private readonly rows: MailboxRows;
  private readonly clock: Clock;
  private readonly limits: CacheLimits;
  private readonly quotaBytes: number | undefined;
  private closed = false;

  constructor(options: PgLocalCacheOptions) {
    if (options.mailbox.length === 0) throw new BugError("PgLocalCache needs a mailbox (a CRM user id)");
    this.db = options.db;
    this.rows = new MailboxRows(
      tablesOf(options.schema),
      options.mailbox,
      options.limits ?? DEFAULT_CACHE_LIMITS,
    );
    this.clock = options.clock;
    this.limits = options.limits ?? DEFAULT_CACHE_LIMITS;
    this.quotaBytes = options.quotaBytes;
  }

  /** Server storage: durable. */
  storageInfo(): StorageInfo {
    return { kind: "postgres", persistent: true };
  }

  getMapping(mapId: string): Promise<Mapping | undefined> {
    return this.read((sql) => this.rows.mappingWhere(sql, "map_id", mapId));
  }

  getMappings(mapIds: readonly string[]): Promise<ReadonlyMap<string, Mapping>> {
    return this.read(async (sql) => {
      const ids = checkBulkInput(idSchema, mapIds, "mapIds");
      const result = await sql.query<{ map_id: string; body: string }>(
        `SELECT map_id, body FROM ${this.rows.t.mappings} WHERE mailbox = $1 AND map_id = ANY($2::text[])`,
        [this.rows.mailbox, ids],
      );
      return new Map(
        result.rows.map((row) => [
          row.map_id,
          this.rows.parse(mappingSchema, row.body, `mappings/${row.map_id}`),
        ]),
      );
    });
  }

  findByCrmId(crmId: string): Promise<Mapping | undefined> {
    return this.read((sql) => this.rows.mappingWhere(sql, "crm_id", crmId));
  }

  findByItemId(itemId: string): Promise<Mapping | undefined> {
    return this.read((sql) => this.rows.mappingWhere(sql, "item_id", itemId));
  }

  listMappings(type?: EntityType): Promise<readonly Mapping[]> {
    return this.read(async (sql) => {
      const result = await sql.query<{ map_id: string; body: string }>(
        `SELECT map_id, body FROM ${this.rows.t.mappings} WHERE mailbox = $1 AND ($2::text IS NULL OR type = $2)
         ORDER BY map_id ${BY_TEXT}`,
        [this.rows.mailbox, type ?? null],
      );
      return result.rows.map((row) => this.rows.parse(mappingSchema, row.body, `mappings/${row.map_id}`));
    });
  }

  countMappings(): Promise<number> {
    return this.read((sql) => this.rows.count(sql, this.rows.t.mappings));
  }

  putMappings(mappings: readonly Mapping[]): Promise<void> {
    return this.write(async (scope) => {
      for (const mapping of checkInput(mappingListSchema, mappings, "mappings")) {
        await this.rows.putMapping(scope.sql, mapping);
      }
    });
  }

  recordOutlookChange(change: OutlookChangeNotice): Promise<ChangeLogEntry> {
    return this.write(async (scope) => {
      const input = checkInput(outlookChangeSchema, change, "change");
      let mapping = await this.rows.mappingWhere(scope.sql, "item_id", input.itemId);
      if (!mapping) {
        if (!input.create) throw noMappingError(input.itemId);
        if (await this.rows.mappingWhere(scope.sql, "map_id", input.create.mapId)) {
          throw mapIdInUseError(input.create.mapId);
        }
        mapping = outlookMapping(input.itemId, input.create);
        await this.rows.putMapping(scope.sql, mapping);
      }
      const entry = withOutlookChange(
        await this.rows.entryOf(scope.sql, mapping.mapId),
        mapping.mapId,
        input,
        await scope.takeRevision(),
      );
      await this.rows.putEntry(scope.sql, entry);
      return entry;
    });
  }

  storeCrmPage(page: CrmPage, newMapId: () => string): Promise<void> {
    return this.write(async (scope) => {
      const input = checkInput(crmPageSchema, page, "page");
      const at = this.clock.now();
      for (const change of input.entries) {
        let mapping = await this.rows.mappingWhere(scope.sql, "crm_id", change.crmId);
        if (!mapping) {
          if (change.kind !== "upsert") continue;
          const mapId = newMapId();
          if (await this.rows.mappingWhere(scope.sql, "map_id", mapId)) throw mapIdInUseError(mapId);
          mapping = crmMapping(mapId, change.crmId, change.type);
          await this.rows.putMapping(scope.sql, mapping);
        }
        if (mapping.type !== change.type) throw typeMismatchError(change, mapping);
        if (mapping.crmVersion !== null && change.version <= mapping.crmVersion) continue;
        const entry = withCrmChange(
          await this.rows.entryOf(scope.sql, mapping.mapId),
          mapping.mapId,
          { ...change, at },
          await scope.peekRevision(),
        );
        if (!entry) continue;
        await scope.takeRevision();
        await this.rows.putEntry(scope.sql, entry);
      }
      await this.rows.putCheckpoint(scope.sql, input.checkpoint);
    });
  }

  dueEntries(now: number, limit: number): Promise<readonly ChangeLogEntry[]> {
    return this.read(async (sql) => {
      const until = checkInput(timeSchema, now, "now");
      const max = checkInput(countSchema, limit, "limit");
      const result = await sql.query<{ map_id: string; body: string }>(
        `SELECT map_id, body FROM ${this.rows.t.changes} WHERE mailbox = $1 AND next_attempt_at <= $2
         ORDER BY next_attempt_at, revision LIMIT $3`,
        [this.rows.mailbox, until, max],
      );
      return result.rows.map((row) =>
        this.rows.parse(changeLogEntrySchema, row.body, `changes/${row.map_id}`),
      );
    });
  }

  getEntry(mapId: string): Promise<ChangeLogEntry | undefined> {
    return this.read((sql) => this.rows.entryOf(sql, mapId));
  }

  countEntries(): Promise<number> {
    return this.read((sql) => this.rows.count(sql, this.rows.t.changes));
  }

  applyBatch(batch: AppliedBatch): Promise<void> {
    return this.write(async (scope) => {
      const { sql } = scope;
      const input = checkInput(appliedBatchSchema, batch, "batch");
      for (const mapId of input.deleteMappings) await this.rows.deleteMapping(sql, mapId);
      const applied = new Map<string, number | null>();
      for (const mapping of input.mappings) {
        await this.rows.putMapping(sql, mapping);
        applied.set(mapping.mapId, mapping.crmVersion);
      }
      for (const checkpoint of input.checkpoints) await this.rows.putCheckpoint(sql, checkpoint);
      if (input.pendingCreatesDone.length > 0) {
        await sql.query(
          `DELETE FROM ${this.rows.t.pendingCreates} WHERE mailbox = $1 AND idempotency_key = ANY($2::text[])`,
          [this.rows.mailbox, [...input.pendingCreatesDone]],
        );
      }
      await this.rows.addConflicts(scope, input.conflicts);
      if (input.packageState !== undefined)
        await this.rows.putDocument(sql, "packageState", input.packageState);
      for (const { mapId, revision } of input.handled) {
        const entry = await this.rows.entryOf(sql, mapId);
        if (!entry) continue;
        if (entry.revision === revision) {
          await this.rows.deleteEntry(sql, mapId);
          continue;
        }
        const next = afterStaleHandling(entry, applied.get(mapId) ?? null, await scope.peekRevision());
        if (next === entry) continue;
        if (next) {
          await scope.takeRevision();
          await this.rows.putEntry(sql, next);
        } else {
          await this.rows.deleteEntry(sql, mapId);
        }
      }
    });
  }

  markFailed(
    mapId: string,
    revision: number,
    error: { readonly code: string; readonly message: string },
    nextAttemptAt: number,
  ): Promise<ChangeLogEntry | undefined> {
    return this.write(async (scope) => {
      const input = checkInput(failureSchema, { mapId, revision, error, nextAttemptAt }, "failure");
      const entry = await this.rows.entryOf(scope.sql, input.mapId);
      if (!entry || entry.revision !== input.revision) return entry;
      const failed = withFailure(entry, input.error, input.nextAttemptAt, await scope.takeRevision());
      await this.rows.putEntry(scope.sql, failed);
      return failed;
    });
  }

  failedEntries(minAttempts: number): Promise<readonly ChangeLogEntry[]> {
    return this.read(async (sql) => {
      const min = checkInput(countSchema, minAttempts, "minAttempts");
      const result = await sql.query<{ map_id: string; body: string }>(
        `SELECT map_id, body FROM ${this.rows.t.changes} WHERE mailbox = $1 AND attempts >= $2
         ORDER BY attempts, map_id ${BY_TEXT}`,
        [this.rows.mailbox, min],
      );
      return result.rows.map((row) =>
        this.rows.parse(changeLogEntrySchema, row.body, `changes/${row.map_id}`),
      );
    });
  }

  reconciliationSlice(k: number): Promise<readonly Mapping[]> {
    return this.read(async (sql) => {
      const max = checkInput(countSchema, k, "k");
      const result = await sql.query<{ map_id: string; body: string }>(
        `SELECT map_id, body FROM ${this.rows.t.mappings}
         WHERE mailbox = $1 AND item_id IS NOT NULL AND NOT deleted_locally
         ORDER BY verified_time, map_id ${BY_TEXT} LIMIT $2`,
        [this.rows.mailbox, max],
      );
      return result.rows.map((row) => this.rows.parse(mappingSchema, row.body, `mappings/${row.map_id}`));
    });
  }

  markVerified(mapIds: readonly string[], now: number): Promise<void> {
    return this.write(async (scope) => {
      const ids = checkInput(idListSchema, mapIds, "mapIds");
      const at = checkInput(timeSchema, now, "now");
      for (const mapId of ids) {
        const mapping = await this.rows.mappingWhere(scope.sql, "map_id", mapId);
        if (mapping) await this.rows.putMapping(scope.sql, { ...mapping, verifiedTime: at });
      }
    });
  }

  getCheckpoint(key: string): Promise<Checkpoint | undefined> {
    return this.read(async (sql) => {
      const body = await this.rows.bodyOf(sql, this.rows.t.checkpoints, "key", key);
      return body === undefined ? undefined : this.rows.parse(checkpointSchema, body, `checkpoints/${key}`);
    });
  }

  putPendingCreate(create: PendingCreate): Promise<void> {
    return this.write(async (scope) => {
      const input = checkInput(pendingCreateSchema, create, "create");
      await scope.sql.query(
        `INSERT INTO ${this.rows.t.pendingCreates} (mailbox, idempotency_key, body) VALUES ($1, $2, $3)
         ON CONFLICT (mailbox, idempotency_key) DO UPDATE SET body = EXCLUDED.body`,
        [this.rows.mailbox, input.idempotencyKey, JSON.stringify(input)],
      );
    });
  }

  putPendingCreates(creates: readonly PendingCreate[]): Promise<void> {
    return this.write(async (scope) => {
      const input = checkBulkInput(pendingCreateSchema, creates, "creates");
      // One row per key, the last given: one INSERT may not update the same row twice.
      const last = new Map(input.map((create) => [create.idempotencyKey, JSON.stringify(create)]));
      await scope.sql.query(
        `INSERT INTO ${this.rows.t.pendingCreates} (mailbox, idempotency_key, body)
         SELECT $1, key, body FROM unnest($2::text[], $3::text[]) AS given(key, body)
         ON CONFLICT (mailbox, idempotency_key) DO UPDATE SET body = EXCLUDED.body`,
        [this.rows.mailbox, [...last.keys()], [...last.values()]],
      );
    });
  }

  getPendingCreate(idempotencyKey: string): Promise<PendingCreate | undefined> {
    return this.read(async (sql) => {
      const body = await this.rows.bodyOf(sql, this.rows.t.pendingCreates, "idempotency_key", idempotencyKey);
      return body === undefined
        ? undefined
        : this.rows.parse(pendingCreateSchema, body, `pendingCreates/${idempotencyKey}`);
    });
  }

  listPendingCreates(): Promise<readonly PendingCreate[]> {
    return this.read(async (sql) => {
      const result = await sql.query<{ idempotency_key: string; body: string }>(
        `SELECT idempotency_key, body FROM ${this.rows.t.pendingCreates} WHERE mailbox = $1
         ORDER BY idempotency_key ${BY_TEXT}`,
        [this.rows.mailbox],
      );
      return result.rows.map((row) =>
        this.rows.parse(pendingCreateSchema, row.body, `pendingCreates/${row.idempotency_key}`),
      );
    });
  }

  appendConflicts(conflicts: readonly ConflictRecord[]): Promise<void> {
    return this.write((scope) =>
      this.rows.addConflicts(scope, checkInput(conflictListSchema, conflicts, "conflicts")),
    );
  }

  listConflicts(limit: number): Promise<readonly ConflictRecord[]> {
    return this.read(async (sql) => {
      const max = checkInput(countSchema, limit, "limit");
      const result = await sql.query<{ seq: number; body: string }>(
        `SELECT seq, body FROM ${this.rows.t.conflicts} WHERE mailbox = $1 ORDER BY seq DESC LIMIT $2`,
        [this.rows.mailbox, max],
      );
      return result.rows.map((row) => this.rows.parse(conflictSchema, row.body, `conflicts/${row.seq}`));
    });
  }

  getSettings(): Promise<SyncSettings | undefined> {
    return this.read((sql) => this.rows.documentOf(sql, "settings", settingsSchema));
  }

  putSettings(settings: SyncSettings): Promise<void> {
    return this.write((scope) =>
      this.rows.putDocument(scope.sql, "settings", checkInput(settingsSchema, settings, "settings")),
    );
  }

  getStatus(): Promise<SyncStatus | undefined> {
    return this.read((sql) => this.rows.documentOf(sql, "status", statusSchema));
  }

  putStatus(status: SyncStatus): Promise<void> {
    return this.write((scope) =>
      this.rows.putDocument(scope.sql, "status", checkInput(statusSchema, status, "status")),
    );
  }

  getPackageState(): Promise<PackageState | undefined> {
    return this.read((sql) => this.rows.documentOf(sql, "packageState", packageStateSchema));
  }

  appendLog(line: string): Promise<void> {
    return this.write(async ({ sql }) => {
      const text = checkInput(logLineSchema, line, "line");
      const newest = await sql.query<{ seq: number; text: string; bytes: number }>(
        `SELECT seq, text, bytes FROM ${this.rows.t.logSegments} WHERE mailbox = $1 ORDER BY seq DESC LIMIT 1`,
        [this.rows.mailbox],
      );
      const row = newest.rows[0];
      const plan = planLogAppend(
        row && { seq: Number(row.seq), text: row.text, bytes: Number(row.bytes) },
        text,
        this.limits,
      );
      await sql.query(
        `INSERT INTO ${this.rows.t.logSegments} (mailbox, seq, text, bytes) VALUES ($1, $2, $3, $4)
         ON CONFLICT (mailbox, seq) DO UPDATE SET text = EXCLUDED.text, bytes = EXCLUDED.bytes`,
        [this.rows.mailbox, plan.write.seq, plan.write.text, plan.write.bytes],
      );
      await sql.query(`DELETE FROM ${this.rows.t.logSegments} WHERE mailbox = $1 AND seq <= $2`, [
        this.rows.mailbox,
        plan.dropUpTo,
      ]);
    });
  }

  exportLog(): Promise<string> {
    return this.read(async (sql) => (await this.rows.segments(sql)).map((segment) => segment.text).join(""));
  }

  listLogSegments(): Promise<readonly { readonly name: string; readonly bytes: number }[]> {
    return this.read(async (sql) =>
      (await this.rows.segments(sql)).map((segment) => ({
        name: logSegmentName(segment.seq),
        bytes: segment.bytes,
      })),
    );
  }

  clear(): Promise<void> {
    return this.write(async ({ sql }) => {
      for (const table of [
        this.rows.t.mappings,
        this.rows.t.changes,
        this.rows.t.checkpoints,
        this.rows.t.pendingCreates,
        this.rows.t.conflicts,
      ]) {
        await sql.query(`DELETE FROM ${table} WHERE mailbox = $1`, [this.rows.mailbox]);
      }
      await sql.query(
        `DELETE FROM ${this.rows.t.documents} WHERE mailbox = $1 AND name IN ('settings', 'status', 'packageState')`,
        [this.rows.mailbox],
      );
    });
  }

  /** Stops using the cache; the database stays open (its owner closes it). Idempotent. */
  close(): void {
    this.closed = true;
  }

  /** Runs `body` as one transaction under the mailbox's lock; everything or nothing is written. */
  private async write<T>(body: (scope: WriteScope) => Promise<T>): Promise<T> {
    this.assertOpen();
    return this.db.transaction(async (sql) => {
      await sql.query("SELECT pg_advisory_xact_lock(hashtext($1))", [
        `${this.rows.t.mappings}:${this.rows.mailbox}`,
      ]);
      const scope = new WriteScope(sql, this.rows.t, this.rows.mailbox);
      const result = await body(scope);
      await scope.flush();
      if (this.quotaBytes !== undefined) {
        const used = await this.rows.usedBytes(sql);
        if (used > this.quotaBytes) {
          throw new SyncError("quotaExceeded", {
            details: `The mailbox cache of ${this.rows.mailbox} is limited to ${this.quotaBytes} bytes; this write needed ${used}.`,
          });
        }
      }
      return result;
    });
  }

  private async read<T>(body: (sql: SqlExecutor) => Promise<T>): Promise<T> {
    this.assertOpen();
    return body(this.db);
  }

  private assertOpen(): void {
    if (this.closed) throw new BugError("PgLocalCache used after close()");
  }
}
