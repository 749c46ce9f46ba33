/**
 * The SQL boundary of the server. Two implementations run the same SQL: PostgreSQL through `pg`
 * ({@link openPgDatabase}) and embedded PGlite ({@link openPgliteDatabase}). Every table lives in one schema
 * ({@link Database.schema}), so several databases can share one PostgreSQL (tests use a schema per suite).
 */

/** Rows of one statement. `bigint` columns arrive as JavaScript numbers in both implementations. */
export interface SqlResult<Row> {
  readonly rows: Row[];
  readonly rowCount: number;
}

/** Runs parameterized statements (`$1`, `$2`, …). */
export interface SqlExecutor {
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<SqlResult<Row>>;
  /** Runs several `;`-separated statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

/** A database connection pool (or the one embedded connection), owned by whoever opened it. */
export interface Database extends SqlExecutor {
  readonly kind: "postgres" | "pglite";
  /** The schema every table lives in; every connection has it as its search path. */
  readonly schema: string;
  /**
   * Runs `work` in one READ COMMITTED transaction: committed when it resolves, rolled back when it throws
   * (the error is rethrown unchanged).
   */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Calls `onPayload` for each NOTIFY on `channel` (after the notifying transaction commits). */
  listen(channel: string, onPayload: (payload: string) => void): Promise<{ close(): Promise<void> }>;
  /** Closes every connection. Pending work fails. */
  close(): Promise<void>;
}

/** A schema name that is safe to splice into SQL: lower-case letters, digits and `_`. */
export function assertSchemaName(schema: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new Error(`Invalid schema name "${schema}": use lower-case letters, digits and _ (at most 63).`);
  }
  return schema;
}
