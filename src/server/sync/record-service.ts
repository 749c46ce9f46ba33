/**
 * Record reads and writes. Every write runs in one transaction that first takes its version (commit order),
 * then changes the record, its history, its tombstone and every affected user's feed, then queues a hint.
 */
import { randomUUID } from "node:crypto";
import type { CrmRecordType, Fields } from "../../core/types";
import type { CrmRecord, LookupHit, SpecificSyncData } from "../../ports/crm-client";
import { CrmRecordTypeSchema, FieldsSchema, LIMITS, UserIdSchema } from "../../protocol";
import type { SqlExecutor } from "../db/database";
import { allocateVersions, notifyChange, recordAudienceChange } from "./change-feed";
import { audienceOf, type FilterState } from "./filter-sql";
import {
  permits,
  readableBy,
  relationsOf,
  TRACKABLE_TYPES,
  userKeysSql,
  whoMay,
  type RecordAction,
} from "./record-access";
import { clearRemovedFromOutlook } from "./outlook-removals";
import { CRM_KEYS, deriveColumns, displayName, withoutNulls } from "./record-columns";
import { RECORD_COLUMNS, recordColumns, toCrmRecord, type RecordRow } from "./record-rows";
import { checkNewSeriesFields, checkSeriesPatch, liveExceptionIds } from "./series-rules";
import type { ServiceContext } from "./service-context";
import { InputError, isUuid, RecordConflictError, recordNotFound } from "./service-errors";
import { SyncError } from "../../core/errors";
import { parseInput } from "./validate-input";

/** A create, by user `by`. `owner` defaults to `by`; another owner takes an administrator. */
export interface CreateRecordRequest {
  readonly by: string;
  readonly type: CrmRecordType;
  readonly fields: Fields;
  readonly owner?: string;
  /** A replay of the same key by the same user returns the first result and writes nothing. */
  readonly idempotencyKey?: string;
  /** Also marks the record as tracked by hand by `by`; ignored for types the marker does not apply to. */
  readonly trackedByHand?: boolean;
}

type Operation = "create" | "update" | "delete" | "assign";

/** A row of GetSpecificSyncData: `fits` is false when the record would take the answer past its limit. */
type SizedRow = RecordRow & { visible: boolean; fits: boolean };

/** The fields as stored, refused past `LIMITS.recordBytes`. */
function boundedFieldsJson(fields: Fields): { text: string; bytes: number } {
  const text = JSON.stringify(fields);
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > LIMITS.recordBytes) {
    throw new InputError(
      "fields",
      `the record's fields would take ${bytes} bytes as JSON; a record holds at most ${LIMITS.recordBytes}`,
    );
  }
  return { text, bytes };
}

/** Rolls a create back when its idempotency key already holds a first result (which `create` then returns). */
class KeyAlreadyUsed extends Error {
  constructor(key: string) {
    super(`the idempotency key "${key}" already holds the result of an earlier create`);
  }
}

const filterState = (row: Pick<RecordRow, "id" | "type" | "owner" | "parties" | "deleted">): FilterState => ({
  id: row.id,
  type: row.type,
  owner: row.owner,
  parties: row.parties,
  deleted: row.deleted,
});

export class RecordService {
  constructor(private readonly ctx: ServiceContext) {}

  /** Creates a record; `replayed` tells a replayed idempotency key (the stored first result is returned). */
  async create(request: CreateRecordRequest): Promise<{ record: CrmRecord; replayed: boolean }> {
    const type = parseInput(CrmRecordTypeSchema, request.type, "type");
    const fields = withoutNulls(parseInput(FieldsSchema, request.fields, "fields"));
    const owner = parseInput(UserIdSchema, request.owner ?? request.by, "owner");
    const key = request.idempotencyKey;
    try {
      return await this.createOnce(request, type, fields, owner);
    } catch (error) {
      if (key === undefined) throw error;
      const first = await this.ctx.db.query<{ response: CrmRecord }>(
        "SELECT response FROM idempotency_keys WHERE user_id = $1 AND key = $2",
        [request.by, key],
      );
      const row = first.rows[0];
      if (row === undefined) throw error;
      return { record: row.response, replayed: true };
    }
  }

