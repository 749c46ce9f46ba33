/**
 * Seeds the benchmark schema in bulk SQL: `users` users with one client each (the subscriptions), and `records`
 * records spread evenly over them (half contacts, 30 % tasks, 20 % appointments they organize), each record with
 * its own version and a feed row for its owner, as the service would have written them one by one.
 */
import { refreshStatistics, type Database } from "../../src/server";

export async function seedBenchData(db: Database, counts: { users: number; records: number }): Promise<void> {
  const now = Date.UTC(2026, 2, 2);
  await db.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO users (id, emails, role, privileges, created_at)
       SELECT 'user' || i, ARRAY['user' || i || '@bench.example'], 'salesperson', ARRAY['SyncToOutlook', 'GoOffline'], $2
         FROM generate_series(1, $1::int) AS i`,
      [counts.users, now],
    );
    await tx.query(
      `INSERT INTO records (id, type, owner, fields, version, modified_at, created_at, created_by, search_name, parties,
                            fields_bytes)
       SELECT gen_random_uuid(), t.type, 'user' || (i % $2::int + 1), f.fields,
              i, $3::bigint + i, $3::bigint + i, 'user' || (i % $2::int + 1),
              CASE WHEN t.type = 'contact' THEN 'name' || i END,
              CASE WHEN t.type = 'appointment' THEN ARRAY['user' || (i % $2::int + 1)] END,
              octet_length(f.fields::text)
         FROM generate_series(1, $1::int) AS i,
              LATERAL (SELECT CASE WHEN i % 10 < 5 THEN 'contact' WHEN i % 10 < 8 THEN 'task' ELSE 'appointment' END AS type) t,
              LATERAL (SELECT jsonb_build_object('subject', 'Record ' || i, 'lastname', 'Name' || i,
                                                 'description', repeat('x', 200)) AS fields) f`,
      [counts.records, counts.users, now],
    );
    await tx.query(
      `INSERT INTO change_feed (user_id, record_id, type, version, kind, changed_at)
       SELECT owner, id, type, version, 'upsert', modified_at FROM records`,
    );
    await tx.query(
      `INSERT INTO subscriptions (user_id, client_id, role, acked_version, registered_at)
       SELECT id, 'desk', 'primary', $1, $2 FROM users`,
      [counts.records, now],
    );
    await tx.query("UPDATE sync_clock SET version = $1", [counts.records]);
  });
  await refreshStatistics(db);
}
