/**
 * Seeds the worker bench's CRM in bulk SQL, as the service would have written it row by row: `mailboxes` users
 * (`user00000`…, each with the e-mail address of its simulated mailbox and the SyncToOutlook privilege), each
 * owning `contacts` CRM contacts (each with its own version and a change-feed row for its owner), every mailbox
 * enabled for background sync but not due (the bench makes them due per pass); then ANALYZE. The default
 * role's customization package is published, as in a deployment (and the demo data).
 */
import { refreshStatistics, type CrmService, type Database } from "../../src/server";
import { DEFAULT_ROLE } from "../../src/server/sync/user-service";

/** The address of a bench user's mailbox. */
export const addressOf = (userId: string): string => `${userId}@bench.example`;

/** A bench user's id, by number. */
export const userIdOf = (n: number): string => `user${String(n).padStart(5, "0")}`;

/** When the seeded mailboxes' first run is due: never, until a pass makes them due. */
const NOT_DUE = Number.MAX_SAFE_INTEGER;

export async function seedMailboxes(
  service: CrmService,
  db: Database,
  mailboxes: number,
  contacts: number,
): Promise<void> {
  const first = userIdOf(0);
  // One user through the service (its rules), the rest as copies of its row with their own id and address.
  await service.users.create({ id: first, privileges: ["SyncToOutlook"], emails: [addressOf(first)] });
  await db.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO users (id, display_name, emails, role, privileges, created_at)
       SELECT u.id, u.id, ARRAY[u.id || '@bench.example'], role, privileges, created_at
         FROM users, generate_series(1, $1::int - 1) AS n,
              LATERAL (SELECT 'user' || lpad(n::text, 5, '0') AS id) u
        WHERE users.id = $2`,
      [mailboxes, first],
    );
    const total = mailboxes * contacts;
    const { rows } = await tx.query<{ version: string }>(
      "UPDATE sync_clock SET version = version + $1 RETURNING version",
      [total],
    );
    const base = Number(rows[0]?.version ?? total) - total;
    const now = Date.now();
    await tx.query(
      `INSERT INTO records (id, type, owner, fields, version, modified_at, created_at, created_by, search_name,
                            fields_bytes)
       SELECT gen_random_uuid(), 'contact', u.id, c.fields, $3::bigint + k, $4::bigint, $4::bigint, u.id,
              'last' || i || ' first' || i, octet_length(c.fields::text)
         FROM generate_series(0, $1::int - 1) AS m, generate_series(1, $2::int) AS i,
              LATERAL (SELECT 'user' || lpad(m::text, 5, '0') AS id, m * $2::int + i AS k) u,
              LATERAL (SELECT jsonb_build_object('firstname', 'First' || i, 'lastname', 'Last' || i,
                'emailaddress1', 'c' || u.k || '@customer.example', 'jobtitle', 'Buyer',
                'telephone1', '555-0100', 'address1_city', 'Springfield') AS fields) c`,
      [mailboxes, contacts, base, now],
    );
    await tx.query(
      `INSERT INTO change_feed (user_id, record_id, type, version, kind, changed_at)
       SELECT owner, id, type, version, 'upsert', modified_at FROM records`,
    );
    await tx.query(
      `INSERT INTO server_mailboxes (user_id, enabled, changed_at, next_run_at)
       SELECT id, true, $1, $2 FROM users`,
      [now, NOT_DUE],
    );
  });
  await service.packages.publish({
    role: DEFAULT_ROLE,
    version: "1.0.0.0",
    preferredProduct: "1.0.0.0",
    products: "1.0.0.0-1.99.99.99",
    schemas: "1.0.0.0",
  });
  await refreshStatistics(db);
}