  /**
   * The create's transaction. The idempotency key is claimed last, with the first result, by an insert that
   * skips a key already held: a first attempt pays no look-up, and a replay (or a concurrent twin) rolls back
   * everything it wrote and leaves `create` to answer with the stored first result.
   */
  private createOnce(
    request: CreateRecordRequest,
    type: CrmRecordType,
    fields: Fields,
    owner: string,
  ): Promise<{ record: CrmRecord; replayed: boolean }> {
    return this.ctx.db.transaction(async (tx) => {
      const version = await allocateVersions(tx);
      const actor = await this.requireUser(tx, request.by, "by");
      if (owner !== request.by) {
        await this.requireUser(tx, owner, "owner");
        if (!actor.administrator) {
          throw new SyncError("forbidden", {
            details: "only a CRM administrator may create a record owned by another user",
          });
        }
      }
      await this.checkReferences(tx, request.by, type, fields);
      await checkNewSeriesFields(tx, request.by, type, fields);
      const now = this.ctx.clock.now();
      const id = randomUUID();
      const derived = deriveColumns(type, fields);
      const json = boundedFieldsJson(fields);
      await tx.query(
        `INSERT INTO records (id, type, owner, fields, version, modified_at, created_at, created_by,
                              search_name, parent_account_id, parties, regarding_id, fields_bytes)
         VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9, $10, $11, $12)`,
        [
          id,
          type,
          owner,
          json.text,
          version,
          now,
          request.by,
          derived.searchName,
          derived.parentAccountId,
          derived.parties,
          derived.regardingId,
          json.bytes,
        ],
      );
      if (request.trackedByHand && TRACKABLE_TYPES.includes(type)) {
        await tx.query("INSERT INTO tracked_by_hand (user_id, record_id, marked_at) VALUES ($1, $2, $3)", [
          request.by,
          id,
          now,
        ]);
      }
      const after: FilterState = { id, type, owner, parties: derived.parties, deleted: false };
      await this.commitChange(tx, "create", request.by, new Set(), after, version, now);
      const record = await this.readOne(tx, id);
      if (request.idempotencyKey !== undefined) {
        const claimed = await tx.query(
          `INSERT INTO idempotency_keys (user_id, key, record_id, response, created_at) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (user_id, key) DO NOTHING`,
          [request.by, request.idempotencyKey, id, JSON.stringify(record), now],
        );
        if (claimed.rowCount === 0) throw new KeyAlreadyUsed(request.idempotencyKey);
      }
      return { record, replayed: false };
    });
  }

  /**
   * Patches fields (`null` clears one). With `expectedVersion`, a record at another version fails with
   * RecordConflictError carrying the current record; without it the update is unconditional.
   */
  async update(request: {
    by: string;
    id: string;
    fields: Fields;
    expectedVersion?: number;
  }): Promise<CrmRecord> {
    const patch = parseInput(FieldsSchema, request.fields, "fields");
    return this.ctx.db.transaction(async (tx) => {
      const version = await allocateVersions(tx);
      const row = await this.loadForWrite(tx, request.by, request.id, "update", request.expectedVersion);
      const fields = withoutNulls({ ...row.fields, ...patch });
      if (Object.keys(fields).length > LIMITS.fieldsPerRecord) {
        throw new InputError("fields", `at most ${LIMITS.fieldsPerRecord} fields`);
      }
      await this.checkReferences(tx, request.by, row.type, patch);
      checkSeriesPatch(row.type, row.fields, patch);
      const before = await audienceOf(tx, filterState(row));
      const derived = deriveColumns(row.type, fields);
      const json = boundedFieldsJson(fields);
      const now = this.ctx.clock.now();
      await tx.query(
        `UPDATE records SET fields = $2, version = $3, modified_at = $4, search_name = $5, parent_account_id = $6,
                parties = $7, regarding_id = $8, fields_bytes = $9
          WHERE id = $1`,
        [
          row.id,
          json.text,
          version,
          now,
          derived.searchName,
          derived.parentAccountId,
          derived.parties,
          derived.regardingId,
          json.bytes,
        ],
      );
      const after = { ...filterState(row), parties: derived.parties };
      await this.commitChange(tx, "update", request.by, before, after, version, now);
      return this.readOne(tx, row.id);
    });
  }

  /**
   * Deletes a record: it stays as a deleted row, and a tombstone reaches every user who had it. Deleting an
   * appointment series deletes its exception records with it, in the same transaction (SPEC §15).
   */
  async delete(request: {
    by: string;
    id: string;
    expectedVersion?: number;
  }): Promise<{ id: string; version: number }> {
    return this.ctx.db.transaction(async (tx) => {
      const version = await allocateVersions(tx);
      const row = await this.loadForWrite(tx, request.by, request.id, "delete", request.expectedVersion);
      const now = this.ctx.clock.now();
      await this.markDeleted(tx, request.by, row, version, now);
      const exceptions = row.type === "appointment" ? await liveExceptionIds(tx, row.id) : [];
      if (exceptions.length > 0) {
        const first = await allocateVersions(tx, exceptions.length);
        for (const [index, id] of exceptions.entries()) {
          const exception = await this.readRow(tx, id);
          await this.markDeleted(tx, request.by, exception, first + index, now);
        }
      }
      return { id: row.id, version };
    });
  }

