import { SyncError } from "../../core/errors";
import type { EntityType, FieldValue, Fields } from "../../core/types";
import type { Clock, Disposable } from "../../ports/clock";
import type { MailboxChangeNotice } from "../../ports/mailbox-store";
import { customPropertiesPropertyId, parseCustomProperties } from "../../ports/mailbox-store";
import {
  formatExchangeId,
  isImmutableId,
  newImmutableId,
  newRestId,
  occurrenceId,
  parseOccurrenceId,
  parseExchangeId,
  type ExchangeIdFormat,
} from "./exchange-ids";
import { canonicalDateTime, canonicalFields, READ_ONLY_KEYS } from "./field-catalog";
import { isCancelled, isSeriesMaster, occurrenceAt, occurrenceFields, occurrenceStarts } from "./series";
import { SimulatedFaults } from "./simulated-faults";

/**
 * The simulated Exchange mailbox: folders, items with server-assigned ids, modification times and change
 * keys, categories and the master list, extended (custom) properties, roaming settings per add-in, delta
 * state per folder, the current selection and compose form, and the notification bars. The Graph subset
 * server, the fake `Office` global, the simulated adapters and the scenario runner all work on one instance.
 * Browser-safe: no Node APIs; time comes from the injected clock; listeners are called on a later tick.
 *
 * Ids (see exchange-ids.ts): every item has an immutable id for its whole life in the mailbox and a REST id
 * that changes each time it moves to another folder (moveItem, archiveItem, and sending a draft). Every method
 * that takes an item id accepts either form; a REST id the item had before a move no longer resolves.
 */

/** The well-known folders every simulated mailbox has (Graph's well-known folder names). */
export type WellKnownFolder =
  "contacts" | "calendar" | "tasks" | "inbox" | "drafts" | "sentitems" | "archive";

export interface SimulatedFolder {
  readonly folderId: string;
  /** The well-known name, or null for a folder the world made (a child of a well-known folder). */
  readonly wellKnownName: WellKnownFolder | null;
  /** The folder this one lives in, or null for the well-known folders. */
  readonly parentFolderId: string | null;
  readonly type: EntityType;
  readonly name: string;
}

/** One item as stored, including deleted ones (tombstones). Always a copy. */
export interface SimulatedItem {
  /** The REST-format id: it changes when the item moves to another folder. */
  readonly itemId: string;
  /** The immutable REST id (restImmutableEntryId): it never changes while the item is in the mailbox. */
  readonly immutableId: string;
  readonly type: EntityType;
  readonly folderId: string;
  /** Outlook-key fields with values only (no null, no empty list), canonical, with derived `direction` and `duration`. */
  readonly fields: Fields;
  readonly categories: readonly string[];
  /** Graph-style extended properties: property id → string value. */
  readonly extendedProperties: Readonly<Record<string, string>>;
  /** Events only: the client's create key (Graph transactionId). */
  readonly transactionId: string | null;
  readonly createdAt: number;
  readonly modifiedAt: number;
  readonly changeKey: string;
  /** The mailbox-wide change sequence number of the item's last write. */
  readonly seq: number;
  readonly deleted: boolean;
}

export interface NewItem {
  readonly type: EntityType;
  readonly fields: Fields;
  /** A folder id or well-known name; default: the type's folder (e-mail: by `direction`, else Inbox). */
  readonly folder?: string;
  readonly categories?: readonly string[];
  readonly extendedProperties?: Readonly<Record<string, string>>;
  readonly transactionId?: string | null;
}

export interface ItemPatch {
  readonly fields?: Fields;
  readonly categories?: readonly string[];
  /** Property id → new value; null removes the property. */
  readonly extendedProperties?: Readonly<Record<string, string | null>>;
}

/** Who makes a write: the user or another device (`world`) or the add-in through an API (`client`). */
export interface WriteOptions {
  /** Deliver a change notice to subscribers. The add-in's own writes pass false. */
  readonly notify: boolean;
  /** `client` writes ignore read-only keys; `world` writes may set them (e.g. an invite's iCalUId). */
  readonly by?: "world" | "client";
}

/** One write of an item as Graph's change notifications see it. */
export interface MailboxWrite {
  /** The immutable id. */
  readonly itemId: string;
  readonly type: EntityType;
  readonly folderId: string;
  readonly change: "created" | "updated" | "deleted";
}

/** The current selection in the pinned task pane or the open compose form. */
export interface Selection {
  readonly itemId: string;
  readonly mode: "read" | "compose";
}

export interface MasterCategory {
  readonly displayName: string;
  readonly color: string;
}

export interface NotificationMessage {
  readonly key: string;
  readonly type: "informationalMessage" | "progressIndicator" | "errorMessage";
  readonly message: string;
}

/** Decides a send: the fake Office global registers one that runs the add-in's OnMessageSend handler. */
export type SendHook = (
  draftId: string,
) => Promise<{ readonly allow: boolean; readonly errorMessage?: string }>;

/**
 * One entry of a folder's change journal since a sequence number. A removal names the item by the REST id it
 * had in that folder and by its immutable id; `moved` says it left for another folder rather than being deleted.
 */
export type DeltaEntry =
  | { readonly kind: "changed"; readonly item: SimulatedItem }
  | {
      readonly kind: "removed";
      readonly itemId: string;
      readonly immutableId: string;
      readonly moved: boolean;
    };

/** One id of a translateExchangeIds answer: the id in the target format, or why there is none. */
export type TranslatedId =
  | { readonly sourceId: string; readonly targetId: string }
  | { readonly sourceId: string; readonly error: "malformed" | "notFound" };

