/**
 * GetSpecificSyncData on tables the planner has no statistics for: seeds a fresh schema in bulk (no ANALYZE),
 * then times reading 100 random ids of one user through the service, before and after refreshStatistics.
 * Prints JSON. Command: DATABASE_URL=postgres://postgres@127.0.0.1:5432/test node --import tsx bench/server/specific-read-bench.ts
 * `BENCH_RECORDS` sets the record count (default 50,000, owned by two users).
 */
import { performance } from "node:perf_hooks";
import { createCrmService, openDatabase, refreshStatistics, SystemClock } from "../../src/server";
import type { Logger } from "../../src/ports/logger";

const silent: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const databaseUrl = process.env["DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/test";
const records = Number(process.env["BENCH_RECORDS"] ?? 50_000);
const schema = `bench_read_${Date.now().toString(36)}`;

const db = await openDatabase({ databaseUrl, schema, logger: silent });
try {
  await db.query(
    `INSERT INTO users (id, emails, role, privileges, created_at)
     VALUES ('u1', ARRAY['u1@bench.example'], 'salesperson', ARRAY['SyncToOutlook'], 0),
            ('u2', ARRAY['u2@bench.example'], 'salesperson', ARRAY['SyncToOutlook'], 0)`,
  );
  await db.query(
    `INSERT INTO records (id, type, owner, fields, version, modified_at, created_at, created_by, search_name, parties, fields_bytes)
     SELECT gen_random_uuid(), t.type, 'u' || (i % 2 + 1),
            jsonb_build_object('subject', 'Record ' || i, 'description', repeat('x', 1200)),
            i, i, i, 'u' || (i % 2 + 1), 'name' || i,
            CASE WHEN t.type = 'appointment' THEN ARRAY['u' || (i % 2 + 1)] END, 1240
       FROM generate_series(1, $1::int) AS i,
            LATERAL (SELECT CASE WHEN i % 10 < 5 THEN 'contact' WHEN i % 10 < 8 THEN 'task' ELSE 'appointment' END AS type) t`,
    [records],
  );
  await db.query(
    `INSERT INTO change_feed (user_id, record_id, type, version, kind, changed_at)
     SELECT owner, id, type, version, 'upsert', modified_at FROM records`,
  );
  const service = createCrmService({ db, clock: new SystemClock(), logger: silent });
  const sample = async (): Promise<string[]> =>
    (await db.query<{ id: string }>("SELECT id FROM records ORDER BY random() LIMIT 100")).rows.map(
      (r) => r.id,
    );
  const time = async (): Promise<number[]> => {
    const times: number[] = [];
    for (let round = 0; round < 10; round += 1) {
      const ids = await sample();
      const start = performance.now();
      await service.records.read("u1", ids);
      times.push(Number((performance.now() - start).toFixed(1)));
    }
    return times.sort((a, b) => a - b);
  };
  const fresh = await time();
  await refreshStatistics(db);
  const analyzed = await time();
  const median = (values: number[]): number => values[Math.floor(values.length / 2)] ?? Number.NaN;
  console.log(
    JSON.stringify(
      {
        records,
        idsPerRead: 100,
        withoutStatistics: { medianMs: median(fresh), ms: fresh },
        afterAnalyze: { medianMs: median(analyzed), ms: analyzed },
      },
      null,
      2,
    ),
  );
} finally {
  await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await db.close();
}
