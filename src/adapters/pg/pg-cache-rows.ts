/**
 * The rows of one mailbox in the cache schema, as PgLocalCache reads and writes them: every statement names
 * the mailbox, bodies are the records' JSON text, and rows read back are checked against the records' schemas.
 */
import type { z } from "zod";
import type { ChangeLogEntry, Checkpoint, ConflictRecord, Mapping } from "../../ports/local-cache";
import { assertSchemaName, type SqlExecutor } from "../../server/db/database";
import type { CacheLimits } from "../cache-rules/cache-limits";
import { changeLogEntrySchema, checkStored, mappingSchema } from "../cache-rules/cache-records";
import { uniqueKeyError } from "../cache-rules/cache-errors";

export type DocumentName = "settings" | "status" | "packageState";

/** The rows of one write transaction, with the mailbox's counters read once and written back at the end. */
export class WriteScope {
  private counters: { revision: number; conflictSeq: number; dirty: boolean } | null = null;

  constructor(
    readonly sql: SqlExecutor,
    private readonly t: Tables,
    private readonly mailbox: string,
  ) {}

  async peekRevision(): Promise<number> {
    return (await this.loadCounters()).revision + 1;
  }

  async takeRevision(): Promise<number> {
    const counters = await this.loadCounters();
    counters.revision += 1;
    counters.dirty = true;
    return counters.revision;
  }

  async takeConflictSeq(): Promise<number> {
    const counters = await this.loadCounters();
    counters.conflictSeq += 1;
    counters.dirty = true;
    return counters.conflictSeq;
  }

  async flush(): Promise<void> {
    if (!this.counters?.dirty) return;
    await this.sql.query(
      `INSERT INTO ${this.t.counters} (mailbox, revision, conflict_seq) VALUES ($1, $2, $3)
       ON CONFLICT (mailbox) DO UPDATE SET revision = EXCLUDED.revision, conflict_seq = EXCLUDED.conflict_seq`,
      [this.mailbox, this.counters.revision, this.counters.conflictSeq],
    );
  }

  private async loadCounters(): Promise<{ revision: number; conflictSeq: number; dirty: boolean }> {
    if (this.counters) return this.counters;
    const result = await this.sql.query<{ revision: number; conflict_seq: number }>(
      `SELECT revision, conflict_seq FROM ${this.t.counters} WHERE mailbox = $1`,
      [this.mailbox],
    );
    const row = result.rows[0];
    this.counters = {
      revision: Number(row?.revision ?? 0),
      conflictSeq: Number(row?.conflict_seq ?? 0),
      dirty: false,
    };
    return this.counters;
  }
}

/** Qualified table names of one cache schema. */
export interface Tables {
  readonly mappings: string;
  readonly changes: string;
  readonly checkpoints: string;
  readonly pendingCreates: string;
  readonly conflicts: string;
  readonly documents: string;
  readonly logSegments: string;
  readonly counters: string;
}

export function tablesOf(schema: string): Tables {
  const s = assertSchemaName(schema);
  return {
    mappings: `${s}.mappings`,
    changes: `${s}.changes`,
    checkpoints: `${s}.checkpoints`,
    pendingCreates: `${s}.pending_creates`,
    conflicts: `${s}.conflicts`,
    documents: `${s}.documents`,
    logSegments: `${s}.log_segments`,
    counters: `${s}.counters`,
  };
}

export const BY_TEXT = 'COLLATE "C"';

/** Row access for one mailbox. */
export class MailboxRows {
  constructor(
    readonly t: Tables,
    readonly mailbox: string,
    private readonly limits: CacheLimits,
  ) {}

  async mappingWhere(
    sql: SqlExecutor,
    column: "map_id" | "crm_id" | "item_id",
    value: string,
  ): Promise<Mapping | undefined> {
    const body = await this.bodyOf(sql, this.t.mappings, column, value);
    return body === undefined ? undefined : this.parse(mappingSchema, body, `mappings/${column}=${value}`);
  }

  async entryOf(sql: SqlExecutor, mapId: string): Promise<ChangeLogEntry | undefined> {
    const body = await this.bodyOf(sql, this.t.changes, "map_id", mapId);
    return body === undefined ? undefined : this.parse(changeLogEntrySchema, body, `changes/${mapId}`);
  }

  async bodyOf(sql: SqlExecutor, table: string, column: string, value: string): Promise<string | undefined> {
    const result = await sql.query<{ body: string }>(
      `SELECT body FROM ${table} WHERE mailbox = $1 AND ${column} = $2`,
      [this.mailbox, value],
    );
    return result.rows[0]?.body;
  }

  async documentOf<T>(sql: SqlExecutor, name: DocumentName, schema: z.ZodType<T>): Promise<T | undefined> {
    const body = await this.bodyOf(sql, this.t.documents, "name", name);
    return body === undefined ? undefined : this.parse(schema, body, `documents/${name}`);
  }

  async putDocument(sql: SqlExecutor, name: DocumentName, value: unknown): Promise<void> {
    await sql.query(
      `INSERT INTO ${this.t.documents} (mailbox, name, body) VALUES ($1, $2, $3)
       ON CONFLICT (mailbox, name) DO UPDATE SET body = EXCLUDED.body`,
      [this.mailbox, name, JSON.stringify(value)],
    );
  }

  async count(sql: SqlExecutor, table: string): Promise<number> {
    const result = await sql.query<{ n: number }>(`SELECT count(*) AS n FROM ${table} WHERE mailbox = $1`, [
      this.mailbox,
    ]);
    return Number(result.rows[0]?.n ?? 0);
  }