/** Office.js refuses custom properties longer than this (serialized JSON). */
export const CUSTOM_PROPERTIES_BUDGET = 2500;
/** Outlook's limit for one add-in's roaming settings (serialized JSON). */
export const ROAMING_SETTINGS_BUDGET = 32 * 1024;

const FOLDERS: readonly { wellKnownName: WellKnownFolder; type: EntityType; name: string }[] = [
  { wellKnownName: "contacts", type: "contact", name: "Contacts" },
  { wellKnownName: "calendar", type: "appointment", name: "Calendar" },
  { wellKnownName: "tasks", type: "task", name: "Tasks" },
  { wellKnownName: "inbox", type: "email", name: "Inbox" },
  { wellKnownName: "drafts", type: "email", name: "Drafts" },
  { wellKnownName: "sentitems", type: "email", name: "Sent Items" },
  { wellKnownName: "archive", type: "email", name: "Archive" },
];

/** Values Exchange gives a new item when the client leaves them out. */
const SERVER_DEFAULTS: Record<EntityType, Fields> = {
  contact: {},
  appointment: { isAllDayEvent: false, priority: "normal", showTimeAs: "busy" },
  task: { priority: "normal", status: "notStarted" },
  email: {},
};

/**
 * Everything a mailbox stores, as plain JSON-safe data: folders, every item ever made (with its id history), the
 * master category list, roaming settings and the counters that ids and change keys come from. The selection,
 * notification bars, send hooks and listeners are the open page's, not the mailbox's, and are not part of it.
 */
export interface MailboxState {
  readonly folders: readonly SimulatedFolder[];
  readonly items: readonly StoredItemState[];
  readonly deltaEpochs: readonly (readonly [string, number])[];
  readonly masterCategories: readonly MasterCategory[];
  readonly roaming: readonly (readonly [string, Record<string, unknown>])[];
  readonly seq: number;
  readonly nextId: number;
  readonly nextFolder: number;
}

/** One item as {@link MailboxState} keeps it. */
export type StoredItemState = Stored;

interface Stored {
  /** The mailbox-wide item number the ids encode. */
  readonly number: number;
  readonly immutableId: string;
  /** The current REST id. */
  itemId: string;
  /** How many folders the item has been in (1 in the folder it was created in). */
  placement: number;
  /** The folders it left, with the REST id it had there and the sequence number of the move. */
  departures: { readonly folderId: string; readonly itemId: string; readonly seq: number }[];
  /** E-mail: received (created in the Inbox) or not; a move keeps it. */
  incoming: boolean;
  type: EntityType;
  folderId: string;
  fields: Record<string, FieldValue>;
  categories: string[];
  extendedProperties: Record<string, string>;
  transactionId: string | null;
  createdAt: number;
  modifiedAt: number;
  changeKey: string;
  seq: number;
  deleted: boolean;
}

function notFound(itemId: string): SyncError {
  return new SyncError("notFound", { details: `mailbox item ${itemId} does not exist` });
}

export class SimulatedMailbox {
  /** Fault switches; the Graph subset server reads the HTTP ones. */
  readonly faults = new SimulatedFaults();
  readonly owner: { readonly emailAddress: string; readonly displayName: string };

  /** The clock the mailbox and the Office twin over it keep time by. */
  readonly clock: Clock;
  private readonly folderList: SimulatedFolder[];
  /** Every item ever made, by immutable id, in creation order. */
  private readonly items = new Map<string, Stored>();
  /** Current REST id → immutable id. */
  private readonly restIndex = new Map<string, string>();
  private readonly byTransactionId = new Map<string, string>();
  private readonly deltaEpochs = new Map<string, number>();
  private readonly masterCategoryList: MasterCategory[] = [];
  private readonly roaming = new Map<string, Record<string, unknown>>();
  private readonly notifications = new Map<string, NotificationMessage[]>();
  private readonly noticeListeners = new Set<(notice: MailboxChangeNotice) => void>();
  private readonly writeListeners = new Set<(write: MailboxWrite) => void>();
  private readonly selectionListeners = new Set<() => void>();
  private readonly sendHooks = new Set<SendHook>();
  private readonly composeTypes = new Map<string, "newMail" | "reply" | "forward">();
  /** The selection, naming the item by its immutable id. */
  private currentSelection: Selection | null = null;
  private seq = 0;
  private nextId = 0;
  private nextFolder = 0;

  constructor(options: {
    readonly clock: Clock;
    readonly owner: { readonly emailAddress: string; readonly displayName: string };
  }) {
    this.clock = options.clock;
    this.owner = { ...options.owner };
    this.folderList = FOLDERS.map((folder) => ({
      ...folder,
      parentFolderId: null,
      folderId: `AQMk-folder-${folder.wellKnownName}`,
    }));
  }

  /** A copy of everything the mailbox stores (see {@link MailboxState}). */
  exportState(): MailboxState {
    return structuredClone({
      folders: this.folderList,
      items: [...this.items.values()],
      deltaEpochs: [...this.deltaEpochs],
      masterCategories: this.masterCategoryList,
      roaming: [...this.roaming],
      seq: this.seq,
      nextId: this.nextId,
      nextFolder: this.nextFolder,
    });
  }

