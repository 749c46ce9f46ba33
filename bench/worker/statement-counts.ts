/**
 * Counts the SQL statements a side of the idle-run bench sends (the headless engine's mailbox cache, or the sync
 * server), by statement text, with their wall time, while `counting` is on. Wraps a Database; its transactions'
 * statements count too. For the bench only: it says where an idle run's PostgreSQL time goes.
 */
import type { Database, SqlExecutor } from "../../src/server";

export interface StatementCount {
  readonly sql: string;
  count: number;
  ms: number;
}

export class StatementCounts {
  counting = false;
  private readonly bySql = new Map<string, StatementCount>();

  /** `db` with every statement counted while {@link counting} is on. */
  wrap(db: Database): Database {
    return {
      kind: db.kind,
      schema: db.schema,
      query: <Row>(sql: string, params?: readonly unknown[]) =>
        this.timed(sql, () => db.query<Row>(sql, params)),
      exec: (sql) => db.exec(sql),
      transaction: (work) => db.transaction((tx) => work(this.wrapExecutor(tx))),
      listen: (channel, onPayload) => db.listen(channel, onPayload),
      close: () => db.close(),
    };
  }

  /** The statements, most time first, per run of `runs`. */
  perRun(runs: number): {
    statements: number;
    ms: number;
    top: { sql: string; count: number; ms: number }[];
  } {
    const all = [...this.bySql.values()].sort((a, b) => b.ms - a.ms);
    const per = (value: number) => Number((value / runs).toFixed(2));
    return {
      statements: per(all.reduce((sum, entry) => sum + entry.count, 0)),
      ms: per(all.reduce((sum, entry) => sum + entry.ms, 0)),
      top: all.slice(0, 12).map((entry) => ({ sql: entry.sql, count: per(entry.count), ms: per(entry.ms) })),
    };
  }

  private wrapExecutor(tx: SqlExecutor): SqlExecutor {
    return {
      query: <Row>(sql: string, params?: readonly unknown[]) =>
        this.timed(sql, () => tx.query<Row>(sql, params)),
      exec: (sql) => tx.exec(sql),
    };
  }

  private async timed<T>(sql: string, run: () => Promise<T>): Promise<T> {
    if (!this.counting) return run();
    const started = performance.now();
    try {
      return await run();
    } finally {
      const key = sql.replace(/\s+/g, " ").trim().slice(0, 100);
      const entry = this.bySql.get(key) ?? { sql: key, count: 0, ms: 0 };
      entry.count += 1;
      entry.ms += performance.now() - started;
      this.bySql.set(key, entry);
    }
  }
}
