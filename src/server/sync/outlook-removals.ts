/**
 * The "removed from this user's Outlook" marks (docs/SPEC.md §8, "Deletes never come back"). A client reports,
 * with PostSync, the records whose items the user deleted or untracked in Outlook while the records stay in the
 * CRM; each mark takes the record out of that user's filter (`filter-sql.ts`), so the user's feed gets a
 * `leftFilter` row and no client of the user, however new its cache, is offered the record again. Marking the
 * record tracked by hand again clears the mark (`RecordService.setTrackedByHand`).
 */
import type { CrmRecordType } from "../../core/types";
import type { SqlExecutor } from "../db/database";
import { recordAudienceChange } from "./change-feed";
import { audienceOf } from "./filter-sql";
import { readableBy } from "./record-access";

interface MarkedRow {
  id: string;
  type: CrmRecordType;
  owner: string;
  parties: string[] | null;
}

/**
 * Marks the live records among `ids` that `userId` may read as removed from their Outlook, at the versions from
 * `firstVersion` on (one per distinct id, taken by the caller). Other ids are skipped: a record deleted
 * meanwhile or one the user cannot read has nothing left to hide. Returns the users whose view changed.
 */
export async function markRemovedFromOutlook(
  tx: SqlExecutor,
  request: { userId: string; ids: readonly string[]; firstVersion: number; now: number },
): Promise<string[]> {
  const ids = [...new Set(request.ids)];
  const result = await tx.query<MarkedRow>(
    `SELECT r.id, r.type, r.owner, r.parties FROM records r
      WHERE r.id = ANY($1::uuid[]) AND NOT r.deleted AND ${readableBy("$2")}
      ORDER BY r.id FOR UPDATE OF r`,
    [ids, request.userId],
  );
  const changed = new Set<string>();
  for (const [index, row] of result.rows.entries()) {
    const state = { id: row.id, type: row.type, owner: row.owner, parties: row.parties, deleted: false };
    const before = await audienceOf(tx, state);
    await tx.query(
      `INSERT INTO removed_from_outlook (user_id, record_id, marked_at) VALUES ($1, $2, $3)
       ON CONFLICT DO NOTHING`,
      [request.userId, row.id, request.now],
    );
    const after = await audienceOf(tx, state);
    const users = await recordAudienceChange(tx, {
      recordId: row.id,
      type: row.type,
      version: request.firstVersion + index,
      now: request.now,
      before,
      after,
      deleted: false,
      contentChanged: false,
    });
    for (const user of users) changed.add(user);
  }
  return [...changed];
}

/** Clears `userId`'s mark on `recordId`: the user tracks the record by hand again. */
export async function clearRemovedFromOutlook(
  tx: SqlExecutor,
  userId: string,
  recordId: string,
): Promise<void> {
  await tx.query("DELETE FROM removed_from_outlook WHERE user_id = $1 AND record_id = $2", [
    userId,
    recordId,
  ]);
}
