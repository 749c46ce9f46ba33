/**
 * The tables of {@link PgLocalCache}: one set for every mailbox, keyed by mailbox (the CRM user id), in their
 * own schema beside the CRM's, with their own migration list (the CRM's numbered migrations never touch them).
 */
import { assertSchemaName, type Database } from "../../server/db/database";

/** One step of the cache schema; `sql` uses `{schema}` for the cache schema's name. */
interface CacheMigration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

const CACHE_MIGRATIONS: readonly CacheMigration[] = [
  {
    version: 1,
    name: "mailbox cache tables",
    sql: `
CREATE TABLE {schema}.mappings (
  mailbox text NOT NULL,
  map_id text NOT NULL,
  crm_id text,
  item_id text,
  type text NOT NULL,
  deleted_locally boolean NOT NULL,
  verified_time bigint NOT NULL,
  body text NOT NULL,
  PRIMARY KEY (mailbox, map_id),
  UNIQUE (mailbox, crm_id),
  UNIQUE (mailbox, item_id)
);
CREATE INDEX mappings_reconciliation ON {schema}.mappings (mailbox, verified_time, map_id)
  WHERE item_id IS NOT NULL AND NOT deleted_locally;
CREATE TABLE {schema}.changes (
  mailbox text NOT NULL,
  map_id text NOT NULL,
  revision bigint NOT NULL,
  next_attempt_at bigint NOT NULL,
  attempts integer NOT NULL,
  body text NOT NULL,
  PRIMARY KEY (mailbox, map_id)
);
CREATE INDEX changes_due ON {schema}.changes (mailbox, next_attempt_at, revision);
CREATE TABLE {schema}.checkpoints (
  mailbox text NOT NULL,
  key text NOT NULL,
  body text NOT NULL,
  PRIMARY KEY (mailbox, key)
);
CREATE TABLE {schema}.pending_creates (
  mailbox text NOT NULL,
  idempotency_key text NOT NULL,
  body text NOT NULL,
  PRIMARY KEY (mailbox, idempotency_key)
);
CREATE TABLE {schema}.conflicts (
  mailbox text NOT NULL,
  seq bigint NOT NULL,
  body text NOT NULL,
  PRIMARY KEY (mailbox, seq)
);
-- settings, status and packageState: one row each, written whole.
CREATE TABLE {schema}.documents (
  mailbox text NOT NULL,
  name text NOT NULL CHECK (name IN ('settings', 'status', 'packageState', 'roamingSettings')),
  body text NOT NULL,
  PRIMARY KEY (mailbox, name)
);
CREATE TABLE {schema}.log_segments (
  mailbox text NOT NULL,
  seq integer NOT NULL,
  text text NOT NULL,
  bytes integer NOT NULL,
  PRIMARY KEY (mailbox, seq)
);
-- The revision counter is never reset, not even by clear().
CREATE TABLE {schema}.counters (
  mailbox text PRIMARY KEY,
  revision bigint NOT NULL,
  conflict_seq bigint NOT NULL
);`,
  },
];

/** The cache schema that goes with a CRM database: `<crm schema>_mailbox_cache`. */
export function defaultCacheSchema(db: Database): string {
  return assertSchemaName(`${db.schema}_mailbox_cache`);
}

/**
 * Creates the cache schema when missing and applies its pending steps, once each, in one transaction under
 * an advisory lock (several workers starting together apply each step exactly once).
 */
export async function migrateCacheSchema(db: Database, schema: string): Promise<void> {
  const name = assertSchemaName(schema);
  await db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`${name}.migrations`]);
    await tx.exec(
      `CREATE SCHEMA IF NOT EXISTS ${name}; CREATE TABLE IF NOT EXISTS ${name}.cache_migrations (version integer PRIMARY KEY, name text NOT NULL)`,
    );
    const applied = await tx.query<{ version: number }>(`SELECT version FROM ${name}.cache_migrations`);
    const done = new Set(applied.rows.map((row) => row.version));
    for (const migration of CACHE_MIGRATIONS) {
      if (done.has(migration.version)) continue;
      await tx.exec(migration.sql.replaceAll("{schema}", name));
      await tx.query(`INSERT INTO ${name}.cache_migrations (version, name) VALUES ($1, $2)`, [
        migration.version,
        migration.name,
      ]);
    }
  });
}
