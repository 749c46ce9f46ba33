import type { Disposable } from "./clock";
import type { EntityType, Fields } from "../core/types";

/**
 * The user's whole mailbox (contacts, calendar, tasks, mail), as Microsoft Graph reaches it.
 * The real adapter is GraphMailboxStore; its simulated twin reads the simulator's mailbox directly.
 * Both pass the same contract suite. Every method is async and answers on a later tick.
 *
 * Values: dates and times come back in one canonical form, whatever form was written:
 * `YYYY-MM-DDTHH:mm:ssZ` (UTC, milliseconds only when non-zero) for date-times and `YYYY-MM-DD` for the
 * contact dates `birthday` and `anniversary`. Take snapshots from the items the store returns.
 * Read-only keys (`direction`, `iCalUId`, `originalStart`) are ignored on write; `duration` is derived from start
 * and end (writing `duration` alone moves `end`).
 *
 * Recurring series (SPEC §15): a series is its master, an appointment whose fields hold `recurrence` (the
 * pattern text of src/core/recurrence.ts) and `cancelledOccurrences` (the original starts of its cancelled
 * occurrences), and its exceptions, appointments of their own with `originalStart`; {@link MailboxItem.series}
 * says which. A scan lists a series through its master and its exceptions, never through its plain
 * occurrences. Writing `cancelledOccurrences` on a master cancels the occurrences the new list adds; a
 * cancelled occurrence cannot come back (invalidInput). Deleting an exception cancels its occurrence; deleting a
 * master deletes the series with its exceptions.
 *
 * Failures name the mailbox, never the CRM: SyncError("mailboxUnreachable") when the mailbox gives no answer,
 * SyncError("mailboxServerError") when it answers with a failure or an answer that cannot be read.
 */

/**
 * The named MAPI property in which Office.js keeps an add-in's custom properties (a JSON object), as Graph
 * names it in `singleValueExtendedProperties`. The link stamp is the `crmId` and `state` keys of that object,
 * so the Office.js host and the Graph store read and write one stamp.
 */
export function customPropertiesPropertyId(addinId: string): string {
  return `String {00020329-0000-0000-C000-000000000046} Name cecp-${addinId}`;
}

const LINK_STATES: ReadonlySet<string> = new Set([
  "tracked",
  "trackRequested",
  "untrackRequested",
  "untrackAndDeleteRequested",
  "trackOnSend",
  "suspended",
]);

/**
 * Reads the link stamp out of an add-in's custom properties object (the JSON of
 * {@link customPropertiesPropertyId}). Anything that is not a complete, valid stamp reads as null.
 *
 * A stamp written on an e-mail carries that message's internet message id (`mid`). `messageId` is the id of the
 * message being read (null for a draft, which has none yet): a stamp made for another message was copied with
 * its custom properties into a forward or reply, and reads as null, so the copy never links to the parent's
 * record. Items other than e-mail pass no `messageId`.
 */
export function linkFromCustomProperties(
  properties: Readonly<Record<string, unknown>>,
  messageId?: string | null,
): CrmLinkStamp | null {
  const { crmId, state, mid } = properties;
  if (typeof mid === "string" && messageId !== undefined && mid !== messageId) return null;
  if (typeof state !== "string" || !LINK_STATES.has(state)) return null;
  if (crmId !== null && crmId !== undefined && typeof crmId !== "string") return null;
  return { crmId: crmId ?? null, state: state as CrmLinkStamp["state"] };
}

/**
 * The custom properties object with the link stamp written into it (null removes the stamp). Other keys,
 * which other code of the add-in may keep there, are preserved. `messageId`, the internet message id of the
 * e-mail stamped (when it has one), is kept with the stamp as `mid` (see {@link linkFromCustomProperties}).
 */
export function customPropertiesWithLink(
  properties: Readonly<Record<string, unknown>>,
  link: CrmLinkStamp | null,
  messageId?: string | null,
): Record<string, unknown> {
  const { crmId: _crmId, state: _state, mid: _mid, ...rest } = properties;
  if (link === null) return rest;
  return {
    ...rest,
    crmId: link.crmId,
    state: link.state,
    ...(typeof messageId === "string" && messageId !== "" && { mid: messageId }),
  };
}

/** The internet message id a stamp on an item of `type` with `fields` is compared with: e-mail only. */
export function stampMessageId(
  type: EntityType,
  fields: Readonly<Record<string, unknown>>,
): string | null | undefined {
  if (type !== "email") return undefined;
  const id = fields.internetMessageId;
  return typeof id === "string" && id !== "" ? id : null;
}

/** The named property that holds a create's idempotency key on contacts, tasks and messages (events use transactionId). */
export const IDEMPOTENCY_PROPERTY_ID =
  "String {6f1c3e52-9b7d-4a7e-8c1e-2d5b9a4f0c11} Name crmSyncIdempotencyKey";