  private async markDeleted(
    tx: SqlExecutor,
    by: string,
    row: RecordRow,
    version: number,
    now: number,
  ): Promise<void> {
    const before = await audienceOf(tx, filterState(row));
    await tx.query("UPDATE records SET deleted = true, version = $2, modified_at = $3 WHERE id = $1", [
      row.id,
      version,
      now,
    ]);
    await tx.query(
      "INSERT INTO tombstones (record_id, type, version, deleted_at, deleted_by) VALUES ($1, $2, $3, $4, $5)",
      [row.id, row.type, version, now, by],
    );
    const after = { ...filterState(row), deleted: true };
    await this.commitChange(tx, "delete", by, before, after, version, now);
  }

  private async readRow(tx: SqlExecutor, id: string): Promise<RecordRow> {
    const result = await tx.query<RecordRow>(`SELECT ${RECORD_COLUMNS} FROM records r WHERE r.id = $1`, [id]);
    const row = result.rows[0];
    if (!row) throw recordNotFound(id);
    return row;
  }

  /** Reassigns a record to `owner`. Users who lose it from their filter get `leftFilter`. */
  async assign(request: { by: string; id: string; owner: string }): Promise<CrmRecord> {
    const owner = parseInput(UserIdSchema, request.owner, "owner");
    return this.ctx.db.transaction(async (tx) => {
      const version = await allocateVersions(tx);
      const row = await this.loadForWrite(tx, request.by, request.id, "assign", undefined);
      await this.requireUser(tx, owner, "owner");
      const before = await audienceOf(tx, filterState(row));
      const now = this.ctx.clock.now();
      await tx.query("UPDATE records SET owner = $2, version = $3, modified_at = $4 WHERE id = $1", [
        row.id,
        owner,
        version,
        now,
      ]);
      const after = { ...filterState(row), owner };
      await this.commitChange(tx, "assign", request.by, before, after, version, now);
      return this.readOne(tx, row.id);
    });
  }

  /**
   * Marks or unmarks a record as tracked by hand by `by`, who must be able to read it. The marker exists only
   * on the types whose filter counts it (contacts and e-mails): marking another type is invalidInput,
   * unmarking it succeeds with nothing to remove. Marking clears the user's "removed from Outlook" mark
   * (SPEC §8). The record itself does not change version.
   */
  async setTrackedByHand(request: { by: string; id: string; tracked: boolean }): Promise<void> {
    await this.ctx.db.transaction(async (tx) => {
      const version = await allocateVersions(tx);
      const row = await this.loadForWrite(tx, request.by, request.id, "read", undefined);
      if (!TRACKABLE_TYPES.includes(row.type)) {
        if (!request.tracked) return;
        throw new InputError(
          "id",
          `a ${row.type} cannot be tracked by hand: only ${TRACKABLE_TYPES.join(" and ")} records can`,
        );
      }
      const before = await audienceOf(tx, filterState(row));
      const now = this.ctx.clock.now();
      if (request.tracked) {
        await tx.query(
          "INSERT INTO tracked_by_hand (user_id, record_id, marked_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
          [request.by, row.id, now],
        );
        await clearRemovedFromOutlook(tx, request.by, row.id);
      } else {
        await tx.query("DELETE FROM tracked_by_hand WHERE user_id = $1 AND record_id = $2", [
          request.by,
          row.id,
        ]);
      }
      const after = await audienceOf(tx, filterState(row));
      const users = await recordAudienceChange(tx, {
        recordId: row.id,
        type: row.type,
        version,
        now,
        before,
        after,
        deleted: false,
        contentChanged: false,
      });
      await notifyChange(tx, this.ctx.channel, users, version);
    });
  }

