import type { EntityType, Fields } from "../core/types";

/**
 * The user's whole mailbox (contacts, calendar, tasks, mail), as Microsoft Graph reaches it.
 * The real adapter is GraphMailboxStore; its simulated twin reads the simulator's mailbox directly.
 * Both pass the same contract suite. Every method is async and answers on a later tick.
 */

/** What the add-in stamps on an item so a lost cache can be rebuilt without duplicates (SPEC §7). */
export interface CrmLinkStamp {
  /** The linked CRM record, or null while only a tracking request exists. */
  readonly crmId: string | null;
  /**
   * tracked: linked and syncing. trackRequested / untrackRequested: a secondary client asked the
   * primary to act at its next sync. trackOnSend: a draft to be tracked when it is sent.
   */
  readonly state: "tracked" | "trackRequested" | "untrackRequested" | "trackOnSend";
}

/** One mailbox item as plain data. Field keys are the Outlook keys of SPEC §2. */
export interface MailboxItem {
  readonly itemId: string;
  readonly type: EntityType;
  readonly folderId: string;
  readonly fields: Fields;
  /** Server-assigned last modification time (ms since epoch). */
  readonly modifiedAt: number;
  /** Server-assigned opaque version; changes on every write. */
  readonly changeKey: string;
  readonly categories: readonly string[];
  readonly link: CrmLinkStamp | null;
  /** The client-made key stamped at creation (events: transactionId), or null. */
  readonly idempotencyKey: string | null;
}

/** A folder the engine scans. */
export interface MailboxFolder {
  readonly folderId: string;
  readonly type: EntityType;
  readonly name: string;
}

/** Where a folder scan stopped: an opaque delta link and/or a modification-time watermark. */
export interface FolderCheckpoint {
  readonly deltaLink: string | null;
  readonly watermark: number | null;
}

/** The result of one missed-change scan of a folder (SPEC §3.2). */
export interface FolderScan {
  /** Items changed since the checkpoint (all items when the checkpoint was null or reset). */
  readonly changed: readonly MailboxItem[];
  /** Item ids removed since the checkpoint. Events that merely left the calendar window are not listed. */
  readonly removed: readonly string[];
  /** True when the store had to rescan the folder from scratch (for example Graph answered 410). */
  readonly fullRescan: boolean;
  readonly checkpoint: FolderCheckpoint;
}

export interface MailboxStore {
  /** Folders of the given types that sync (contacts, calendar, tasks, and Sent Items for e-mail). */
  listFolders(types: readonly EntityType[]): Promise<readonly MailboxFolder[]>;
  /** Changes in a folder since `checkpoint` (null: everything). */
  scanFolder(folderId: string, checkpoint: FolderCheckpoint | null): Promise<FolderScan>;
  /** The items with these ids; a missing item maps to null. Batched by the adapter. */
  getItems(itemIds: readonly string[]): Promise<ReadonlyMap<string, MailboxItem | null>>;
  /**
   * Creates an item, stamping `idempotencyKey` first: replaying a create with the same key returns the
   * item the first call made instead of a second one.
   */
  createItem(input: {
    readonly type: EntityType;
    readonly fields: Fields;
    readonly idempotencyKey: string;
    readonly categories?: readonly string[];
    readonly link?: CrmLinkStamp | null;
  }): Promise<MailboxItem>;
  /** Finds an item by the key a create stamped on it. */
  findByIdempotencyKey(type: EntityType, idempotencyKey: string): Promise<MailboxItem | null>;
  /**
   * Writes only the given fields (null clears one), and optionally the categories and the link stamp.
   * Fails with SyncError("notFound") when the item is gone.
   */
  updateItem(
    itemId: string,
    patch: { readonly fields?: Fields; readonly categories?: readonly string[]; readonly link?: CrmLinkStamp | null },
  ): Promise<MailboxItem>;
  /** Deletes an item. Deleting an item that is already gone succeeds. */
  deleteItem(itemId: string): Promise<void>;
}