/** What the add-in stamps on an item so a lost cache can be rebuilt without duplicates (SPEC §7). */
export interface CrmLinkStamp {
  /** The linked CRM record, or null while only a tracking request exists. */
  readonly crmId: string | null;
  /**
   * tracked: linked and syncing. trackRequested / untrackRequested: a secondary client asked the
   * primary to act at its next sync; untrackAndDeleteRequested is an untrack request whose user also chose to
   * delete the record (SPEC §8), which the primary carries out. trackOnSend: a draft to be tracked when it is sent. suspended: linked to
   * `crmId` under a customization package that no longer syncs the item's type; it is linked again, without a
   * duplicate, when a package syncs the type again (SPEC §11).
   */
  readonly state:
    | "tracked"
    | "trackRequested"
    | "untrackRequested"
    | "untrackAndDeleteRequested"
    | "trackOnSend"
    | "suspended";
}

/** Where an event stands in a recurring series (Graph event `type` and `seriesMasterId`, SPEC §15). */
export interface SeriesInfo {
  /** `occurrence`: a plain occurrence, which getItems may return for an id Outlook gave; a scan never lists one. */
  readonly eventType: "seriesMaster" | "exception" | "occurrence";
  /** An exception's or occurrence's series master (its item id); null for the master itself. */
  readonly seriesMasterId: string | null;
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
  /** Series masters and exceptions only; absent on every other item. */
  readonly series?: SeriesInfo;
}

/**
 * Names one mailbox item: its id and its type, so a store addresses the one collection that holds it (Graph
 * keeps contacts, events, To Do tasks and messages at different paths). A {@link MailboxItem} is one.
 */