  /**
   * Replaces everything the mailbox stores with `state` (from {@link exportState}), keeping listeners, hooks and
   * the selection while its item still exists. Notification bars of items that no longer exist are dropped.
   */
  importState(state: MailboxState): void {
    const copy = structuredClone(state);
    this.folderList.splice(0, this.folderList.length, ...copy.folders);
    this.items.clear();
    this.restIndex.clear();
    this.byTransactionId.clear();
    for (const stored of copy.items) {
      this.items.set(stored.immutableId, stored);
      if (!stored.deleted) this.restIndex.set(stored.itemId, stored.immutableId);
      if (stored.transactionId !== null) this.byTransactionId.set(stored.transactionId, stored.immutableId);
    }
    this.deltaEpochs.clear();
    for (const [folderId, epoch] of copy.deltaEpochs) this.deltaEpochs.set(folderId, epoch);
    this.masterCategoryList.splice(0, this.masterCategoryList.length, ...copy.masterCategories);
    this.roaming.clear();
    for (const [addinId, values] of copy.roaming) this.roaming.set(addinId, values);
    this.seq = copy.seq;
    this.nextId = copy.nextId;
    this.nextFolder = copy.nextFolder;
    for (const key of [...this.notifications.keys()])
      if (this.get(key) === undefined) this.notifications.delete(key);
    const selected = this.currentSelection;
    if (selected !== null && this.get(selected.itemId) === undefined) this.changeSelection(null);
  }

  /** Every folder of the mailbox. */
  folders(): readonly SimulatedFolder[] {
    return [...this.folderList];
  }

  /**
   * The world makes a folder inside a well-known folder (a contact folder under Contacts, a mail folder under
   * the Inbox, …), holding the parent's item type. Throws SyncError("invalidInput") for an unknown parent or a
   * name the parent already has.
   */
  createFolder(parent: WellKnownFolder, name: string): SimulatedFolder {
    const parentFolder = this.folder(parent);
    if (parentFolder === undefined || name.trim() === "")
      throw new SyncError("invalidInput", { details: `cannot make folder "${name}" in "${parent}"` });
    if (this.folderList.some((f) => f.parentFolderId === parentFolder.folderId && f.name === name))
      throw new SyncError("invalidInput", { details: `folder "${parent}" has a folder "${name}" already` });
    this.nextFolder += 1;
    const folder: SimulatedFolder = {
      folderId: `AQMk-folder-${parent}-${this.nextFolder}`,
      wellKnownName: null,
      parentFolderId: parentFolder.folderId,
      type: parentFolder.type,
      name,
    };
    this.folderList.push(folder);
    return folder;
  }

  /**
   * Deletes a folder the world or a client made (not a well-known one), with the items in it and its child
   * folders. Throws SyncError("invalidInput") for a well-known folder and ("notFound") for an unknown one.
   */
  deleteFolder(folderId: string, options: WriteOptions): void {
    const folder = this.folderList.find((f) => f.folderId === folderId);
    if (folder === undefined)
      throw new SyncError("notFound", { details: `folder ${folderId} does not exist` });
    if (folder.wellKnownName !== null)
      throw new SyncError("invalidInput", { details: `folder "${folder.name}" is a well-known folder` });
    for (const child of this.folderList.filter((f) => f.parentFolderId === folderId))
      this.deleteFolder(child.folderId, options);
    for (const item of this.list(folderId)) this.deleteItem(item.itemId, options);
    this.folderList.splice(this.folderList.indexOf(folder), 1);
  }

  /** The folder with this id or well-known name, or undefined. */
  folder(idOrName: string): SimulatedFolder | undefined {
    return this.folderList.find(
      (folder) => folder.folderId === idOrName || folder.wellKnownName === idOrName,
    );
  }

  /** The live item with this id (REST or immutable), or undefined when it never existed, was deleted or moved. */
  get(itemId: string): SimulatedItem | undefined {
    const stored = this.resolve(itemId);
    return stored === undefined || stored.deleted ? undefined : this.view(stored);
  }

  /**
   * translateExchangeIds over this mailbox: each id given in `source` format, in `target` format. Ids that are
   * not well-formed for `source`, and ids of items the mailbox does not hold (deleted, moved away, never made),
   * get an error instead.
   */
  translateIds(
    ids: readonly string[],
    source: ExchangeIdFormat,
    target: ExchangeIdFormat,
  ): readonly TranslatedId[] {
    return ids.map((sourceId) => {
      const parsed = parseExchangeId(sourceId, source);
      if (parsed === null) return { sourceId, error: "malformed" as const };
      const stored = this.resolve(parsed.restFormId);
      if (stored === undefined || stored.deleted) return { sourceId, error: "notFound" as const };
      return {
        sourceId,
        targetId: formatExchangeId({ restId: stored.itemId, immutableId: stored.immutableId }, target),
      };
    });
  }

  /** Every item that ever existed, deleted ones included, in creation order (the scenario output reads this). */
  allItems(): readonly SimulatedItem[] {
    return [...this.items.values()].map((stored) => this.view(stored));
  }

  /** The live items of a folder, in id order. */
  list(folderId: string): readonly SimulatedItem[] {
    return [...this.items.values()]
      .filter((stored) => !stored.deleted && stored.folderId === folderId)
      .map((stored) => this.view(stored));
  }

  /**
   * The immutable ids of a folder's live items, in id order, without copying the items (so a paged listing
   * costs per page, not per folder); series exceptions only when `exceptions`.
   */
  liveIds(folderId: string, options: { readonly exceptions: boolean }): readonly string[] {
    const ids: string[] = [];
    for (const stored of this.items.values()) {
      if (stored.deleted || stored.folderId !== folderId) continue;
      if (!options.exceptions && stored.fields.originalStart !== undefined) continue;
      ids.push(stored.immutableId);
    }
    return ids;
  }

  /** The live event created with this transactionId, or undefined. */
  findByTransactionId(transactionId: string): SimulatedItem | undefined {
    const immutableId = this.byTransactionId.get(transactionId);
    return immutableId === undefined ? undefined : this.get(immutableId);
  }

