/** Applies the versioned migrations in order, once each, at start-up. */
import type { Logger } from "../../ports/logger";
import type { Database } from "./database";
import { MIGRATIONS } from "./migrations";

/**
 * Brings the schema to the newest migration. Runs in one transaction under an advisory lock, so several
 * server instances starting together apply each migration exactly once; a failing migration leaves nothing behind.
 */
export async function migrate(db: Database, logger: Logger): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`${db.schema}.migrations`]);
    await tx.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
    );
    const applied = await tx.query<{ version: number }>("SELECT version FROM schema_migrations");
    const done = new Set(applied.rows.map((row) => row.version));
    for (const migration of MIGRATIONS) {
      if (done.has(migration.version)) continue;
      await tx.exec(migration.sql);
      await tx.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [
        migration.version,
        migration.name,
      ]);
      logger.info("applied migration", {
        version: migration.version,
        name: migration.name,
        schema: db.schema,
      });
    }
  });
}
