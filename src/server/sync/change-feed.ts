/**
 * The change stream. Versions come from the one-row `sync_clock`: a writer locks it first thing, so the
 * version it takes is only visible to others after it commits, and the next writer waits for that commit.
 * Versions therefore follow commit order and a reader's `version > cursor` never skips a change.
 * Each user's view is kept in `change_feed`: one row per (user, record) holding the newest change.
 */
import type { CrmRecordType } from "../../core/types";
import type { SqlExecutor } from "../db/database";

/**
 * Takes `count` consecutive versions and holds the clock lock until the transaction ends.
 * Returns the first; call it before any other write of the transaction.
 */
export async function allocateVersions(tx: SqlExecutor, count = 1): Promise<number> {
  const result = await tx.query<{ version: number }>(
    "UPDATE sync_clock SET version = version + $1 WHERE id = 1 RETURNING version",
    [count],
  );
  const last = result.rows[0]?.version ?? 0;
  return last - count + 1;
}

/** One record's move within the users' filters, at one version. */
export interface AudienceChange {
  readonly recordId: string;
  readonly type: CrmRecordType;
  readonly version: number;
  readonly now: number;
  readonly before: ReadonlySet<string>;
  readonly after: ReadonlySet<string>;
  readonly deleted: boolean;
  /** False when only the audience moved (a tracked-by-hand marker): users who keep it get no new upsert. */
  readonly contentChanged: boolean;
}

const UPSERT_FEED = `
INSERT INTO change_feed (user_id, record_id, type, version, kind, changed_at)
SELECT user_id, $2::uuid, $3, $4, $5, $6 FROM unnest($1::text[]) AS user_id
ON CONFLICT (user_id, record_id)
DO UPDATE SET type = excluded.type, version = excluded.version, kind = excluded.kind, changed_at = excluded.changed_at`;

/**
 * Writes the feed rows of one change: `upsert` for users who have the record after it, `delete` or `leftFilter`
 * for users who had it before and not after. Returns the users whose view changed.
 */
export async function recordAudienceChange(tx: SqlExecutor, change: AudienceChange): Promise<string[]> {
  const upserts = [...change.after].filter((user) => change.contentChanged || !change.before.has(user));
  const removals = [...change.before].filter((user) => !change.after.has(user));
  const write = async (users: string[], kind: "upsert" | "delete" | "leftFilter"): Promise<void> => {
    if (users.length === 0) return;
    await tx.query(UPSERT_FEED, [users, change.recordId, change.type, change.version, kind, change.now]);
  };
  await write(upserts, "upsert");
  await write(removals, change.deleted ? "delete" : "leftFilter");
  return [...upserts, ...removals];
}

/** The NOTIFY channel of a schema's change hints. */
export const changeChannel = (schema: string): string => `crm_changes_${schema}`;

/** Payload of a change hint: the users whose view changed, or `null` for "everyone" when the list is long. */
export interface ChangeNotice {
  readonly users: readonly string[] | null;
  readonly latestVersion: number;
}

/** Queues a hint for `users`; PostgreSQL delivers it to listeners when the transaction commits. */
export async function notifyChange(
  tx: SqlExecutor,
  channel: string,
  users: readonly string[],
  latestVersion: number,
): Promise<void> {
  if (users.length === 0) return;
  let payload = JSON.stringify({ users, latestVersion } satisfies ChangeNotice);
  if (payload.length > 7000) payload = JSON.stringify({ users: null, latestVersion } satisfies ChangeNotice);
  await tx.query("SELECT pg_notify($1, $2)", [channel, payload]);
}