  async segments(sql: SqlExecutor): Promise<{ seq: number; text: string; bytes: number }[]> {
    const result = await sql.query<{ seq: number; text: string; bytes: number }>(
      `SELECT seq, text, bytes FROM ${this.t.logSegments} WHERE mailbox = $1 ORDER BY seq`,
      [this.mailbox],
    );
    return result.rows.map((row) => ({ seq: Number(row.seq), text: row.text, bytes: Number(row.bytes) }));
  }

  /** Puts a mapping after checking that its crmId and itemId belong to no other mapping. */
  async putMapping(sql: SqlExecutor, mapping: Mapping): Promise<void> {
    for (const [column, key] of [
      ["crm_id", mapping.crmId],
      ["item_id", mapping.itemId],
    ] as const) {
      if (key === null) continue;
      const owner = await sql.query<{ map_id: string }>(
        `SELECT map_id FROM ${this.t.mappings} WHERE mailbox = $1 AND ${column} = $2`,
        [this.mailbox, key],
      );
      const holder = owner.rows[0]?.map_id;
      if (holder !== undefined && holder !== mapping.mapId) throw uniqueKeyError(mapping.mapId, holder);
    }
    await sql.query(
      `INSERT INTO ${this.t.mappings} (mailbox, map_id, crm_id, item_id, type, deleted_locally, verified_time, body)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (mailbox, map_id) DO UPDATE SET crm_id = EXCLUDED.crm_id, item_id = EXCLUDED.item_id,
         type = EXCLUDED.type, deleted_locally = EXCLUDED.deleted_locally,
         verified_time = EXCLUDED.verified_time, body = EXCLUDED.body`,
      [
        this.mailbox,
        mapping.mapId,
        mapping.crmId,
        mapping.itemId,
        mapping.type,
        mapping.deletedLocally,
        mapping.verifiedTime,
        JSON.stringify(mapping),
      ],
    );
  }

  deleteMapping(sql: SqlExecutor, mapId: string): Promise<void> {
    return this.deleteByMapId(sql, this.t.mappings, mapId);
  }

  async putEntry(sql: SqlExecutor, entry: ChangeLogEntry): Promise<void> {
    await sql.query(
      `INSERT INTO ${this.t.changes} (mailbox, map_id, revision, next_attempt_at, attempts, body)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (mailbox, map_id) DO UPDATE SET revision = EXCLUDED.revision,
         next_attempt_at = EXCLUDED.next_attempt_at, attempts = EXCLUDED.attempts, body = EXCLUDED.body`,
      [this.mailbox, entry.mapId, entry.revision, entry.nextAttemptAt, entry.attempts, JSON.stringify(entry)],
    );
  }

  deleteEntry(sql: SqlExecutor, mapId: string): Promise<void> {
    return this.deleteByMapId(sql, this.t.changes, mapId);
  }

  private async deleteByMapId(sql: SqlExecutor, table: string, mapId: string): Promise<void> {
    await sql.query(`DELETE FROM ${table} WHERE mailbox = $1 AND map_id = $2`, [this.mailbox, mapId]);
  }

  async putCheckpoint(sql: SqlExecutor, checkpoint: Checkpoint): Promise<void> {
    await sql.query(
      `INSERT INTO ${this.t.checkpoints} (mailbox, key, body) VALUES ($1, $2, $3)
       ON CONFLICT (mailbox, key) DO UPDATE SET body = EXCLUDED.body`,
      [this.mailbox, checkpoint.key, JSON.stringify(checkpoint)],
    );
  }

  /** Appends conflicts under increasing sequence numbers and drops the oldest beyond the limit. */
  async addConflicts(scope: WriteScope, conflicts: readonly ConflictRecord[]): Promise<void> {
    if (conflicts.length === 0) return;
    for (const conflict of conflicts) {
      await scope.sql.query(`INSERT INTO ${this.t.conflicts} (mailbox, seq, body) VALUES ($1, $2, $3)`, [
        this.mailbox,
        await scope.takeConflictSeq(),
        JSON.stringify(conflict),
      ]);
    }
    await scope.sql.query(
      `DELETE FROM ${this.t.conflicts} WHERE mailbox = $1 AND seq NOT IN
         (SELECT seq FROM ${this.t.conflicts} WHERE mailbox = $1 ORDER BY seq DESC LIMIT $2)`,
      [this.mailbox, this.limits.conflictsKept],
    );
  }

  /** The text size of everything this mailbox stores (the quota's measure). */
  async usedBytes(sql: SqlExecutor): Promise<number> {
    const parts = [
      this.t.mappings,
      this.t.changes,
      this.t.checkpoints,
      this.t.pendingCreates,
      this.t.conflicts,
      this.t.documents,
    ].map((table) => `SELECT coalesce(sum(octet_length(body)), 0) AS n FROM ${table} WHERE mailbox = $1`);
    parts.push(`SELECT coalesce(sum(bytes), 0) AS n FROM ${this.t.logSegments} WHERE mailbox = $1`);
    const result = await sql.query<{ n: number }>(
      `SELECT sum(n)::bigint AS n FROM (${parts.join(" UNION ALL ")}) AS sizes`,
      [this.mailbox],
    );
    return Number(result.rows[0]?.n ?? 0);
  }

  parse<T>(schema: z.ZodType<T>, body: string, where: string): T {
    return checkStored(schema, JSON.parse(body) as unknown, `${this.mailbox}/${where}`);
  }
}