export interface MailboxItemRef {
  readonly itemId: string;
  readonly type: EntityType;
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

/**
 * The span of the calendar a scan covers, relative to the clock's now (Graph's calendarView window). Events
 * outside it are not listed by a first scan, and an event that moves out of it is not a removal.
 */
export interface CalendarWindow {
  readonly pastDays: number;
  readonly futureDays: number;
}

/** The window both stores use unless told otherwise. */
export const DEFAULT_CALENDAR_WINDOW: CalendarWindow = { pastDays: 90, futureDays: 365 };

/** The result of one missed-change scan of a folder (SPEC §3.2). */
/** One folder of {@link MailboxStore.scanFolders}, with the checkpoint to scan it from. */
export interface FolderScanRequest {
  readonly folderId: string;
  readonly checkpoint: FolderCheckpoint | null;
}

export interface FolderScan {
  /** Items changed since the checkpoint (all items when the checkpoint was null or reset). */
  readonly changed: readonly MailboxItem[];
  /** Item ids removed since the checkpoint. Events that merely left the calendar window are not listed. */
  readonly removed: readonly string[];
  /** True when the store had to rescan the folder from scratch (for example Graph answered 410). */
  readonly fullRescan: boolean;
  readonly checkpoint: FolderCheckpoint;
}

/** One page of a folder's id-only listing (see {@link MailboxStore.listItemIds}). */
export interface ItemIdPage {
  /** Ids of items the folder holds, as getItems takes them. */
  readonly itemIds: readonly string[];
  /** Opaque: pass it back for the next page; null when this page ends the listing. */
  readonly next: string | null;
}

/** A change the store observed, delivered to {@link MailboxStore.watch} listeners. */
export interface MailboxChangeNotice {
  readonly itemId: string;
  readonly type: EntityType;
  readonly kind: "upsert" | "delete";
  /** When the change happened (ms since epoch, server time). */
  readonly at: number;
}

/** A source of change notices (the simulator's mailbox, or what the add-in observed through Office.js). */
export interface MailboxChangeFeed {
  /** Calls `listener` for every later change, on a later tick, until disposed. */
  subscribe(listener: (notice: MailboxChangeNotice) => void): Disposable;
}

/** What {@link MailboxStore.createItem} makes. */
export interface NewMailboxItem {
  readonly type: EntityType;
  readonly fields: Fields;
  readonly idempotencyKey: string;
  readonly categories?: readonly string[];
  readonly link?: CrmLinkStamp | null;
  /**
   * The caller knows that no earlier call made an item with this key (it recorded no attempt, or
   * findByIdempotencyKey has just answered none), so the store skips its look-up before the first attempt.
   * An attempt whose answer is lost within the call is still looked up before it is repeated.
   */
  readonly firstAttempt?: boolean;
}

/** What became of one create of {@link MailboxStore.createItems}: the item, or why it was not made. */
export type CreateOutcome = { readonly item: MailboxItem } | { readonly error: unknown };

/** Creates each input with `create`, one after another, each failure its own outcome. */
export async function createOneByOne(
  create: (input: NewMailboxItem) => Promise<MailboxItem>,
  inputs: readonly NewMailboxItem[],
): Promise<readonly CreateOutcome[]> {
  const outcomes: CreateOutcome[] = [];
  for (const input of inputs) {
    try {
      outcomes.push({ item: await create(input) });
    } catch (error) {
      outcomes.push({ error });
    }
  }
  return outcomes;
}

/** Creates the inputs through the store's createItems, or its createItem one at a time for a store without it. */
export function createItemsIn(
  store: MailboxStore,
  inputs: readonly NewMailboxItem[],
): Promise<readonly CreateOutcome[]> {
  if (store.createItems !== undefined) return store.createItems(inputs);
  return createOneByOne((input) => store.createItem(input), inputs);
}

/** What {@link MailboxStore.updateItem} writes: only the given fields (null clears one), categories and stamp. */
export interface MailboxItemPatch {
  readonly fields?: Fields;
  readonly categories?: readonly string[];
  readonly link?: CrmLinkStamp | null;
}

/** Parses the JSON of an add-in's custom properties; anything but a JSON object reads as {}. */
export function parseCustomProperties(json: string | undefined): Record<string, unknown> {
  if (json === undefined) return {};
  try {
    const parsed: unknown = JSON.parse(json);
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

export interface MailboxStore {
  /** Folders of the given types that sync (contacts, calendar, tasks, and Sent Items for e-mail). */
  listFolders(types: readonly EntityType[]): Promise<readonly MailboxFolder[]>;
  /** Changes in a folder since `checkpoint` (null: everything). */
  scanFolder(folderId: string, checkpoint: FolderCheckpoint | null): Promise<FolderScan>;
  /**
   * Changes in several folders, each answer as {@link scanFolder} gives it for that folder and checkpoint, in
   * the order asked. A store may read them in fewer round trips than one a folder.
   */
  scanFolders(requests: readonly FolderScanRequest[]): Promise<readonly FolderScan[]>;
  /**
   * Lists the ids of every item a folder holds, page by page (up to 1,000 ids a page): `page` null starts
   * a listing, a page's `next` continues it. Unlike a scan, the listing has no date bound (all of Sent Items,
   * the whole calendar) and lists no series exceptions or occurrences, only masters and single items.
   * Reconciliation (SPEC §3.3) compares it with the mappings. Fails with SyncError("notFound") for a folder
   * that is not a synced one and SyncError("invalidInput") for a `page` this store did not give for the folder.
   */
  listItemIds(folderId: string, page: string | null): Promise<ItemIdPage>;
  /**
   * The items these references name; a missing item, or one that is not of the type its reference says, maps
   * to null, and every requested id is a key of the result. Batched by the adapter.
   */
  getItems(refs: readonly MailboxItemRef[]): Promise<ReadonlyMap<string, MailboxItem | null>>;
  /**
   * Creates an item, stamping `idempotencyKey` first: replaying a create with the same key returns the
   * item the first call made instead of a second one (unless the replay claims `firstAttempt`).
   */
  createItem(input: NewMailboxItem): Promise<MailboxItem>;
  /**
   * Creates several items, each as {@link createItem} would (its key, its replay), in the order given; one that
   * fails does not stop the others. A store may send them in fewer round trips than one an item; with a store
   * that lacks it, callers create one item at a time.
   */
  createItems?(inputs: readonly NewMailboxItem[]): Promise<readonly CreateOutcome[]>;
  /** Finds an item by the key a create stamped on it. */
  findByIdempotencyKey(type: EntityType, idempotencyKey: string): Promise<MailboxItem | null>;
  /**
   * Writes only the given fields (null clears one), and optionally the categories and the link stamp.
   * Fails with SyncError("notFound") when the item is gone (or is not of the type `ref` says),
   * SyncError("invalidInput") naming the field when a key or value is not valid for the type (nothing is
   * written then).
   */
  updateItem(ref: MailboxItemRef, patch: MailboxItemPatch): Promise<MailboxItem>;
  /**
   * Writes the patch on the occurrence of series `seriesMasterId` that the pattern starts at `originalStart`:
   * the first write makes it an exception, later ones update that exception; returns the exception. Fails with
   * SyncError("notFound") when the series is gone or has no such occurrence (not on the pattern, or cancelled).
   */
  updateOccurrence(
    seriesMasterId: string,
    originalStart: string,
    patch: MailboxItemPatch,
  ): Promise<MailboxItem>;
  /**
   * The exceptions of series `seriesMasterId` whose occurrences fall in the store's calendar window (from now −
   * pastDays to now + futureDays), as getItems returns them, in no set order; plain occurrences are not listed.
   * An exception made before the series was tracked is found so (SPEC §15). Fails with SyncError("notFound")
   * when the series is gone.
   */
  listExceptions(seriesMasterId: string): Promise<readonly MailboxItem[]>;
  /** Deletes an item. Deleting an item that is already gone (or not of the type `ref` says) succeeds. */
  deleteItem(ref: MailboxItemRef): Promise<void>;
  /**
   * Calls `listener` for every change the store observes, on a later tick, until disposed. The simulated
   * store reports every `notify: true` edit of the simulated mailbox. In Outlook on the web no push channel
   * reaches a browser add-in: the Graph store reports only what its injected change feed (what the add-in
   * itself observed) tells it, and the missed-change scan finds the rest. Never reports the store's own writes.
   */
  watch(listener: (notice: MailboxChangeNotice) => void): Disposable;
}