  /**
   * GetSpecificSyncData: the records `by` may read, each distinct id once. Other ids are `missing`: `deleted`
   * when `by` could read the record or was sent its delete, `notFound` otherwise (unknown and unreadable ids
   * answer alike). Records are answered in the order asked until their fields reach `LIMITS.answerBytes`
   * (the first is always answered); the ids after that are `deferred`. Sizes come from `fields_bytes`, so
   * fields past the limit are never loaded. The plan must not need statistics: the ids are looked up with
   * `= ANY` (each partition's unique `id` index says one row per id; a join on `unnest` would be estimated at
   * a thousand times that, and so planned with JIT compilation costing seconds), and the sent delete is one
   * primary-key probe per record (a scalar subquery, which the planner cannot turn into a scan of the user's
   * whole feed).
   */
  async read(by: string, ids: readonly string[]): Promise<SpecificSyncData> {
    const distinct = [...new Map(ids.map((id) => [id.toLowerCase(), id])).values()];
    const wanted = distinct.filter(isUuid).map((id) => id.toLowerCase());
    const rows =
      wanted.length === 0
        ? []
        : (
            await this.ctx.db.query<SizedRow>(
              `WITH seen AS (
                 SELECT r.*, array_position($2::uuid[], r.id) AS position,
                        (${readableBy("$1")} OR (SELECT f.kind FROM change_feed f
                          WHERE f.user_id = $1 AND f.record_id = r.id) = 'delete') AS visible
                   FROM records r WHERE r.id = ANY($2::uuid[])),
               sized AS (
                 SELECT seen.*, sum(CASE WHEN visible AND NOT deleted THEN fields_bytes ELSE 0 END)
                          OVER (ORDER BY position) AS running,
                        count(*) FILTER (WHERE visible AND NOT deleted) OVER (ORDER BY position) AS answered
                   FROM seen)
               SELECT ${recordColumns("CASE WHEN r.running <= $3 OR r.answered = 1 THEN r.fields END")},
                      r.visible, (r.running <= $3 OR r.answered = 1) AS fits
                 FROM sized r`,
              [by, wanted, LIMITS.answerBytes],
            )
          ).rows;
    const byId = new Map(rows.filter((row) => row.visible).map((row) => [row.id, row]));
    const records: CrmRecord[] = [];
    const missing: { id: string; reason: "deleted" | "notFound" }[] = [];
    const deferred: string[] = [];
    for (const id of distinct) {
      const row = byId.get(id.toLowerCase());
      if (row && !row.deleted) {
        if (row.fits) records.push(toCrmRecord(row));
        else deferred.push(id);
      } else missing.push({ id, reason: row ? "deleted" : "notFound" });
    }
    return { records, missing, ...(deferred.length > 0 ? { deferred } : {}) };
  }

  /** Set Regarding look-up: live accounts and contacts `by` may read whose name or a word of it starts with `text`. */
  async lookup(
    by: string,
    text: string,
    types: readonly ("account" | "contact")[],
    limit: number,
  ): Promise<LookupHit[]> {
    const prefix = text.toLowerCase().replace(/[\\%_]/g, (char) => `\\${char}`);
    const result = await this.ctx.db.query<RecordRow>(
      `SELECT ${RECORD_COLUMNS} FROM records r
        WHERE r.type = ANY($2::text[]) AND NOT r.deleted
          AND (r.search_name LIKE $3 || '%' OR r.search_name LIKE '% ' || $3 || '%')
          AND ${readableBy("$1")}
        ORDER BY r.search_name, r.id LIMIT $4`,
      [by, types, prefix, limit],
    );
    return result.rows.map((row) => ({
      id: row.id,
      type: row.type === "account" ? "account" : "contact",
      name: displayName(row.type, row.fields) ?? "",
    }));
  }

  /** The type of live record `id` when `by` may read it; undefined otherwise. */
  async readableType(by: string, id: string): Promise<CrmRecordType | undefined> {
    if (!isUuid(id)) return undefined;
    const result = await this.ctx.db.query<{ type: CrmRecordType }>(
      `SELECT r.type FROM records r WHERE r.id = $1 AND NOT r.deleted AND ${readableBy("$2")}`,
      [id, by],
    );
    return result.rows[0]?.type;
  }

  /** Every record, deleted ones included, in creation order: for administration and the simulator's output. */
  async listAll(): Promise<CrmRecord[]> {
    const result = await this.ctx.db.query<RecordRow>(
      `SELECT ${RECORD_COLUMNS} FROM records r ORDER BY r.created_at, r.id`,
    );
    return result.rows.map(toCrmRecord);
  }

  /** One record by id, deleted or not, regardless of who may read it; undefined when unknown. */
  async get(id: string): Promise<CrmRecord | undefined> {
    if (!isUuid(id)) return undefined;
    const result = await this.ctx.db.query<RecordRow>(
      `SELECT ${RECORD_COLUMNS} FROM records r WHERE r.id = $1`,
      [id],
    );
    const row = result.rows[0];
    return row ? toCrmRecord(row) : undefined;
  }

  private async readOne(tx: SqlExecutor, id: string): Promise<CrmRecord> {
    return toCrmRecord(await this.readRow(tx, id));
  }

