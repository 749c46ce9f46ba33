/**
 * Keeps the Graph change-notification subscriptions of a background-synced mailbox: one per synced folder
 * (contacts, calendar, To Do tasks, Sent Items), each with its own secret clientState, renewed a day before it
 * expires, reauthorized when Graph asked for it (a reauthorizationRequired lifecycle notification), made again
 * when Graph removed it, and deleted when the mailbox is no longer synced. It runs after each sync run of the
 * mailbox, which the queue gives one worker at a time, so two workers never keep one mailbox's subscriptions.
 * A subscription it cannot make (Graph could not validate the notification URL, say) is logged and tried again at
 * the next run: polling still syncs the mailbox.
 */
import { randomBytes } from "node:crypto";
import type { GraphSubscriptionClient } from "../adapters/graph/graph-subscription-client";
import { SyncError } from "../core/errors";
import type { EntityType } from "../core/types";
import type { Clock } from "../ports/clock";
import type { Logger } from "../ports/logger";
import type { MailboxFolder } from "../ports/mailbox-store";
import type { Database } from "../server/db/database";
import type { GraphSubscriptionStore, StoredSubscription } from "../server/sync/graph-subscription-store";

/** How long a subscription is asked for: under Graph's 4230 minutes for Outlook resources (subscription resource type). */
const LIFETIME_MS = 4200 * 60_000;
/** A subscription with less than this left is renewed. */
const RENEW_BEFORE_MS = 24 * 60 * 60_000;
/** The folder types subscribed to. */
const TYPES: readonly EntityType[] = ["contact", "appointment", "task", "email"];

/** webhooks, "Supported resources": the collection a folder's changes are watched on. */
function resourceOf(address: string, folder: MailboxFolder): string {
  const user = `/users/${encodeURIComponent(address)}`;
  const id = encodeURIComponent(folder.folderId);
  switch (folder.type) {
    case "contact":
      return `${user}/contactFolders/${id}/contacts`;
    case "appointment":
      // The calendar's events, occurrences' series masters and exceptions included.
      return `${user}/events`;
    case "task":
      return `${user}/todo/lists/${id}/tasks`;
    case "email":
      return `${user}/mailFolders/${id}/messages`;
  }
}

export interface SubscriptionKeeperOptions {
  readonly db: Database;
  readonly store: GraphSubscriptionStore;
  readonly client: GraphSubscriptionClient;
  /** The mailbox's folders of these types (GraphMailboxStore.listFolders for its address). */
  readonly foldersOf: (address: string, types: readonly EntityType[]) => Promise<readonly MailboxFolder[]>;
  /** The sync server's public base URL; Graph POSTs to `/graph/notifications` and `/graph/lifecycle` under it. */
  readonly notificationBaseUrl: string;
  readonly clock: Clock;
  readonly logger: Logger;
}

export class SubscriptionKeeper {
  constructor(private readonly options: SubscriptionKeeperOptions) {}

  /** Makes the mailbox's subscriptions whole: renewed, reauthorized, and one per synced folder. */
  async ensure(userId: string): Promise<void> {
    const { store, client, clock, logger } = this.options;
    const kept: StoredSubscription[] = [];
    for (const row of await store.ofUser(userId)) {
      try {
        if (row.lifecycleEvent === "reauthorizationRequired") {
          await client.reauthorize(row.id);
          await store.renewed(row.id, row.expiresAt);
        }
        if (row.expiresAt - clock.now() < RENEW_BEFORE_MS) {
          const renewed = await client.renew(row.id, clock.now() + LIFETIME_MS);
          await store.renewed(row.id, renewed.expiresAt);
        }
        kept.push(row);
      } catch (error) {
        if (!(error instanceof SyncError && error.code === "notFound")) throw error;
        // Gone from Graph (expired, or removed without a lifecycle notification reaching us): make it again.
        await store.remove(row.id);
      }
    }
    if (kept.length >= TYPES.length) return;
    const address = await this.addressOf(userId);
    const have = new Set(kept.map((row) => row.resource));
    const folders = await this.options.foldersOf(address, TYPES);
    const base = this.options.notificationBaseUrl.replace(/\/+$/, "");
    for (const folder of folders) {
      const resource = resourceOf(address, folder);
      if (have.has(resource)) continue;
      const clientState = randomBytes(32).toString("base64url");
      try {
        const created = await client.create({
          resource,
          changeType: "created,updated,deleted",
          notificationUrl: `${base}/graph/notifications`,
          lifecycleNotificationUrl: `${base}/graph/lifecycle`,
          clientState,
          expiresAt: clock.now() + LIFETIME_MS,
        });
        await store.save({ id: created.id, userId, resource, clientState, expiresAt: created.expiresAt });
      } catch (error) {
        logger.warn("a Graph subscription could not be made; the mailbox is polled until the next try", {
          userId,
          resource,
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
  }

  /** Deletes the mailbox's subscriptions, at Graph and here (the mailbox is no longer synced). */
  async release(userId: string): Promise<void> {
    for (const row of await this.options.store.ofUser(userId)) {
      await this.options.client.delete(row.id);
      await this.options.store.remove(row.id);
    }
  }

  private async addressOf(userId: string): Promise<string> {
    const result = await this.options.db.query<{ emails: string[] }>(
      "SELECT emails FROM users WHERE id = $1",
      [userId],
    );
    const address = result.rows[0]?.emails[0];
    if (address === undefined)
      throw new SyncError("invalidInput", {
        details: `CRM user "${userId}" has no e-mail address, so no mailbox.`,
      });
    return address;
  }
}
