/** Picks the database from the settings: PostgreSQL when a URL is given, embedded PGlite otherwise. */
import type { Logger } from "../../ports/logger";
import type { Database } from "./database";
import { migrate } from "./migrate";
import { openPgDatabase } from "./pg-database";
import { openPgliteDatabase } from "./pglite-database";

/** Where the server keeps its data. */
export interface DatabaseSettings {
  /** PostgreSQL connection string (`DATABASE_URL`). When set, PGlite is not used. */
  readonly databaseUrl?: string | undefined;
  /** PGlite data directory (`DATA_DIR`); omitted means an in-memory database that vanishes on close. */
  readonly dataDir?: string | undefined;
  /** Schema holding every table; default `crm`. Tests pass a fresh one per suite. */
  readonly schema?: string | undefined;
  /** Pool size for PostgreSQL; default 10. */
  readonly maxConnections?: number | undefined;
  readonly logger: Logger;
}

/** Opens the database and applies every pending migration; the caller owns it and must `close()` it. */
export async function openDatabase(settings: DatabaseSettings): Promise<Database> {
  const schema = settings.schema ?? "crm";
  const db = settings.databaseUrl
    ? await openPgDatabase({
        connectionString: settings.databaseUrl,
        schema,
        logger: settings.logger,
        ...(settings.maxConnections === undefined ? {} : { maxConnections: settings.maxConnections }),
      })
    : await openPgliteDatabase({
        schema,
        ...(settings.dataDir === undefined ? {} : { dataDir: settings.dataDir }),
      });
  try {
    await migrate(db, settings.logger);
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}
