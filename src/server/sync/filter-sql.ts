/**
 * SPEC §4's filter ("local data rules") in SQL: which users have a record in their filter. It must agree with
 * the core's `isInFilter(record, user, trackedByHand)`; test/server/filter-agreement.test.ts checks that on
 * generated records and users.
 * - contact: the owner, plus every user who tracked it by hand;
 * - appointment: every user whose id or e-mail (case-insensitive) is the organizer or an attendee;
 * - task: the owner;
 * - account, e-mail: nobody (they never sync CRM→Outlook).
 */
import type { CrmRecordType } from "../../core/types";
import type { SqlExecutor } from "../db/database";

/** What the filter looks at. `parties` are the lower-cased organizer and attendees. */
export interface FilterState {
  readonly id: string;
  readonly type: CrmRecordType;
  readonly owner: string;
  readonly parties: readonly string[] | null;
  readonly deleted: boolean;
}

/** Parameters: $1 record id, $2 type, $3 owner, $4 parties (lower-cased). */
const AUDIENCE_SQL = `
SELECT u.id AS user_id FROM users u
 WHERE ($2 IN ('contact', 'task') AND u.id = $3)
    OR ($2 = 'appointment' AND (lower(u.id) = ANY($4::text[]) OR u.emails && $4::text[]))
UNION
SELECT t.user_id FROM tracked_by_hand t WHERE $2 = 'contact' AND t.record_id = $1::uuid`;

/** The users who have `state` in their filter; nobody has a deleted record. */
export async function audienceOf(tx: SqlExecutor, state: FilterState): Promise<Set<string>> {
  if (state.deleted) return new Set();
  const result = await tx.query<{ user_id: string }>(AUDIENCE_SQL, [
    state.id,
    state.type,
    state.owner,
    state.parties ?? [],
  ]);
  return new Set(result.rows.map((row) => row.user_id));
}

/** The live appointments that name a user by one of `keys` (lower-cased id and e-mails). */
export async function appointmentsNaming(tx: SqlExecutor, keys: readonly string[]): Promise<string[]> {
  const result = await tx.query<{ id: string }>(
    "SELECT id FROM appointments WHERE NOT deleted AND parties && $1::text[] ORDER BY id",
    [keys],
  );
  return result.rows.map((row) => row.id);
}
