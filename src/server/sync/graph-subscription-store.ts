/**
 * The Graph change-notification subscriptions of background-synced mailboxes (table `graph_subscriptions`,
 * migration 0009), and the hand-off from the sync server's notification endpoint to the workers: a notification
 * whose subscription id and clientState match a row wakes that row's mailbox through a NOTIFY on
 * {@link graphNoticeChannel}, which every worker LISTENs on. A lifecycle notification is written on its row
 * (reauthorizationRequired) or removes it (subscriptionRemoved) and wakes the mailbox too: its next run, which the
 * queue runs on one worker at a time, answers it (src/headless/subscription-keeper.ts writes the rows).
 */
import { timingSafeEqual } from "node:crypto";
import type { Clock } from "../../ports/clock";
import type { Database, SqlExecutor } from "../db/database";

/** The NOTIFY channel of Graph notices for a CRM schema. */
export const graphNoticeChannel = (schema: string): string => `graph_notices_${schema}`;

/** metadata EnumType lifecycleEventType. */
export type LifecycleEvent = "missed" | "subscriptionRemoved" | "reauthorizationRequired";

/** What a worker hears on the channel: the mailboxes to sync soon. */
export interface GraphNotice {
  readonly users: readonly string[];
}

export interface StoredSubscription {
  readonly id: string;
  readonly userId: string;
  readonly resource: string;
  readonly expiresAt: number;
  /** reauthorizationRequired until the keeper reauthorized it. */
  readonly lifecycleEvent?: "reauthorizationRequired" | null;
}

/** One entry of a notification POST, as far as the endpoint reads it. */
export interface ReceivedNotification {
  readonly subscriptionId: string;
  readonly clientState?: string | null | undefined;
  readonly lifecycleEvent?: LifecycleEvent | undefined;
}

/** NOTIFY payloads must stay under PostgreSQL's 8,000 bytes: users are sent in chunks of this many. */
const USERS_PER_NOTICE = 100;

const sameSecret = (a: string, b: string): boolean => {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
};

export class GraphSubscriptionStore {
  readonly channel: string;

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {
    this.channel = graphNoticeChannel(db.schema);
  }

  /** Records a subscription Graph made (replacing the user's earlier one on the same resource). */
  async save(subscription: StoredSubscription & { readonly clientState: string }): Promise<void> {
    await this.db.query(
      `INSERT INTO graph_subscriptions (id, user_id, resource, client_state, expires_at, created_at)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (user_id, resource) DO UPDATE
         SET id = EXCLUDED.id, client_state = EXCLUDED.client_state, expires_at = EXCLUDED.expires_at,
             created_at = EXCLUDED.created_at`,
      [
        subscription.id,
        subscription.userId,
        subscription.resource,
        subscription.clientState,
        subscription.expiresAt,
        this.clock.now(),
      ],
    );
  }

  /** Records a renewal or a reauthorization: the new expiry, and no lifecycle event left to answer. */
  async renewed(id: string, expiresAt: number): Promise<void> {
    await this.db.query(
      "UPDATE graph_subscriptions SET expires_at = $2, lifecycle_event = NULL WHERE id = $1",
      [id, expiresAt],
    );
  }

  async remove(id: string): Promise<void> {
    await this.db.query("DELETE FROM graph_subscriptions WHERE id = $1", [id]);
  }

  /** The user's subscriptions, by resource. */
  async ofUser(userId: string): Promise<StoredSubscription[]> {
    const result = await this.db.query<{
      id: string;
      user_id: string;
      resource: string;
      expires_at: number;
      lifecycle_event: "reauthorizationRequired" | null;
    }>(
      `SELECT id, user_id, resource, expires_at, lifecycle_event FROM graph_subscriptions
        WHERE user_id = $1 ORDER BY resource`,
      [userId],
    );
    return result.rows.map((row) => ({
      id: row.id,
      userId: row.user_id,
      resource: row.resource,
      expiresAt: Number(row.expires_at),
      lifecycleEvent: row.lifecycle_event,
    }));
  }

  /** Users with a subscription whose mailbox is no longer enabled for background sync (at most `limit`). */
  async orphanedUsers(limit: number): Promise<string[]> {
    const result = await this.db.query<{ user_id: string }>(
      `SELECT DISTINCT s.user_id FROM graph_subscriptions s
         LEFT JOIN server_mailboxes m ON m.user_id = s.user_id AND m.enabled
        WHERE m.user_id IS NULL ORDER BY s.user_id LIMIT $1`,
      [limit],
    );
    return result.rows.map((row) => row.user_id);
  }

  /**
   * The endpoint's work for one POST: keeps the entries whose subscription exists and whose clientState matches
   * (webhooks, "Processing the notification": anything else is not a notification from Graph), writes their
   * lifecycle events, and tells the workers in the same transaction's NOTIFY. Returns how many were genuine.
   */
  async received(entries: readonly ReceivedNotification[]): Promise<number> {
    if (entries.length === 0) return 0;
    const ids = [...new Set(entries.map((entry) => entry.subscriptionId))];
    return this.db.transaction(async (tx) => {
      const result = await tx.query<{ id: string; user_id: string; client_state: string }>(
        "SELECT id, user_id, client_state FROM graph_subscriptions WHERE id = ANY($1::text[]) FOR UPDATE",
        [ids],
      );
      const rows = new Map(result.rows.map((row) => [row.id, row]));
      const genuine = entries.flatMap((entry) => {
        const row = rows.get(entry.subscriptionId);
        return row !== undefined && sameSecret(entry.clientState ?? "", row.client_state)
          ? [{ entry, userId: row.user_id }]
          : [];
      });
      for (const { entry } of genuine) {
        // webhooks-lifecycle: reauthorizationRequired asks the app to reauthorize (or renew); subscriptionRemoved
        // means the subscription is gone and must be made again; missed asks for a resync, which the run's delta is.
        if (entry.lifecycleEvent === "reauthorizationRequired") {
          await tx.query("UPDATE graph_subscriptions SET lifecycle_event = $2 WHERE id = $1", [
            entry.subscriptionId,
            entry.lifecycleEvent,
          ]);
        } else if (entry.lifecycleEvent === "subscriptionRemoved") {
          await tx.query("DELETE FROM graph_subscriptions WHERE id = $1", [entry.subscriptionId]);
        }
      }
      const users = [...new Set(genuine.map(({ userId }) => userId))];
      for (let start = 0; start < users.length; start += USERS_PER_NOTICE) {
        await this.notify(tx, { users: users.slice(start, start + USERS_PER_NOTICE) });
      }
      return genuine.length;
    });
  }

  private async notify(tx: SqlExecutor, notice: GraphNotice): Promise<void> {
    await tx.query("SELECT pg_notify($1, $2)", [this.channel, JSON.stringify(notice)]);
  }
}
