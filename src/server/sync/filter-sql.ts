/**
 * SPEC §4's filter ("local data rules") in SQL: which users have a record in their filter. The record types each
 * criterion applies to come from the core's FILTER_CRITERIA, and test/server/filter-agreement.test.ts checks on
 * generated records and users that the SQL agrees with the core's `isInFilter`. A user matches an owner,
 * organizer or attendee by id or e-mail, case-insensitively. The core has no "removed from Outlook" mark (a
 * client keeps a tombstone mapping instead), so the agreement test runs without marks.
 */
import { invariant } from "../../core/errors";
import { FILTER_CRITERIA, type FilterCriterion } from "../../core/filter-rules";
import type { CrmRecordType } from "../../core/types";
import type { SqlExecutor } from "../db/database";

/** What the filter looks at. `parties` are the lower-cased, trimmed organizer and attendees. */
export interface FilterState {
  readonly id: string;
  readonly type: CrmRecordType;
  readonly owner: string;
  readonly parties: readonly string[] | null;
  readonly deleted: boolean;
}

const typesWith = (criterion: FilterCriterion): CrmRecordType[] =>
  (Object.keys(FILTER_CRITERIA) as CrmRecordType[]).filter((type) =>
    FILTER_CRITERIA[type].includes(criterion),
  );

const OWNER_TYPES = typesWith("owner");
const TRACKED_TYPES = typesWith("trackedByHand");
const PARTY_TYPES = typesWith("organizer");
invariant(
  PARTY_TYPES.join() === typesWith("attendee").join() && PARTY_TYPES.every((type) => type === "appointment"),
  "the parties column serves appointments matched by organizer and attendee together",
);

/**
 * Parameters: $1 record id, $2 type, $3 owner, $4 parties, $5 owner types, $6 party types, $7 tracked types.
 * A user who removed the record from their Outlook (a `removed_from_outlook` mark, SPEC §8) is left out.
 */
const AUDIENCE_SQL = `
SELECT a.user_id FROM (
  SELECT u.id AS user_id FROM users u
   WHERE ($2 = ANY($5::text[]) AND (lower(u.id) = lower($3) OR u.emails @> ARRAY[lower($3)]))
      OR ($2 = ANY($6::text[]) AND (lower(u.id) = ANY($4::text[]) OR u.emails && $4::text[]))
  UNION
  SELECT t.user_id FROM tracked_by_hand t WHERE $2 = ANY($7::text[]) AND t.record_id = $1::uuid) a
 WHERE NOT EXISTS (SELECT 1 FROM removed_from_outlook m WHERE m.user_id = a.user_id AND m.record_id = $1::uuid)`;

/** The users who have `state` in their filter; nobody has a deleted record. */
export async function audienceOf(tx: SqlExecutor, state: FilterState): Promise<Set<string>> {
  if (state.deleted) return new Set();
  const result = await tx.query<{ user_id: string }>(AUDIENCE_SQL, [
    state.id,
    state.type,
    state.owner,
    state.parties ?? [],
    OWNER_TYPES,
    PARTY_TYPES,
    TRACKED_TYPES,
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
