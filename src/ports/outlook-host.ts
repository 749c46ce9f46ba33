import type { Disposable } from "./clock";
import type { CrmLinkStamp } from "./mailbox-store";
import type { EntityType, Fields } from "../core/types";

/**
 * What Office.js offers the add-in about the item the user has open, plus host services
 * (roaming settings, categories, notification bar). Plain data only crosses this port, never Office objects.
 * Real adapter: OfficeJsOutlookHost over the `Office` global (the simulator supplies its own `Office`).
 */

/**
 * The kind of the current item as the tracking rules see it (SPEC §7). Outlook on the web shows add-ins only
 * messages and appointments, so OfficeJsOutlookHost (and its simulated twin) never report "contact" or
 * "task": those are tracked through the MailboxStore (its `link` stamp) instead.
 */
export type CurrentItemKind =
  "receivedEmail" | "sentEmail" | "draftEmail" | "appointment" | "contact" | "task";

/** The store's type of an item of `kind`. */
export function entityTypeOfKind(kind: CurrentItemKind): EntityType {
  return kind === "receivedEmail" || kind === "sentEmail" || kind === "draftEmail" ? "email" : kind;
}

/** The item the user has open (read or compose form), or selected in the pinned task pane. */
export interface CurrentItem {
  /** The item's id, or null for an unsaved compose item. */
  readonly itemId: string | null;
  readonly kind: CurrentItemKind;
  readonly mode: "read" | "compose";
  /** Outlook-key fields the host can read (for e-mail: subject, body, from, to, cc, sentAt, receivedAt, internetMessageId, direction). */
  readonly fields: Fields;
  readonly categories: readonly string[];
  /** The tracking stamp from the item's custom properties. */
  readonly link: CrmLinkStamp | null;
}

/** What an OnMessageSend handler decides: let the message go, or block it with a message for the user. */
export interface SendDecision {
  readonly allow: boolean;
  readonly errorMessage?: string;
}

/** A message in the item's notification bar (text longer than 150 characters is cut, as Outlook requires). */
export interface HostNotice {
  readonly key: string;
  readonly kind: "info" | "progress" | "error";
  readonly text: string;
}

export interface OutlookHost {
  /** The signed-in mailbox owner. */
  mailboxUser(): { readonly emailAddress: string; readonly displayName: string };
  /** The current item, or null when none is selected (pinned task pane between items). */
  getCurrentItem(): Promise<CurrentItem | null>;
  /** Called after the pinned task pane moves to another item (or to none). */
  onItemChanged(listener: () => void): Disposable;
  /** Writes the tracking stamp into the current item's custom properties (kept well under 2,500 characters). */
  setCurrentItemLink(link: CrmLinkStamp | null): Promise<void>;
  /** Adds and removes categories on the current item. */
  updateCurrentItemCategories(change: {
    readonly add: readonly string[];
    readonly remove: readonly string[];
  }): Promise<void>;
  /** Creates the category in the mailbox's master list when missing. */
  ensureMasterCategory(name: string, color: string): Promise<void>;
  /**
   * Reads and saves the add-in's roaming settings (raw JSON-able values). Office.js cannot list roaming
   * settings, so the values live as one object under the key "crmSync"; saving replaces that object.
   */
  readRoamingSettings(): Promise<Readonly<Record<string, unknown>>>;
  saveRoamingSettings(values: Readonly<Record<string, unknown>>): Promise<void>;
  /** Shows or replaces a message in the current item's notification bar; does nothing when no item is open. */
  notify(notice: HostNotice): Promise<void>;
  /** Removes the message with this key from the current item's notification bar; a missing key is fine. */
  clearNotice(key: string): Promise<void>;
  /**
   * Handles the OnMessageSend launch event (`Office.actions.associate("onMessageSendHandler", …)`): `handler`
   * sees the draft as the current item and decides. The event is always completed, also when the handler
   * throws (then the send is allowed, so a sync failure never blocks mail). Disposing stops handling.
   */
  onMessageSend(handler: (draft: CurrentItem) => Promise<SendDecision>): Disposable;
}
