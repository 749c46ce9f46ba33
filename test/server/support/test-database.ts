/**
 * A fresh, isolated database per suite: a new schema on PostgreSQL when DATABASE_URL is set (dropped afterwards),
 * otherwise a new in-memory PGlite.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import type { Logger } from "../../../src/ports/logger";
import { openDatabase, type Database } from "../../../src/server";

/** A logger that keeps nothing: tests assert on answers, not on log lines. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** The PostgreSQL to test against, if any. */
export const databaseUrl = process.env["DATABASE_URL"];

/** The backends a suite that runs on both can use: PGlite always, PostgreSQL when DATABASE_URL is set. */
export const testBackends: readonly ("pglite" | "postgres")[] = databaseUrl
  ? ["pglite", "postgres"]
  : ["pglite"];

/**
 * Opens a fresh database; `dispose` closes it and drops its schema. `postgres: "off"` opens PGlite even when
 * DATABASE_URL is set.
 */
export async function openTestDatabase(
  options: { postgres?: "required" | "off"; maxConnections?: number } = {},
): Promise<{ db: Database; dispose(): Promise<void> }> {
  const url = options.postgres === "off" ? undefined : databaseUrl;
  if (options.postgres === "required" && !url) throw new Error("DATABASE_URL is not set");
  const schema = `test_${randomBytes(6).toString("hex")}`;
  const db = await openDatabase({
    databaseUrl: url,
    schema,
    logger: silentLogger,
    ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }),
  });
  return {
    db,
    async dispose() {
      await db.close();
      if (url) {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        await client.query(`DROP SCHEMA ${schema} CASCADE`);
        await client.end();
      }
    },
  };
}