  /** Live items (optionally of one type) whose extended property `propertyId` equals `value`. */
  findByExtendedProperty(propertyId: string, value: string, type?: EntityType): readonly SimulatedItem[] {
    return [...this.items.values()]
      .filter(
        (stored) =>
          !stored.deleted &&
          (type === undefined || stored.type === type) &&
          stored.extendedProperties[propertyId] === value,
      )
      .map((stored) => this.view(stored));
  }

  /**
   * Creates an item with a new id, change key and modification time. Throws SyncError("invalidInput")
   * naming the bad field or folder; nothing is stored then.
   */
  createItem(input: NewItem, options: WriteOptions): SimulatedItem {
    const folder = this.targetFolder(input);
    const fields = Object.fromEntries(
      Object.entries(this.checkedFields(input.type, input.fields, options)).filter(
        ([, value]) => value !== null && !(Array.isArray(value) && value.length === 0),
      ),
    );
    const now = this.clock.now();
    this.nextId += 1;
    const itemId = newRestId(this.nextId, 1);
    Object.assign(fields, { ...SERVER_DEFAULTS[input.type], ...fields });
    if (input.type === "appointment" && fields.organizer === undefined)
      fields.organizer = this.owner.emailAddress;
    if (input.type === "appointment" && fields.iCalUId === undefined) {
      fields.iCalUId = `040000008200E00074C5B7101A82E008${String(this.nextId).padStart(8, "0")}`;
    }
    if (input.type === "email") {
      if (fields.from === undefined && folder.wellKnownName !== "inbox")
        fields.from = this.owner.emailAddress;
      if (fields.internetMessageId === undefined && folder.wellKnownName !== "drafts") {
        fields.internetMessageId = internetMessageId(this.nextId);
      }
    }
    const transactionId = input.type === "appointment" ? (input.transactionId ?? null) : null;
    if (transactionId !== null && this.findByTransactionId(transactionId) !== undefined) {
      throw new SyncError("invalidInput", { details: `transactionId "${transactionId}" is already used` });
    }
    const stored: Stored = {
      number: this.nextId,
      immutableId: newImmutableId(this.nextId),
      itemId,
      placement: 1,
      departures: [],
      incoming: folder.wellKnownName === "inbox",
      type: input.type,
      folderId: folder.folderId,
      fields: {},
      categories: [...new Set(input.categories ?? [])],
      extendedProperties: { ...input.extendedProperties },
      transactionId,
      createdAt: now,
      modifiedAt: now,
      changeKey: "",
      seq: 0,
      deleted: false,
    };
    applyFields(stored, fields);
    this.stamp(stored);
    this.items.set(stored.immutableId, stored);
    this.restIndex.set(itemId, stored.immutableId);
    if (transactionId !== null) this.byTransactionId.set(transactionId, stored.immutableId);
    this.announce(stored, "created", options);
    return this.view(stored);
  }

  /**
   * Writes only the given fields (null clears one), categories and extended properties, and assigns a new
   * change key and modification time. Throws SyncError("notFound") for a missing or deleted item and
   * SyncError("invalidInput") for a bad field, before anything changes.
   */
  updateItem(itemId: string, patch: ItemPatch, options: WriteOptions): SimulatedItem {
    const stored = this.live(itemId);
    const fields = this.checkedFields(stored.type, patch.fields ?? {}, options);
    applyFields(stored, fields);
    if (patch.categories !== undefined) stored.categories = [...new Set(patch.categories)];
    for (const [id, value] of Object.entries(patch.extendedProperties ?? {})) {
      if (value === null) delete stored.extendedProperties[id];
      else stored.extendedProperties[id] = value;
    }
    this.stamp(stored);
    this.announce(stored, "updated", options);
    return this.view(stored);
  }

  /**
   * The series' occurrence at `originalStart` gets the patch: the first write makes it an exception, an event
   * of its own with `originalStart` and `seriesMasterId` that starts as a copy of the occurrence; later writes
   * update that exception ("Update event" on an instance). Throws SyncError("notFound") when the pattern gives
   * the series no occurrence at that start or it was cancelled.
   */
  updateOccurrence(
    masterId: string,
    originalStart: string,
    patch: ItemPatch,
    options: WriteOptions,
  ): SimulatedItem {
    const master = this.live(masterId);
    const start = occurrenceAt(master.fields, originalStart);
    if (!isSeriesMaster(master.fields) || start === null || isCancelled(master.fields, start)) {
      throw new SyncError("notFound", {
        details: `series ${masterId} has no occurrence at ${originalStart}`,
      });
    }
    const existing = this.exceptionsOf(master).find((stored) => stored.fields.originalStart === start);
    if (existing !== undefined) return this.updateItem(existing.immutableId, patch, options);
    const exception = this.createItem(
      {
        type: "appointment",
        folder: master.folderId,
        fields: {
          ...occurrenceFields(master.fields, start),
          originalStart: start,
          seriesMasterId: master.immutableId,
        },
        categories: master.categories,
      },
      { notify: false, by: "world" },
    );
    return this.updateItem(exception.immutableId, patch, options);
  }

