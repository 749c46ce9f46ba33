import { SyncError } from "../../core/errors";
import type { EntityType, FieldValue } from "../../core/types";
import type { Clock, Disposable } from "../../ports/clock";
import type { ItemIdTranslator } from "../../ports/item-ids";
import {
  customPropertiesPropertyId,
  customPropertiesWithLink,
  DEFAULT_CALENDAR_WINDOW,
  IDEMPOTENCY_PROPERTY_ID,
  linkFromCustomProperties,
  stampMessageId,
  type CalendarWindow,
  type FolderCheckpoint,
  type FolderScanRequest,
  type FolderScan,
  type ItemIdPage,
  type MailboxChangeNotice,
  type MailboxFolder,
  type MailboxItem,
  type MailboxItemPatch,
  type MailboxItemRef,
  createOneByOne,
  type CreateOutcome,
  type NewMailboxItem,
  type MailboxStore,
  type SeriesInfo,
} from "../../ports/mailbox-store";
import { canonicalFields } from "../../sim/mailbox/field-catalog";
import { overlapsWindow } from "../../sim/mailbox/calendar-window";
import type { SimulatedItem, SimulatedMailbox } from "../../sim/mailbox/simulated-mailbox";

const DAY_MS = 86_400_000;
const TOKEN_PREFIX = "sim-delta:";
const LIST_PREFIX = "sim-list:";
/** Ids per page of a listing, as many as GraphMailboxStore asks Graph for. */
const LIST_PAGE = 1000;

/** The folder each type syncs through (e-mail: Sent Items). */
const SYNC_FOLDER: Record<EntityType, string> = {
  contact: "contacts",
  appointment: "calendar",
  task: "tasks",
  email: "sentitems",
};

/** Every answer waits for a later tick, so callers cannot rely on synchronous results. */
function later(): Promise<void> {
  return new Promise((resolve) => queueMicrotask(resolve));
}

/**
 * The simulated twin of GraphMailboxStore: the same MailboxStore contract, served directly from a
 * SimulatedMailbox (no HTTP, no faults other than expired delta tokens and dropped notices). The link stamp
 * and idempotency keys live in the same extended properties the Graph subset exposes. Store ids are the
 * mailbox's immutable ids, as GraphMailboxStore's are; `storeIdsFor` translates REST ids into them.
 */
export class SimulatedMailboxStore implements MailboxStore, ItemIdTranslator {
  private readonly mailbox: SimulatedMailbox;
  private readonly addinId: string;
  private readonly clock: Clock;
  private readonly window: CalendarWindow;

  constructor(options: {
    readonly mailbox: SimulatedMailbox;
    /** The add-in id whose custom properties hold the link stamp. */
    readonly addinId: string;
    readonly clock: Clock;
    readonly calendarWindow?: CalendarWindow;
  }) {
    this.mailbox = options.mailbox;
    this.addinId = options.addinId;
    this.clock = options.clock;
    this.window = options.calendarWindow ?? DEFAULT_CALENDAR_WINDOW;
  }

  async listFolders(types: readonly EntityType[]): Promise<readonly MailboxFolder[]> {
    await later();
    return [...new Set(types)].map((type) => {
      const folder = this.mailbox.folder(SYNC_FOLDER[type]);
      if (folder === undefined) throw new SyncError("notFound", { details: `no ${type} folder` });
      return { folderId: folder.folderId, type, name: folder.name };
    });
  }

  async scanFolders(requests: readonly FolderScanRequest[]): Promise<readonly FolderScan[]> {
    const scans: FolderScan[] = [];
    for (const { folderId, checkpoint } of requests) scans.push(await this.scanFolder(folderId, checkpoint));
    return scans;
  }

  async scanFolder(folderId: string, checkpoint: FolderCheckpoint | null): Promise<FolderScan> {
    await later();
    const folder = this.mailbox.folder(folderId);
    if (folder === undefined)
      throw new SyncError("notFound", { details: `folder ${folderId} does not exist` });
    const token = checkpoint?.deltaLink == null ? null : parseToken(checkpoint.deltaLink, folder.folderId);
    const expired =
      checkpoint?.deltaLink != null &&
      (token === null || token.epoch !== this.mailbox.deltaEpoch(folder.folderId));
    const since = token === null || expired ? 0 : token.seq;
    const seq = this.mailbox.currentSeq();
    const now = this.clock.now();
    const changed: MailboxItem[] = [];
    const removed: string[] = [];
    for (const entry of this.mailbox.changesSince(folder.folderId, since)) {
      if (entry.kind === "removed") {
        removed.push(entry.immutableId);
        continue;
      }
      const firstLook = since === 0 && folder.type === "appointment";
      const windowEnd = now + this.window.futureDays * DAY_MS;
      if (firstLook && !overlapsWindow(entry.item.fields, now - this.window.pastDays * DAY_MS, windowEnd))
        continue;
      changed.push(this.toItem(entry.item));
    }
    const watermark = changed.reduce<number | null>(
      (max, item) => (max === null || item.modifiedAt > max ? item.modifiedAt : max),
      expired ? null : (checkpoint?.watermark ?? null),
    );
    const deltaLink = `${TOKEN_PREFIX}${folder.folderId}:${this.mailbox.deltaEpoch(folder.folderId)}:${seq}`;
    return { changed, removed, fullRescan: expired, checkpoint: { deltaLink, watermark } };
  }