  /**
   * The live record `id`, locked, when `by` may do `action` to it: notFound when they may not even read it
   * (or it does not exist), forbidden when they may read it but not do `action`, conflict on a stale version.
   */
  private async loadForWrite(
    tx: SqlExecutor,
    by: string,
    id: string,
    action: RecordAction,
    expectedVersion: number | undefined,
  ): Promise<RecordRow> {
    const row = await this.loadPermitted(tx, by, id, action, "FOR UPDATE OF r");
    if (expectedVersion !== undefined && row.version !== expectedVersion) {
      throw new RecordConflictError(toCrmRecord(row), expectedVersion);
    }
    return row;
  }

  /** True when `by` may do `action` to live record `id` now. */
  async permits(by: string, id: string, action: RecordAction): Promise<boolean> {
    try {
      await this.loadPermitted(this.ctx.db, by, id, action, "");
      return true;
    } catch (error) {
      if (error instanceof SyncError && (error.code === "notFound" || error.code === "forbidden"))
        return false;
      throw error;
    }
  }

  private async loadPermitted(
    executor: SqlExecutor,
    by: string,
    id: string,
    action: RecordAction,
    lock: "FOR UPDATE OF r" | "",
  ): Promise<RecordRow> {
    if (!isUuid(id)) throw recordNotFound(id);
    const result = await executor.query<
      RecordRow & { user_keys: string[] | null; tracked: boolean; administrator: boolean | null }
    >(
      `SELECT ${RECORD_COLUMNS}, ${userKeysSql("$2")} AS user_keys,
              EXISTS (SELECT 1 FROM tracked_by_hand t WHERE t.user_id = $2 AND t.record_id = r.id) AS tracked,
              (SELECT u.administrator FROM users u WHERE u.id = $2) AS administrator
         FROM records r WHERE r.id = $1 AND NOT r.deleted ${lock}`,
      [id, by],
    );
    const row = result.rows[0];
    if (!row) throw recordNotFound(id);
    const relations = relationsOf(row, by, row.user_keys ?? [], row.tracked);
    const administrator = row.administrator === true;
    if (!permits(row.type, "read", relations, administrator)) throw recordNotFound(id);
    if (!permits(row.type, action, relations, administrator)) {
      throw new SyncError("forbidden", { details: whoMay(row.type, action) });
    }
    return row;
  }

  private async requireUser(tx: SqlExecutor, id: string, field: string): Promise<{ administrator: boolean }> {
    const result = await tx.query<{ administrator: boolean }>(
      "SELECT administrator FROM users WHERE id = $1",
      [id],
    );
    const user = result.rows[0];
    if (!user) throw new InputError(field, `no user "${id}"`);
    return user;
  }

  /**
   * A contact's parent must be a live account and an e-mail's regarding record a live record, both readable
   * by `by`. A missing, deleted, unreadable or wrongly typed target answers the same, so the answer tells
   * nothing about records `by` cannot read.
   */
  private async checkReferences(
    tx: SqlExecutor,
    by: string,
    type: CrmRecordType,
    fields: Fields,
  ): Promise<void> {
    const checks: [string, CrmRecordType | null | undefined][] = [
      [CRM_KEYS.parentAccount, type === "contact" ? "account" : undefined],
      [CRM_KEYS.regarding, type === "email" ? null : undefined],
    ];
    for (const [key, wantedType] of checks) {
      const value = fields[key];
      if (wantedType === undefined || value === undefined || value === null) continue;
      if (typeof value !== "string" || !isUuid(value))
        throw new InputError(`fields.${key}`, "must be a record id");
      const result = await tx.query(
        `SELECT 1 FROM records r WHERE r.id = $1 AND NOT r.deleted AND ($2::text IS NULL OR r.type = $2)
            AND ${readableBy("$3")}`,
        [value, wantedType, by],
      );
      if (result.rows.length === 0) {
        throw new InputError(`fields.${key}`, `no ${wantedType ?? "record"} ${value} that you can read`);
      }
    }
  }

  /** Feed rows, history row and hint of one change. */
  private async commitChange(
    tx: SqlExecutor,
    operation: Operation,
    by: string,
    before: ReadonlySet<string>,
    afterState: FilterState,
    version: number,
    now: number,
  ): Promise<void> {
    const after = await audienceOf(tx, afterState);
    const users = await recordAudienceChange(tx, {
      recordId: afterState.id,
      type: afterState.type,
      version,
      now,
      before,
      after,
      deleted: afterState.deleted,
      contentChanged: true,
    });
    await tx.query(
      `INSERT INTO record_versions (record_id, version, operation, owner, changed_by, changed_at)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [afterState.id, version, operation, afterState.owner, by, now],
    );
    await notifyChange(tx, this.ctx.channel, users, version);
  }
}