  /**
   * Cancels the series' occurrence at `originalStart` ("Delete event" on an instance): the master lists it in
   * `cancelledOccurrences` and an exception made for it is deleted. Cancelling it again changes nothing.
   * Throws SyncError("notFound") when the pattern gives the series no occurrence at that start.
   */
  cancelOccurrence(masterId: string, originalStart: string, options: WriteOptions): SimulatedItem {
    const master = this.live(masterId);
    const start = occurrenceAt(master.fields, originalStart);
    if (!isSeriesMaster(master.fields) || start === null) {
      throw new SyncError("notFound", {
        details: `series ${masterId} has no occurrence at ${originalStart}`,
      });
    }
    if (isCancelled(master.fields, start)) return this.view(master);
    const exception = this.exceptionsOf(master).find((stored) => stored.fields.originalStart === start);
    if (exception !== undefined) this.remove(exception, options);
    const cancelled = master.fields.cancelledOccurrences;
    applyFields(master, {
      cancelledOccurrences: [
        ...(Array.isArray(cancelled) ? (cancelled as readonly string[]) : []),
        start,
      ].sort(),
    });
    this.stamp(master);
    this.announce(master, "updated", options);
    return this.view(master);
  }

  /**
   * Deletes an item (it stays as a tombstone for the journal). Returns false when it was already gone.
   * Deleting a series master deletes its exceptions; deleting an exception cancels its occurrence.
   */
  deleteItem(itemId: string, options: WriteOptions): boolean {
    const stored = this.resolve(itemId);
    if (stored === undefined || stored.deleted) return false;
    const masterId = stored.fields.seriesMasterId;
    if (typeof masterId === "string" && typeof stored.fields.originalStart === "string") {
      const master = this.resolve(masterId);
      if (master !== undefined && !master.deleted) {
        this.cancelOccurrence(masterId, stored.fields.originalStart, options);
        return true;
      }
    }
    for (const exception of this.exceptionsOf(stored)) this.remove(exception, options);
    this.remove(stored, options);
    return true;
  }

  /**
   * "List instances": a series' occurrences and exceptions that start in [fromMs, toMs), in start order,
   * cancelled ones left out. An occurrence that is not an exception is a view of the master at its start,
   * named by its occurrence id, with `originalStart` and `seriesMasterId` ("event resource type").
   */
  instances(masterId: string, fromMs: number, toMs: number): readonly SimulatedItem[] {
    const master = this.live(masterId);
    const exceptions = new Map(
      this.exceptionsOf(master).map((stored) => [stored.fields.originalStart, stored]),
    );
    return occurrenceStarts(master.fields, toMs)
      .filter((start) => Date.parse(start) >= fromMs && Date.parse(start) < toMs)
      .filter((start) => !isCancelled(master.fields, start))
      .map((start) => {
        const exception = exceptions.get(start);
        return exception === undefined ? this.occurrenceView(master, start) : this.view(exception);
      });
  }

  /** The occurrence an occurrence id names, while the pattern gives it and it is not cancelled or an exception. */
  occurrence(id: string): SimulatedItem | undefined {
    const parsed = parseOccurrenceId(id);
    const master = parsed === null ? undefined : this.resolve(parsed.masterId);
    if (parsed === null || master === undefined || master.deleted) return undefined;
    const start = occurrenceAt(master.fields, new Date(parsed.startMs).toISOString());
    if (start === null || isCancelled(master.fields, start)) return undefined;
    if (this.exceptionsOf(master).some((stored) => stored.fields.originalStart === start)) return undefined;
    return this.occurrenceView(master, start);
  }

  private occurrenceView(master: Stored, start: string): SimulatedItem {
    const id = occurrenceId(master.immutableId, Date.parse(start)) ?? master.immutableId;
    return {
      ...this.view(master),
      itemId: id,
      immutableId: id,
      fields: {
        ...occurrenceFields(master.fields, start),
        originalStart: start,
        seriesMasterId: master.immutableId,
      },
      transactionId: null,
    };
  }

  /** The live exceptions of a series master (none for any other item). */
  private exceptionsOf(master: Stored): Stored[] {
    return [...this.items.values()].filter(
      (stored) => !stored.deleted && stored.fields.seriesMasterId === master.immutableId,
    );
  }

  private remove(stored: Stored, options: WriteOptions): void {
    stored.deleted = true;
    this.restIndex.delete(stored.itemId);
    this.stamp(stored);
    if (this.currentSelection?.itemId === stored.immutableId) this.select(null);
    this.announce(stored, "deleted", options);
  }

  /**
   * The world moves an item to another folder of its type (a folder id or well-known name): it keeps its
   * immutable id and gets a new REST id; the folder it left lists it as removed. Moving to the folder it is in
   * changes nothing. Throws SyncError("notFound") / ("invalidInput") before changing anything.
   */
  moveItem(itemId: string, folder: string, options: WriteOptions): SimulatedItem {
    const stored = this.live(itemId);
    const target = this.folder(folder);
    if (target === undefined)
      throw new SyncError("invalidInput", { details: `folder "${folder}" does not exist` });
    if (target.type !== stored.type) {
      throw new SyncError("invalidInput", {
        details: `folder "${target.name}" holds ${target.type} items, not ${stored.type}`,
      });
    }
    if (target.folderId === stored.folderId) return this.view(stored);
    this.relocate(stored, target.folderId);
    this.announce(stored, "created", options);
    return this.view(stored);
  }

  /** The user archives a message (Outlook's Archive button): a move to the Archive folder. */
  archiveItem(itemId: string, options: WriteOptions): SimulatedItem {
    return this.moveItem(itemId, "archive", options);
  }

  /**
   * Subscribes to every write of an item, the add-in's own included and none dropped (what Graph's change
   * notifications see, unlike Outlook's notices to an open add-in), delivered on a later tick.
   */
  onWrite(listener: (write: MailboxWrite) => void): Disposable {
    this.writeListeners.add(listener);
    return { dispose: () => this.writeListeners.delete(listener) };
  }

