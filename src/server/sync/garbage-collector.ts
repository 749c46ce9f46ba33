/**
 * Collects tombstones (SPEC §8): a user's delete and leftFilter feed rows go once every client of that user
 * acknowledged them, or after the retention period. Retention raises the user's horizon, so a cursor from
 * before it answers resyncRequired. A record's tombstone row goes when no feed row still announces its delete.
 */
import type { ServiceContext } from "./service-context";

/** How long tombstones and idempotency keys are kept at most. */
export interface RetentionSettings {
  /** Tombstone retention, ms; default 30 days. */
  readonly tombstonesMs: number;
  /** Idempotency key retention, ms; default 7 days. */
  readonly idempotencyKeysMs: number;
}

export const DEFAULT_RETENTION: RetentionSettings = {
  tombstonesMs: 30 * 24 * 3_600_000,
  idempotencyKeysMs: 7 * 24 * 3_600_000,
};

/** Counts of one collection. */
export interface CollectionReport {
  readonly acknowledged: number;
  readonly expired: number;
  readonly tombstones: number;
  readonly idempotencyKeys: number;
}

export class GarbageCollector {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly retention: RetentionSettings,
  ) {}

  /** Runs one collection at the clock's now. Safe to run on several instances at once. */
  async collect(): Promise<CollectionReport> {
    const now = this.ctx.clock.now();
    const report = await this.ctx.db.transaction(async (tx) => {
      const acknowledged = await tx.query(
        `DELETE FROM change_feed f
          WHERE f.kind <> 'upsert'
            AND f.version <= coalesce((SELECT min(s.acked_version) FROM subscriptions s WHERE s.user_id = f.user_id),
                                      f.version)`,
      );
      const expired = await tx.query<{ user_id: string; version: number }>(
        `WITH gone AS (DELETE FROM change_feed WHERE kind <> 'upsert' AND changed_at < $1 RETURNING user_id, version),
              horizon AS (SELECT user_id, max(version) AS version FROM gone GROUP BY user_id)
         UPDATE users u SET feed_horizon = greatest(u.feed_horizon, h.version)
           FROM horizon h WHERE u.id = h.user_id RETURNING u.id AS user_id, h.version`,
        [now - this.retention.tombstonesMs],
      );
      const tombstones = await tx.query(
        `DELETE FROM tombstones t
          WHERE NOT EXISTS (SELECT 1 FROM change_feed f WHERE f.record_id = t.record_id AND f.kind = 'delete')`,
      );
      const keys = await tx.query("DELETE FROM idempotency_keys WHERE created_at < $1", [
        now - this.retention.idempotencyKeysMs,
      ]);
      return {
        acknowledged: acknowledged.rowCount,
        expired: expired.rowCount,
        tombstones: tombstones.rowCount,
        idempotencyKeys: keys.rowCount,
      };
    });
    this.ctx.logger.debug("collected tombstones", { ...report });
    return report;
  }
}