  async listItemIds(folderId: string, page: string | null): Promise<ItemIdPage> {
    await later();
    const folder = this.mailbox.folder(folderId);
    if (folder === undefined || !Object.values(SYNC_FOLDER).includes(folder.wellKnownName ?? ""))
      throw new SyncError("notFound", { details: `folder ${folderId} is not a synced folder` });
    const prefix = `${LIST_PREFIX}${folder.folderId}:`;
    const offset =
      page === null ? 0 : Number(page.startsWith(prefix) ? page.slice(prefix.length) : Number.NaN);
    if (!Number.isInteger(offset) || offset < 0)
      throw new SyncError("invalidInput", {
        details: `page must be a next page this store gave for folder ${folderId}`,
      });
    // A folder lists single items and series masters; an exception is an event of its own only in its series.
    const ids = this.mailbox.liveIds(folder.folderId, { exceptions: false });
    const end = offset + LIST_PAGE;
    return { itemIds: ids.slice(offset, end), next: end < ids.length ? `${prefix}${end}` : null };
  }

  async getItems(refs: readonly MailboxItemRef[]): Promise<ReadonlyMap<string, MailboxItem | null>> {
    await later();
    const found = new Map<string, MailboxItem | null>();
    for (const ref of refs) {
      const item = this.stored(ref);
      found.set(ref.itemId, item === undefined ? null : this.toItem(item));
    }
    return found;
  }

  /** The item `ref` names, when it exists and is of that type (Graph: each type lives in its own collection). */
  private stored(ref: MailboxItemRef): SimulatedItem | undefined {
    const item = this.mailbox.get(ref.itemId);
    return item?.type === ref.type ? item : undefined;
  }

  async createItem(input: NewMailboxItem): Promise<MailboxItem> {
    const existing = await this.findByIdempotencyKey(input.type, input.idempotencyKey);
    if (existing !== null) return existing;
    const extendedProperties: Record<string, string> = {};
    if (input.type !== "appointment") extendedProperties[IDEMPOTENCY_PROPERTY_ID] = input.idempotencyKey;
    if (input.link != null) {
      extendedProperties[customPropertiesPropertyId(this.addinId)] = JSON.stringify(
        customPropertiesWithLink({}, input.link, stampMessageId(input.type, input.fields)),
      );
    }
    const { cancelledOccurrences, ...fields } = input.fields;
    const created = this.mailbox.createItem(
      {
        type: input.type,
        fields,
        categories: input.categories ?? [],
        extendedProperties,
        transactionId: input.type === "appointment" ? input.idempotencyKey : null,
      },
      { notify: false, by: "client" },
    );
    if (cancelledOccurrences === undefined || cancelledOccurrences === null) return this.toItem(created);
    this.cancel(created.immutableId, cancelledOccurrences);
    return this.toItem(this.mailbox.get(created.immutableId) ?? created);
  }

  /** One create after another, in memory: there are no round trips to save. */
  createItems(inputs: readonly NewMailboxItem[]): Promise<readonly CreateOutcome[]> {
    return createOneByOne((input) => this.createItem(input), inputs);
  }

  async findByIdempotencyKey(type: EntityType, idempotencyKey: string): Promise<MailboxItem | null> {
    await later();
    const item =
      type === "appointment"
        ? this.mailbox.findByTransactionId(idempotencyKey)
        : this.mailbox.findByExtendedProperty(IDEMPOTENCY_PROPERTY_ID, idempotencyKey, type)[0];
    return item === undefined ? null : this.toItem(item);
  }

  async updateItem(ref: MailboxItemRef, patch: MailboxItemPatch): Promise<MailboxItem> {
    await later();
    if (this.stored(ref) === undefined)
      throw new SyncError("notFound", { details: `${ref.type} ${ref.itemId} does not exist` });
    const { cancelledOccurrences, ...fields } = patch.fields ?? {};
    if (cancelledOccurrences !== undefined) this.cancel(ref.itemId, cancelledOccurrences);
    return this.write(ref.itemId, { ...patch, ...(patch.fields !== undefined && { fields }) });
  }

  async updateOccurrence(
    seriesMasterId: string,
    originalStart: string,
    patch: MailboxItemPatch,
  ): Promise<MailboxItem> {
    await later();
    const exception = this.mailbox.updateOccurrence(
      seriesMasterId,
      originalStart,
      {},
      { notify: false, by: "client" },
    );
    return this.write(exception.immutableId, patch);
  }

