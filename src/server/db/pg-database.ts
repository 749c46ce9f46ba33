/** {@link Database} over PostgreSQL through a `pg` pool. */
import pg from "pg";
import type { Logger } from "../../ports/logger";
import { assertSchemaName, type Database, type SqlExecutor, type SqlResult } from "./database";

const INT8_OID = 20;

/** Parses int8 (bigint, count(*)) as a JavaScript number: versions and timestamps stay below 2^53. */
const types = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === INT8_OID && format !== "binary"
      ? (value: string): number => Number(value)
      : (pg.types.getTypeParser(oid, format ?? "text") as (
          value: string,
        ) => unknown)) as typeof pg.types.getTypeParser,
};

const executor = (client: pg.Pool | pg.PoolClient): SqlExecutor => ({
  async query<Row>(sql: string, params: readonly unknown[] = []): Promise<SqlResult<Row>> {
    const result = await client.query(sql, [...params]);
    return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
  },
  async exec(sql: string): Promise<void> {
    await client.query(sql);
  },
});

/**
 * Opens a pool on `connectionString` whose connections all use `schema` as search path.
 * The schema is created when missing. Idle-connection errors are logged, never thrown.
 */
export async function openPgDatabase(options: {
  connectionString: string;
  schema: string;
  logger: Logger;
  maxConnections?: number;
}): Promise<Database> {
  const schema = assertSchemaName(options.schema);
  const config: pg.PoolConfig = {
    connectionString: options.connectionString,
    options: `-c search_path=${schema}`,
    max: options.maxConnections ?? 10,
    types,
  };
  const pool = new pg.Pool(config);
  pool.on("error", (error) =>
    options.logger.error("idle database connection failed", { error: error.message }),
  );
  await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  const base = executor(pool);
  return {
    kind: "postgres",
    schema,
    query: (sql, params) => base.query(sql, params),
    exec: (sql) => base.exec(sql),
    async transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        const result = await work(executor(client));
        await client.query("COMMIT");
        return result;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    async listen(channel, onPayload) {
      const client = new pg.Client(config);
      client.on("error", (error) =>
        options.logger.error("database listener connection failed", { channel, error: error.message }),
      );
      client.on("notification", (message) => {
        if (message.channel === channel) onPayload(message.payload ?? "");
      });
      await client.connect();
      await client.query(`LISTEN ${assertSchemaName(channel)}`);
      return { close: () => client.end() };
    },
    close: () => pool.end(),
  };
}