  /** Subscribes to notices of `notify: true` writes (minus the dropped ones), delivered on a later tick. */
  subscribe(listener: (notice: MailboxChangeNotice) => void): Disposable {
    this.noticeListeners.add(listener);
    return { dispose: () => this.noticeListeners.delete(listener) };
  }

  /** The current delta epoch of a folder: a token from an older epoch is expired (Graph 410). */
  deltaEpoch(folderId: string): number {
    return this.deltaEpochs.get(folderId) ?? 0;
  }

  /** The sequence number of the latest write anywhere in the mailbox. */
  currentSeq(): number {
    return this.seq;
  }

  /** Expires every delta token of one folder (or of all folders): the next delta answers 410 / rescans. */
  expireDeltaTokens(folderId?: string): void {
    for (const folder of this.folderList) {
      if (folderId === undefined || folder.folderId === folderId) {
        this.deltaEpochs.set(folder.folderId, this.deltaEpoch(folder.folderId) + 1);
      }
    }
  }

  /**
   * The folder's journal since `sinceSeq` (0: everything live), in immutable id order: items written since
   * then that are in the folder now, and removals of items that were in it (deleted, or moved to another
   * folder, a sent draft included).
   */
  changesSince(folderId: string, sinceSeq: number): readonly DeltaEntry[] {
    const entries: DeltaEntry[] = [];
    for (const stored of this.items.values()) {
      if (stored.seq <= sinceSeq) continue;
      if (stored.folderId === folderId && !stored.deleted) {
        entries.push({ kind: "changed", item: this.view(stored) });
        continue;
      }
      if (sinceSeq === 0) continue;
      const departure = stored.departures.find((d) => d.folderId === folderId && d.seq > sinceSeq);
      if (stored.folderId === folderId || departure !== undefined) {
        entries.push({
          kind: "removed",
          itemId: departure?.itemId ?? stored.itemId,
          immutableId: stored.immutableId,
          moved: departure !== undefined,
        });
      }
    }
    return entries.sort((a, b) => entryKey(a).localeCompare(entryKey(b)));
  }

  /** The add-in's custom properties on a live item (the parsed `cecp-<addinId>` property; {} when none or unreadable). */
  customProperties(itemId: string, addinId: string): Readonly<Record<string, unknown>> {
    return parseCustomProperties(this.live(itemId).extendedProperties[customPropertiesPropertyId(addinId)]);
  }

  /**
   * Replaces the add-in's custom properties on an item, as the add-in's own write (no notice). Throws
   * SyncError("invalidInput") over the 2,500-character budget, leaving the stored ones intact.
   */
  saveCustomProperties(
    itemId: string,
    addinId: string,
    values: Readonly<Record<string, unknown>>,
  ): SimulatedItem {
    const json = JSON.stringify(values);
    if (json.length > CUSTOM_PROPERTIES_BUDGET) {
      throw new SyncError("invalidInput", {
        details: `custom properties take ${json.length} characters; the limit is ${CUSTOM_PROPERTIES_BUDGET}`,
      });
    }
    const id = customPropertiesPropertyId(addinId);
    return this.updateItem(
      itemId,
      { extendedProperties: { [id]: Object.keys(values).length === 0 ? null : json } },
      { notify: false, by: "client" },
    );
  }

  /** The mailbox's master category list. */
  masterCategories(): readonly MasterCategory[] {
    return this.masterCategoryList.map((category) => ({ ...category }));
  }

  /** Adds categories to the master list; throws SyncError("invalidInput") when a name exists already. */
  addMasterCategories(categories: readonly MasterCategory[]): void {
    for (const category of categories) {
      const name = category.displayName.toLowerCase();
      if (this.masterCategoryList.some((existing) => existing.displayName.toLowerCase() === name)) {
        throw new SyncError("invalidInput", {
          details: `category "${category.displayName}" is in the master list already`,
        });
      }
    }
    this.masterCategoryList.push(...categories.map((category) => ({ ...category })));
  }

  /** Removes categories from the master list (names not in it are ignored). */
  removeMasterCategories(names: readonly string[]): void {
    const lower = new Set(names.map((name) => name.toLowerCase()));
    const kept = this.masterCategoryList.filter((category) => !lower.has(category.displayName.toLowerCase()));
    this.masterCategoryList.splice(0, this.masterCategoryList.length, ...kept);
  }

  /** An add-in's roaming settings (a copy). */
  roamingSettings(addinId: string): Readonly<Record<string, unknown>> {
    return structuredClone(this.roaming.get(addinId) ?? {});
  }

  /** Replaces an add-in's roaming settings; throws SyncError("invalidInput") over the 32 KB budget. */
  saveRoamingSettings(addinId: string, values: Readonly<Record<string, unknown>>): void {
    const json = JSON.stringify(values);
    if (json.length > ROAMING_SETTINGS_BUDGET) {
      throw new SyncError("invalidInput", {
        details: `roaming settings take ${json.length} characters; the limit is ${ROAMING_SETTINGS_BUDGET}`,
      });
    }
    this.roaming.set(addinId, JSON.parse(json) as Record<string, unknown>);
  }

  /** The notification bar of an item. */
  notificationMessages(itemId: string): readonly NotificationMessage[] {
    return [...(this.notifications.get(this.noticeKey(itemId)) ?? [])];
  }

