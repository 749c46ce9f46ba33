/**
 * Refreshes the planner's statistics of the tables that bulk loads fill (records, feeds, markers, keys). Run it
 * after seeding many rows at once: autovacuum would get there later, and until then the planner guesses.
 */
import type { SqlExecutor } from "./database";

const LOADED_TABLES = [
  "users",
  "records",
  "change_feed",
  "tracked_by_hand",
  "removed_from_outlook",
  "subscriptions",
  "idempotency_keys",
];

export async function refreshStatistics(db: SqlExecutor): Promise<void> {
  await db.query(`ANALYZE ${LOADED_TABLES.join(", ")}`);
}
