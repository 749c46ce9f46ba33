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
import { CRM_KEYS, deriveColumns, displayName, withoutNulls } from "./record-columns";
import { RECORD_COLUMNS, toCrmRecord, visibleTo, type RecordRow } from "./record-rows";
import type { ServiceContext } from "./service-context";
import { InputError, isUuid, RecordConflictError, recordNotFound } from "./service-errors";
import { parseInput } from "./validate-input";

/** A create, by user `by`. `owner` defaults to `by`. */
export interface CreateRecordRequest {
  readonly by: string;
  readonly type: CrmRecordType;
  readonly fields: Fields;
  readonly owner?: string;
  /** A replay of the same key by the same user returns the first result and writes nothing. */
  readonly idempotencyKey?: string;
  /** Also marks the record as tracked by hand by `by` (SPEC §4; meaningful for contacts). */
  readonly trackedByHand?: boolean;
}

type Operation = "create" | "update" | "delete" | "assign";

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
    return this.ctx.db.transaction(async (tx) => {
      const version = await allocateVersions(tx);
      if (request.idempotencyKey !== undefined) {
        const replay = await tx.query<{ response: CrmRecord }>(
          "SELECT response FROM idempotency_keys WHERE user_id = $1 AND key = $2",
          [request.by, request.idempotencyKey],
        );
        const first = replay.rows[0];
        if (first) return { record: first.response, replayed: true };
      }
      await this.requireUser(tx, request.by, "by");
      await this.requireUser(tx, owner, "owner");
      await this.checkReferences(tx, type, fields);
      const now = this.ctx.clock.now();
      const id = randomUUID();
      const derived = deriveColumns(type, fields);
      await tx.query(
        `INSERT INTO records (id, type, owner, fields, version, modified_at, created_at, created_by,
                              search_name, parent_account_id, parties, regarding_id)
         VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9, $10, $11)`,
        [
          id,
          type,
          owner,
          JSON.stringify(fields),
          version,
          now,
          request.by,
          derived.searchName,
          derived.parentAccountId,
          derived.parties,
          derived.regardingId,
        ],
      );
      if (request.trackedByHand) {
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
        await tx.query(
          "INSERT INTO idempotency_keys (user_id, key, record_id, response, created_at) VALUES ($1, $2, $3, $4, $5)",
          [request.by, request.idempotencyKey, id, JSON.stringify(record), now],
        );
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
      const row = await this.loadForWrite(tx, request.by, request.id, request.expectedVersion);
      const fields = withoutNulls({ ...row.fields, ...patch });
      if (Object.keys(fields).length > LIMITS.fieldsPerRecord) {
        throw new InputError("fields", `at most ${LIMITS.fieldsPerRecord} fields`);
      }
      await this.checkReferences(tx, row.type, patch);
      const before = await audienceOf(tx, filterState(row));
      const derived = deriveColumns(row.type, fields);
      const now = this.ctx.clock.now();
      await tx.query(
        `UPDATE records SET fields = $2, version = $3, modified_at = $4, search_name = $5, parent_account_id = $6,
                parties = $7, regarding_id = $8
          WHERE id = $1`,
        [
          row.id,
          JSON.stringify(fields),
          version,
          now,
          derived.searchName,
          derived.parentAccountId,
          derived.parties,
          derived.regardingId,
        ],
      );
      const after = { ...filterState(row), parties: derived.parties };
      await this.commitChange(tx, "update", request.by, before, after, version, now);
      return this.readOne(tx, row.id);
    });
  }

  /** Deletes a record: it stays as a deleted row, and a tombstone reaches every user who had it. */
  async delete(request: {
    by: string;
    id: string;
    expectedVersion?: number;
  }): Promise<{ id: string; version: number }> {
    return this.ctx.db.transaction(async (tx) => {
      const version = await allocateVersions(tx);
      const row = await this.loadForWrite(tx, request.by, request.id, request.expectedVersion);
      const before = await audienceOf(tx, filterState(row));
      const now = this.ctx.clock.now();
      await tx.query("UPDATE records SET deleted = true, version = $2, modified_at = $3 WHERE id = $1", [
        row.id,
        version,
        now,
      ]);
      await tx.query(
        "INSERT INTO tombstones (record_id, type, version, deleted_at, deleted_by) VALUES ($1, $2, $3, $4, $5)",
        [row.id, row.type, version, now, request.by],
      );
      const after = { ...filterState(row), deleted: true };
      await this.commitChange(tx, "delete", request.by, before, after, version, now);
      return { id: row.id, version };
    });
  }

  /** Reassigns a record to `owner`. Users who lose it from their filter get `leftFilter`. */
  async assign(request: { by: string; id: string; owner: string }): Promise<CrmRecord> {
    const owner = parseInput(UserIdSchema, request.owner, "owner");
    return this.ctx.db.transaction(async (tx) => {
      const version = await allocateVersions(tx);
      const row = await this.loadForWrite(tx, request.by, request.id, undefined);
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

  /** Marks or unmarks a record as tracked by hand by `by`. The record itself does not change version. */
  async setTrackedByHand(request: { by: string; id: string; tracked: boolean }): Promise<void> {
    await this.ctx.db.transaction(async (tx) => {
      const version = await allocateVersions(tx);
      const row = await this.loadForWrite(tx, request.by, request.id, undefined);
      const before = await audienceOf(tx, filterState(row));
      const now = this.ctx.clock.now();
      await (request.tracked
        ? tx.query(
            "INSERT INTO tracked_by_hand (user_id, record_id, marked_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            [request.by, row.id, now],
          )
        : tx.query("DELETE FROM tracked_by_hand WHERE user_id = $1 AND record_id = $2", [
            request.by,
            row.id,
          ]));
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
   * GetSpecificSyncData: the records `by` may read. Other ids are `missing`: `deleted` when `by` could read the
   * record or was sent its delete, `notFound` otherwise (unknown and invisible ids are not told apart).
   */
  async read(by: string, ids: readonly string[]): Promise<SpecificSyncData> {
    const wanted = [...new Set(ids.filter(isUuid).map((id) => id.toLowerCase()))];
    const rows =
      wanted.length === 0
        ? []
        : (
            await this.ctx.db.query<RecordRow & { visible: boolean }>(
              `SELECT ${RECORD_COLUMNS}, (${visibleTo("$1")} OR EXISTS (SELECT 1 FROM change_feed f
                  WHERE f.user_id = $1 AND f.record_id = r.id AND f.kind = 'delete')) AS visible
                 FROM records r WHERE r.id = ANY($2::uuid[])`,
              [by, wanted],
            )
          ).rows;
    const byId = new Map(rows.filter((row) => row.visible).map((row) => [row.id, row]));
    const records: CrmRecord[] = [];
    const missing: { id: string; reason: "deleted" | "notFound" }[] = [];
    for (const id of ids) {
      const row = byId.get(id.toLowerCase());
      if (row && !row.deleted) records.push(toCrmRecord(row));
      else missing.push({ id, reason: row ? "deleted" : "notFound" });
    }
    return { records, missing };
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
          AND ${visibleTo("$1")}
        ORDER BY r.search_name, r.id LIMIT $4`,
      [by, types, prefix, limit],
    );
    return result.rows.map((row) => ({
      id: row.id,
      type: row.type === "account" ? "account" : "contact",
      name: displayName(row.type, row.fields) ?? "",
    }));
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
    const result = await tx.query<RecordRow>(`SELECT ${RECORD_COLUMNS} FROM records r WHERE r.id = $1`, [id]);
    const row = result.rows[0];
    if (!row) throw recordNotFound(id);
    return toCrmRecord(row);
  }

  /** The live record `id` as `by` may see it, locked; notFound otherwise; conflict on a stale version. */
  private async loadForWrite(
    tx: SqlExecutor,
    by: string,
    id: string,
    expectedVersion: number | undefined,
  ): Promise<RecordRow> {
    if (!isUuid(id)) throw recordNotFound(id);
    const result = await tx.query<RecordRow>(
      `SELECT ${RECORD_COLUMNS} FROM records r WHERE r.id = $1 AND NOT r.deleted AND ${visibleTo("$2")} FOR UPDATE OF r`,
      [id, by],
    );
    const row = result.rows[0];
    if (!row) throw recordNotFound(id);
    if (expectedVersion !== undefined && row.version !== expectedVersion) {
      throw new RecordConflictError(toCrmRecord(row), expectedVersion);
    }
    return row;
  }

  private async requireUser(tx: SqlExecutor, id: string, field: string): Promise<void> {
    const result = await tx.query("SELECT 1 FROM users WHERE id = $1", [id]);
    if (result.rows.length === 0) throw new InputError(field, `no user "${id}"`);
  }

  /** A contact's parent must be a live account; an e-mail's regarding record must exist and be live. */
  private async checkReferences(tx: SqlExecutor, type: CrmRecordType, fields: Fields): Promise<void> {
    const checks: [string, string | null][] = [
      [CRM_KEYS.parentAccount, type === "contact" ? "account" : null],
      [CRM_KEYS.regarding, type === "email" ? "" : null],
    ];
    for (const [key, wantedType] of checks) {
      const value = fields[key];
      if (wantedType === null || value === undefined || value === null) continue;
      if (typeof value !== "string" || !isUuid(value))
        throw new InputError(`fields.${key}`, "must be a record id");
      const result = await tx.query<{ type: string }>(
        "SELECT type FROM records WHERE id = $1 AND NOT deleted",
        [value],
      );
      const target = result.rows[0];
      if (!target || (wantedType !== "" && target.type !== wantedType)) {
        throw new InputError(`fields.${key}`, `no live ${wantedType || "record"} ${value}`);
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