  /** Adds or replaces a message in an item's notification bar (at most 5 messages, as Outlook). */
  putNotificationMessage(itemId: string, message: NotificationMessage): void {
    const list = (this.notifications.get(this.noticeKey(itemId)) ?? []).filter(
      (existing) => existing.key !== message.key,
    );
    if (list.length >= 5)
      throw new SyncError("invalidInput", { details: "an item shows at most 5 notification messages" });
    list.push({ ...message });
    this.notifications.set(this.noticeKey(itemId), list);
  }

  /** Removes a message from an item's notification bar; returns false when there was none with that key. */
  removeNotificationMessage(itemId: string, key: string): boolean {
    const list = this.notifications.get(this.noticeKey(itemId)) ?? [];
    const kept = list.filter((existing) => existing.key !== key);
    this.notifications.set(this.noticeKey(itemId), kept);
    return kept.length !== list.length;
  }

  /** What the pinned task pane or compose form shows now; the item is named by its current REST id. */
  selection(): Selection | null {
    if (this.currentSelection === null) return null;
    const stored = this.resolve(this.currentSelection.itemId);
    return stored === undefined ? null : { itemId: stored.itemId, mode: this.currentSelection.mode };
  }

  /** The user selects an item (or nothing) in read mode; listeners hear of it on a later tick. */
  select(itemId: string | null): void {
    const stored = itemId === null ? null : this.live(itemId);
    this.changeSelection(stored === null ? null : { itemId: stored.immutableId, mode: "read" });
  }

  /** Called on a later tick after every selection change. */
  onSelectionChanged(listener: () => void): Disposable {
    this.selectionListeners.add(listener);
    return { dispose: () => this.selectionListeners.delete(listener) };
  }

  /**
   * The user opens a message form: a draft in Drafts, selected in compose mode. With `parent`, the form is a
   * reply to or a forward of that message; a forward carries the parent's add-in custom properties, as classic
   * Outlook on Windows does ("Get and set add-in metadata for an Outlook add-in", table of saved custom
   * properties: "Forward: Loads parent's properties"; the other clients start with none). The twin plays that
   * client's case so the add-in is tested against it.
   */
  openCompose(
    fields: Fields,
    parent?: { readonly itemId: string; readonly composeType: "reply" | "forward" },
  ): SimulatedItem {
    const source = parent === undefined ? undefined : this.live(parent.itemId);
    const inherited =
      source === undefined || parent?.composeType !== "forward"
        ? {}
        : Object.fromEntries(
            Object.entries(source.extendedProperties).filter(([id]) => id.includes(" Name cecp-")),
          );
    const draft = this.createItem(
      { type: "email", folder: "drafts", fields, extendedProperties: inherited },
      { notify: false, by: "world" },
    );
    this.composeTypes.set(draft.immutableId, parent?.composeType ?? "newMail");
    this.changeSelection({ itemId: draft.immutableId, mode: "compose" });
    return draft;
  }

  /** How a draft's compose form was opened (Office.MailboxEnums.ComposeType): new, reply or forward. */
  composeType(itemId: string): "newMail" | "reply" | "forward" {
    return this.composeTypes.get(this.resolve(itemId)?.immutableId ?? "") ?? "newMail";
  }

  /** Registers a hook that decides each send (the fake Office global's OnMessageSend). */
  addSendHook(hook: SendHook): Disposable {
    this.sendHooks.add(hook);
    return { dispose: () => this.sendHooks.delete(hook) };
  }

  /**
   * The user sends a draft: every send hook decides first; when all allow, the draft moves to Sent Items with
   * sentAt and internetMessageId set (a new REST id, the same immutable id, as "Get immutable identifiers for
   * Outlook resources" describes for sent mail), and the selection ends. A blocked send leaves the draft as it was.
   */
  async sendDraft(draftId: string): Promise<{
    readonly sent: boolean;
    readonly sentItemId: string | null;
    readonly errorMessage: string | null;
  }> {
    const draft = this.live(draftId);
    if (draft.folderId !== this.folder("drafts")?.folderId) {
      throw new SyncError("invalidInput", { details: `item ${draftId} is not a draft` });
    }
    for (const hook of [...this.sendHooks]) {
      const decision = await hook(draftId);
      if (!decision.allow)
        return { sent: false, sentItemId: null, errorMessage: decision.errorMessage ?? null };
    }
    const current = this.live(draftId);
    const sentItems = this.folder("sentitems");
    if (sentItems === undefined) throw new Error("the mailbox has no sentitems folder");
    applyFields(current, {
      sentAt: canonicalDateTime(this.clock.now()),
      internetMessageId: current.fields.internetMessageId ?? internetMessageId(current.number),
    });
    if (this.currentSelection?.itemId === current.immutableId) this.changeSelection(null);
    this.relocate(current, sentItems.folderId);
    this.announce(current, "created", { notify: true });
    return { sent: true, sentItemId: current.itemId, errorMessage: null };
  }

  /** Puts an item in another folder with a new REST id, and stamps it. */
  private relocate(stored: Stored, folderId: string): void {
    this.stamp(stored);
    stored.departures.push({ folderId: stored.folderId, itemId: stored.itemId, seq: stored.seq });
    this.restIndex.delete(stored.itemId);
    stored.placement += 1;
    stored.itemId = newRestId(stored.number, stored.placement);
    stored.folderId = folderId;
    this.restIndex.set(stored.itemId, stored.immutableId);
  }

  /** The key of an item's notification bar: its immutable id, so the bar survives a move. */
  private noticeKey(itemId: string): string {
    return this.resolve(itemId)?.immutableId ?? itemId;
  }

  /** The stored item an id (current REST or immutable) names. */
  private resolve(itemId: string): Stored | undefined {
    return this.items.get(isImmutableId(itemId) ? itemId : (this.restIndex.get(itemId) ?? ""));
  }

