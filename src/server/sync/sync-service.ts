/**
 * The SPEC §4 sync calls over a user's change feed: PrepareSync, GetSyncData and PostSync.
 * Each read is one SQL statement, so the page, the newest version and the tombstone horizon come from one
 * snapshot: when a page is the last one, every change up to `latestVersion` is in it or before it.
 */
import { SyncError } from "../../core/errors";
import type { Privilege } from "../../core/types";
import type { SyncCounts, SyncEntry, SyncPage } from "../../ports/crm-client";
import { LIMITS } from "../../protocol";
import type { ServiceContext } from "./service-context";
import { BACKGROUND_SYNC_STATE_SQL } from "./background-sync-service";
import { allocateVersions, notifyChange } from "./change-feed";
import { markRemovedFromOutlook } from "./outlook-removals";
import { InputError, isUuid } from "./service-errors";

interface PrepareRow {
  acked_version: number;
  background_sync: SyncCounts["backgroundSync"];
  feed_horizon: number;
  latest: number;
  privileges: Privilege[];
  counts: Record<string, number>;
}

interface PageRow {
  acked_version: number;
  feed_horizon: number;
  latest: number;
  privileges: Privilege[];
  entries: [string, SyncEntry["type"], number, SyncEntry["kind"]][];
}

const noSubscription = (clientId: string): SyncError =>
  new SyncError("notFound", { details: `no client ${clientId} registered for you` });

const requireSyncPrivilege = (privileges: readonly Privilege[]): void => {
  if (!privileges.includes("SyncToOutlook")) throw new SyncError("noSyncPrivilege");
};

/** A cursor above 0 and below the horizon lost tombstones to retention. */
const requireFreshCursor = (cursor: number, horizon: number): void => {
  if (cursor > 0 && cursor < horizon) {
    throw new SyncError("resyncRequired", {
      details: `cursor ${cursor} is older than the tombstone horizon ${horizon}`,
    });
  }
};

export class SyncService {
  constructor(private readonly ctx: ServiceContext) {}

  /**
   * PrepareSync: waiting changes per downloadable type since the subscription's acknowledged version, and who
   * synchronizes the mailbox. Notes the time as the client's last sync (`seen_at`, read by the workers' handover).
   */
  async prepare(userId: string, clientId: string): Promise<SyncCounts> {
    const result = await this.ctx.db.query<PrepareRow>(
      `WITH seen AS (UPDATE subscriptions SET seen_at = $3 WHERE user_id = $1 AND client_id = $2 RETURNING 1)
       SELECT s.acked_version, u.feed_horizon, u.privileges, ${BACKGROUND_SYNC_STATE_SQL} AS background_sync,
              (SELECT version FROM sync_clock WHERE id = 1) AS latest,
              (SELECT coalesce(json_object_agg(c.type, c.n), '{}')
                 FROM (SELECT type, count(*) AS n FROM change_feed
                        WHERE user_id = $1 AND version > s.acked_version GROUP BY type) c) AS counts
         FROM subscriptions s JOIN users u ON u.id = s.user_id
        WHERE s.user_id = $1 AND s.client_id = $2`,
      [userId, clientId, this.ctx.clock.now()],
    );
    const row = result.rows[0];
    if (!row) throw noSubscription(clientId);
    requireSyncPrivilege(row.privileges);
    requireFreshCursor(row.acked_version, row.feed_horizon);
    const counts = {
      contact: Number(row.counts["contact"] ?? 0),
      appointment: Number(row.counts["appointment"] ?? 0),
      task: Number(row.counts["task"] ?? 0),
    };
    return {
      ackedVersion: row.acked_version,
      latestVersion: row.latest,
      counts,
      total: counts.contact + counts.appointment + counts.task,
      backgroundSync: row.background_sync,
    };
  }

