/**
 * Seeds one user's CRM records for an initial sync in bulk SQL (as the service would have written them one by
 * one: each record with its own version and a feed row for its owner), and reads them back as the documents
 * PouchDB replicates, so both sides carry the same content. 60 % contacts, 20 % appointments (in the calendar
 * window, organized by the user), 20 % tasks; each record's fields are about {@link RECORD_BYTES} of JSON.
 */
import { refreshStatistics, type CrmService, type Database } from "../../src/server";

/** The size of one record's fields as JSON text, about what a CRM contact with a short note takes. */
export const RECORD_BYTES = 290;

/** Creates `userId` (with a token) and `count` records it owns; returns the token. */
export async function seedUser(
  service: CrmService,
  db: Database,
  userId: string,
  count: number,
): Promise<string> {
  await service.users.create({
    id: userId,
    privileges: ["SyncToOutlook", "GoOffline"],
    emails: [`${userId}@bench.example`],
  });
  const token = await service.users.issueToken(userId, "initial-sync bench");
  const today = new Date();
  const day0 = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  await db.transaction(async (tx) => {
    const { rows } = await tx.query<{ version: string }>(
      "UPDATE sync_clock SET version = version + $1 RETURNING version",
      [count],
    );
    const first = Number(rows[0]?.version ?? count) - count;
    await tx.query(
      `INSERT INTO records (id, type, owner, fields, version, modified_at, created_at, created_by, search_name,
                            parties, fields_bytes)
       SELECT gen_random_uuid(), t.type, $2, f.fields, $3::bigint + i, $4::bigint + i, $4::bigint + i, $2,
              CASE WHEN t.type = 'contact' THEN 'last' || i || ' first' || i END,
              CASE WHEN t.type = 'appointment' THEN ARRAY[$2] END,
              octet_length(f.fields::text)
         FROM generate_series(1, $1::int) AS i,
              LATERAL (SELECT CASE WHEN i % 5 < 3 THEN 'contact' WHEN i % 5 = 3 THEN 'appointment' ELSE 'task' END
                         AS type) t,
              LATERAL (SELECT CASE t.type
                WHEN 'contact' THEN jsonb_build_object('firstname', 'First' || i, 'lastname', 'Last' || i,
                  'emailaddress1', 'c' || i || '@bench.example', 'jobtitle', 'Buyer', 'telephone1', '555-0100',
                  'address1_city', 'Springfield')
                WHEN 'appointment' THEN jsonb_build_object('subject', 'Meeting ' || i, 'organizer', $2::text,
                  'scheduledstart', to_char(to_timestamp(($4::bigint + (i % 60)::bigint * 86400000 + 36000000) / 1000.0)
                    AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                  'scheduledend', to_char(to_timestamp(($4::bigint + (i % 60)::bigint * 86400000 + 39600000) / 1000.0)
                    AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                  'statecode', 3, 'statuscode', 5)
                ELSE jsonb_build_object('subject', 'Task ' || i, 'statecode', 0, 'statuscode', 2,
                  'prioritycode', 1)
              END AS base) b,
              LATERAL (SELECT b.base || jsonb_build_object('description',
                         repeat('n', greatest(0, $5::int - octet_length(b.base::text) - 19))) AS fields) f`,
      [count, userId, first, day0, RECORD_BYTES],
    );
    await tx.query(
      `INSERT INTO change_feed (user_id, record_id, type, version, kind, changed_at)
       SELECT owner, id, type, version, 'upsert', modified_at FROM records WHERE owner = $1`,
      [userId],
    );
  });
  await refreshStatistics(db);
  return token;
}

/** The user's records as PouchDB documents: the record's id, its type and its fields. */
export async function documentsOf(
  db: Database,
  userId: string,
): Promise<{ _id: string; [field: string]: unknown }[]> {
  const { rows } = await db.query<{ id: string; type: string; fields: Record<string, unknown> }>(
    "SELECT id, type, fields FROM records WHERE owner = $1 ORDER BY version",
    [userId],
  );
  return rows.map((row) => ({ _id: row.id, type: row.type, ...row.fields }));
}