  private changeSelection(selection: Selection | null): void {
    this.currentSelection = selection;
    for (const listener of [...this.selectionListeners]) {
      void Promise.resolve().then(() => {
        if (this.selectionListeners.has(listener)) listener();
      });
    }
  }

  private targetFolder(input: NewItem): SimulatedFolder {
    if (input.folder !== undefined) {
      const folder = this.folder(input.folder);
      if (folder === undefined)
        throw new SyncError("invalidInput", { details: `folder "${input.folder}" does not exist` });
      if (folder.type !== input.type) {
        throw new SyncError("invalidInput", {
          details: `folder "${folder.name}" holds ${folder.type} items, not ${input.type}`,
        });
      }
      return folder;
    }
    const name: WellKnownFolder =
      input.type === "contact"
        ? "contacts"
        : input.type === "appointment"
          ? "calendar"
          : input.type === "task"
            ? "tasks"
            : input.fields.direction === "outgoing"
              ? "sentitems"
              : "inbox";
    const folder = this.folder(name);
    if (folder === undefined) throw new Error(`the mailbox has no ${name} folder`);
    return folder;
  }

  private checkedFields(type: EntityType, fields: Fields, options: WriteOptions): Record<string, FieldValue> {
    const checked = canonicalFields(type, fields);
    delete checked.direction;
    if (options.by !== "world") for (const key of READ_ONLY_KEYS) delete checked[key];
    return checked;
  }

  private live(itemId: string): Stored {
    const stored = this.resolve(itemId);
    if (stored === undefined || stored.deleted) throw notFound(itemId);
    return stored;
  }

  private stamp(stored: Stored): void {
    this.seq += 1;
    stored.seq = this.seq;
    stored.modifiedAt = this.clock.now();
    stored.changeKey = `CQAAAB${this.seq.toString(36).toUpperCase().padStart(6, "0")}`;
  }

  /** Tells write listeners, then (for `notify` writes) notice listeners. A move is a create in its new folder. */
  private announce(stored: Stored, change: MailboxWrite["change"], options: WriteOptions): void {
    const kind = change === "deleted" ? "delete" : "upsert";
    const write: MailboxWrite = {
      itemId: stored.immutableId,
      type: stored.type,
      folderId: stored.folderId,
      change,
    };
    for (const listener of [...this.writeListeners]) {
      void Promise.resolve().then(() => {
        if (this.writeListeners.has(listener)) listener({ ...write });
      });
    }
    if (!options.notify || this.faults.takeNoticeDrop()) return;
    const notice: MailboxChangeNotice = {
      itemId: stored.immutableId,
      type: stored.type,
      kind,
      at: stored.modifiedAt,
    };
    for (const listener of [...this.noticeListeners]) {
      void Promise.resolve().then(() => {
        if (this.noticeListeners.has(listener)) listener({ ...notice });
      });
    }
  }

  private view(stored: Stored): SimulatedItem {
    const fields: Record<string, FieldValue> = structuredClone(stored.fields);
    if (stored.type === "email") fields.direction = stored.incoming ? "incoming" : "outgoing";
    return {
      itemId: stored.itemId,
      immutableId: stored.immutableId,
      type: stored.type,
      folderId: stored.folderId,
      fields,
      categories: [...stored.categories],
      extendedProperties: { ...stored.extendedProperties },
      transactionId: stored.transactionId,
      createdAt: stored.createdAt,
      modifiedAt: stored.modifiedAt,
      changeKey: stored.changeKey,
      seq: stored.seq,
      deleted: stored.deleted,
    };
  }
}

function entryKey(entry: DeltaEntry): string {
  return entry.kind === "changed" ? entry.item.immutableId : entry.immutableId;
}

function internetMessageId(itemNumber: number): string {
  return `<sim-${itemNumber}@sim.outlook.local>`;
}

/**
 * Writes checked fields (null removes) and keeps an appointment's duration equal to end − start. Throws
 * before changing anything when a duration cannot be applied.
 */
function applyFields(stored: Stored, fields: Record<string, FieldValue>): void {
  const { duration, ...rest } = fields;
  const next: Record<string, FieldValue> = { ...stored.fields };
  for (const [key, value] of Object.entries(rest)) {
    if (value === null || (Array.isArray(value) && value.length === 0)) delete next[key];
    else next[key] = value;
  }
  if (stored.type === "appointment") {
    const start = next.start;
    if (typeof duration === "number" && rest.end === undefined) {
      if (typeof start !== "string") {
        throw new SyncError("invalidInput", { details: 'appointment field "duration": needs a start' });
      }
      next.end = canonicalDateTime(Date.parse(start) + duration * 60_000);
    }
    const end = next.end;
    checkSeriesStart(next);
    if (typeof start === "string" && typeof end === "string") {
      next.duration = Math.round((Date.parse(end) - Date.parse(start)) / 60_000);
    } else delete next.duration;
  }
  stored.fields = next;
}

/**
 * A series needs a start, on the day its range starts ("patternedRecurrence resource type": the range's
 * startDate must be the same as the start of the recurring event).
 */
function checkSeriesStart(fields: Record<string, FieldValue>): void {
  if (typeof fields.recurrence !== "string") return;
  const startDate = /startDate=(\d{4}-\d{2}-\d{2})/.exec(fields.recurrence)?.[1];
  if (typeof fields.start !== "string" || fields.start.slice(0, 10) !== startDate) {
    throw new SyncError("invalidInput", {
      details: `appointment field "recurrence": the range starts on ${startDate ?? "no date"}, so the series must start that day`,
    });
  }
}