  /**
   * GetSyncData: up to `limit` entries after `after` (default: the acknowledged version) in version order.
   * `after = 0` lists the user's whole view and is always answered.
   */
  async page(
    userId: string,
    request: { clientId: string; after?: number; limit?: number },
  ): Promise<SyncPage> {
    const limit = request.limit ?? LIMITS.defaultPageSize;
    if (!Number.isInteger(limit) || limit < 1 || limit > LIMITS.pageSize) {
      throw new InputError("limit", `must be an integer from 1 to ${LIMITS.pageSize}`);
    }
    const result = await this.ctx.db.query<PageRow>(
      `SELECT s.acked_version, u.feed_horizon, u.privileges,
              (SELECT version FROM sync_clock WHERE id = 1) AS latest,
              (SELECT coalesce(json_agg(json_build_array(p.record_id, p.type, p.version, p.kind) ORDER BY p.version), '[]')
                 FROM (SELECT record_id, type, version, kind FROM change_feed
                        WHERE user_id = $1 AND version > coalesce($3::bigint, s.acked_version)
                        ORDER BY version LIMIT $4) p) AS entries
         FROM subscriptions s JOIN users u ON u.id = s.user_id
        WHERE s.user_id = $1 AND s.client_id = $2`,
      [userId, request.clientId, request.after ?? null, limit + 1],
    );
    const row = result.rows[0];
    if (!row) throw noSubscription(request.clientId);
    requireSyncPrivilege(row.privileges);
    const after = request.after ?? row.acked_version;
    if (after > row.latest) throw new InputError("after", `is beyond the latest version ${row.latest}`);
    requireFreshCursor(after, row.feed_horizon);
    const hasMore = row.entries.length > limit;
    const entries = row.entries
      .slice(0, limit)
      .map(([crmId, type, version, kind]): SyncEntry => ({ crmId, type, version: Number(version), kind }));
    const last = entries[entries.length - 1];
    return {
      entries,
      nextAfter: hasMore && last ? last.version : row.latest,
      hasMore,
      latestVersion: row.latest,
    };
  }

  /** The newest committed version of the change stream. */
  async latestVersion(): Promise<number> {
    const result = await this.ctx.db.query<{ version: number }>(
      "SELECT version FROM sync_clock WHERE id = 1",
    );
    return result.rows[0]?.version ?? 0;
  }

  /**
   * PostSync: the acknowledged version becomes max(current, version); never moves back, so a replay is harmless.
   * The user's tombstones every one of their clients acknowledged are dropped. `removedFromOutlook` marks
   * records as removed from the user's Outlook (`outlook-removals.ts`); a replay marks nothing new.
   */
  async acknowledge(
    userId: string,
    request: { clientId: string; version: number; removedFromOutlook?: readonly string[] | undefined },
  ): Promise<number> {
    const removed = [...new Set(request.removedFromOutlook ?? [])];
    if (removed.length > LIMITS.removedIds) {
      throw new InputError("removedFromOutlook", `at most ${LIMITS.removedIds} record ids`);
    }
    return this.ctx.db.transaction(async (tx) => {
      const firstVersion = removed.length > 0 ? await allocateVersions(tx, removed.length) : 0;
      const latest = await tx.query<{ version: number }>("SELECT version FROM sync_clock WHERE id = 1");
      const newest = latest.rows[0]?.version ?? 0;
      if (request.version > newest) throw new InputError("version", `is beyond the latest version ${newest}`);
      const updated = await tx.query<{ acked_version: number }>(
        `UPDATE subscriptions SET acked_version = greatest(acked_version, $3)
          WHERE user_id = $1 AND client_id = $2 RETURNING acked_version`,
        [userId, request.clientId, request.version],
      );
      const row = updated.rows[0];
      if (!row) throw noSubscription(request.clientId);
      if (removed.length > 0) {
        const ids = removed.filter((id) => isUuid(id));
        const now = this.ctx.clock.now();
        const users = await markRemovedFromOutlook(tx, { userId, ids, firstVersion, now });
        await notifyChange(tx, this.ctx.channel, users, firstVersion + removed.length - 1);
      }
      await tx.query(
        `DELETE FROM change_feed WHERE user_id = $1 AND kind <> 'upsert'
            AND version <= (SELECT min(acked_version) FROM subscriptions WHERE user_id = $1)`,
        [userId],
      );
      return row.acked_version;
    });
  }
}