  async listExceptions(seriesMasterId: string): Promise<readonly MailboxItem[]> {
    await later();
    if (this.stored({ itemId: seriesMasterId, type: "appointment" }) === undefined)
      throw new SyncError("notFound", { details: `series ${seriesMasterId} does not exist` });
    const now = this.clock.now();
    return this.mailbox
      .instances(seriesMasterId, now - this.window.pastDays * DAY_MS, now + this.window.futureDays * DAY_MS)
      .filter((instance) => this.mailbox.occurrence(instance.immutableId) === undefined)
      .map((exception) => this.toItem(exception));
  }

  /** Cancels the occurrences a new `cancelledOccurrences` list adds; a list that drops one is refused first. */
  private cancel(itemId: string, value: FieldValue): void {
    const master = this.mailbox.get(itemId);
    if (master === undefined)
      throw new SyncError("notFound", { details: `mailbox item ${itemId} does not exist` });
    const wanted = canonicalFields("appointment", { cancelledOccurrences: value }).cancelledOccurrences;
    const next = Array.isArray(wanted) ? (wanted as readonly string[]) : [];
    const current = master.fields.cancelledOccurrences;
    const now = Array.isArray(current) ? (current as readonly string[]) : [];
    const restored = now.filter((start) => !next.includes(start));
    if (restored.length > 0) {
      throw new SyncError("invalidInput", {
        details: `appointment field "cancelledOccurrences": a cancelled occurrence cannot come back (${restored.join(", ")})`,
      });
    }
    for (const start of next.filter((entry) => !now.includes(entry)))
      this.mailbox.cancelOccurrence(itemId, start, { notify: false, by: "client" });
  }

  private write(itemId: string, patch: MailboxItemPatch): MailboxItem {
    const propertyId = customPropertiesPropertyId(this.addinId);
    const extendedProperties: Record<string, string | null> = {};
    if (patch.link !== undefined) {
      const stored = this.mailbox.get(itemId);
      const next = customPropertiesWithLink(
        this.mailbox.customProperties(itemId, this.addinId),
        patch.link,
        stored === undefined ? undefined : stampMessageId(stored.type, { ...stored.fields, ...patch.fields }),
      );
      extendedProperties[propertyId] = Object.keys(next).length === 0 ? null : JSON.stringify(next);
    }
    const updated = this.mailbox.updateItem(
      itemId,
      {
        ...(patch.fields !== undefined && { fields: patch.fields }),
        ...(patch.categories !== undefined && { categories: patch.categories }),
        extendedProperties,
      },
      { notify: false, by: "client" },
    );
    return this.toItem(updated);
  }

  async deleteItem(ref: MailboxItemRef): Promise<void> {
    await later();
    if (this.stored(ref) !== undefined) this.mailbox.deleteItem(ref.itemId, { notify: false });
  }

  watch(listener: (notice: MailboxChangeNotice) => void): Disposable {
    return this.mailbox.subscribe(listener);
  }

  async storeIdsFor(restIds: readonly string[]): Promise<ReadonlyMap<string, string | null>> {
    await later();
    const result = new Map<string, string | null>();
    for (const translated of this.mailbox.translateIds(restIds, "restId", "restImmutableEntryId"))
      result.set(translated.sourceId, "targetId" in translated ? translated.targetId : null);
    return result;
  }

  private toItem(item: SimulatedItem): MailboxItem {
    const { seriesMasterId, ...fields } = item.fields;
    const series: SeriesInfo | null =
      typeof seriesMasterId === "string"
        ? { eventType: "exception", seriesMasterId }
        : typeof fields.recurrence === "string"
          ? { eventType: "seriesMaster", seriesMasterId: null }
          : null;
    return {
      ...(series !== null && { series }),
      itemId: item.immutableId,
      type: item.type,
      folderId: item.folderId,
      fields,
      modifiedAt: item.modifiedAt,
      changeKey: item.changeKey,
      categories: item.categories,
      link: linkFromCustomProperties(
        this.mailbox.customProperties(item.itemId, this.addinId),
        stampMessageId(item.type, item.fields),
      ),
      idempotencyKey:
        item.type === "appointment"
          ? item.transactionId
          : (item.extendedProperties[IDEMPOTENCY_PROPERTY_ID] ?? null),
    };
  }
}

function parseToken(deltaLink: string, folderId: string): { epoch: number; seq: number } | null {
  if (!deltaLink.startsWith(`${TOKEN_PREFIX}${folderId}:`)) return null;
  const [epoch, seq] = deltaLink
    .slice(TOKEN_PREFIX.length + folderId.length + 1)
    .split(":")
    .map(Number);
  return epoch === undefined || seq === undefined || !Number.isInteger(epoch) || !Number.isInteger(seq)
    ? null
    : { epoch, seq };
}
