/** {@link Database} over embedded PGlite: one in-process PostgreSQL, on disk in `dataDir` or in memory. */
import { PGlite } from "@electric-sql/pglite";
import { lockDataFolder } from "./data-folder";
import { assertSchemaName, type Database, type SqlExecutor, type SqlResult } from "./database";

interface PgliteLike {
  query<Row>(sql: string, params?: unknown[]): Promise<{ rows: Row[]; affectedRows?: number }>;
  exec(sql: string): Promise<unknown>;
}

const executor = (target: PgliteLike): SqlExecutor => ({
  async query<Row>(sql: string, params: readonly unknown[] = []): Promise<SqlResult<Row>> {
    const result = await target.query<Row>(sql, [...params]);
    return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
  },
  async exec(sql: string): Promise<void> {
    await target.exec(sql);
  },
});

/**
 * Opens PGlite in `dataDir` (created owner-only when missing, and locked until `close()`; see data-folder.ts),
 * or in memory without one, with `schema` as search path.
 * PGlite has one connection: transactions run one at a time and other statements wait for them.
 */
export async function openPgliteDatabase(options: { dataDir?: string; schema: string }): Promise<Database> {
  const schema = assertSchemaName(options.schema);
  const lock =
    options.dataDir === undefined
      ? undefined
      : lockDataFolder(options.dataDir, process.argv.slice(1).join(" "));
  let db: PGlite;
  try {
    db = options.dataDir === undefined ? await PGlite.create() : await PGlite.create(options.dataDir);
    await db.exec(`CREATE SCHEMA IF NOT EXISTS ${schema}; SET search_path TO ${schema};`);
  } catch (error) {
    lock?.release();
    throw error;
  }
  const base = executor(db);
  return {
    kind: "pglite",
    schema,
    query: (sql, params) => base.query(sql, params),
    exec: (sql) => base.exec(sql),
    transaction: <T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> =>
      db.transaction((tx) => work(executor(tx))),
    async listen(channel, onPayload) {
      const unlisten = await db.listen(assertSchemaName(channel), onPayload);
      return { close: () => unlisten() };
    },
    async close() {
      try {
        await db.close();
      } finally {
        lock?.release();
      }
    },
  };
}
