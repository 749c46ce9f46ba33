/**
 * Cycle step 2 (SPEC §3.2): the missed-change scan. Reads each synced folder's changes since its checkpoint
 * (Graph delta or newest-first down to the watermark), and writes a change-log entry for every tracked item
 * that differs from its snapshot, every removed tracked item, and every tracking request a secondary client
 * stamped on an item (SPEC §7). Items stamped with a CRM id but unknown to the cache (a lost cache, another
 * primary client, a type a customization package dropped and synced again) are linked again here, before any
 * create could duplicate them. A folder's checkpoint is saved only after its entries are written.
 *
 * Recurring series (SPEC §15): a series is tracked through its master. An exception of a tracked series that
 * has no mapping yet gets one, to be created in the CRM as the series' exception record; an exception of an
 * untracked series is left alone. Masters are noted before exceptions, so a series' record is made first.
 */
import { matchKey } from "../core/match-keys";
import type { EntityType } from "../core/types";
import type { Mapping } from "../ports/local-cache";
import type { MailboxItem } from "../ports/mailbox-store";
import { scanFoldersOnce, stampedItemMapping } from "./cache-writes";
import type { CycleContext, LinkIndex } from "./cycle-context";
import { outlookChangedSince } from "./snapshots";

/** Item types the scan reads: e-mail is tracked through the host's events, not scanned. */
const SCANNED: readonly EntityType[] = ["contact", "appointment", "task"];

/** Stamps that link an unknown item to its record again (a "suspended" one: its type syncs again). */
const RELINKED_STATES: ReadonlySet<string> = new Set([
  "tracked",
  "untrackRequested",
  "untrackAndDeleteRequested",
  "suspended",
]);

/** The change-log kind of a secondary client's untrack request, carrying the user's delete choice (SPEC §8). */
function untrackKindOf(item: MailboxItem): "untrack" | "untrackAndDelete" | null {
  if (item.link?.state === "untrackRequested") return "untrack";
  if (item.link?.state === "untrackAndDeleteRequested") return "untrackAndDelete";
  return null;
}

/** The key under which the initial synchronization looks an item or record up by its match key. */
export function linkIndexKey(type: EntityType, key: string): string {
  return `${type}:${key}`;
}

/**
 * Scans every synced folder. The folders of the types in `full` (those in their initial synchronization) are
 * read whole, checkpoints ignored, and the returned index lists their unstamped, unlinked items by match key
 * (SPEC §12); the index is null when `full` names no scanned type.
 */
export async function scanOutlook(
  context: CycleContext,
  full: ReadonlySet<EntityType>,
): Promise<LinkIndex | null> {
  const { mailbox, cache } = context.deps;
  const types = SCANNED.filter((type) => context.syncTypes.has(type));
  const fullTypes = types.filter((type) => full.has(type));
  const index: LinkIndex | null =
    fullTypes.length === 0 ? null : { byCrmId: new Map(), byMatchKey: new Map() };
  if (types.length === 0) return index;
  const folders = (await mailbox.listFolders(types)).map((folder) => ({
    folderId: folder.folderId,
    full: fullTypes.includes(folder.type),
  }));
  await scanFoldersOnce(cache, mailbox, folders, async (scan, at) => {
    const whole = folders[at]?.full === true;
    for (const item of mastersFirst(scan.changed)) await noteScannedItem(context, item, whole ? index : null);
    for (const itemId of scan.removed) await noteRemovedItem(context, itemId);
  });
  return index;
}

/** The items with every exception after the rest, otherwise in scan order. */
function mastersFirst(items: readonly MailboxItem[]): MailboxItem[] {
  const isException = (item: MailboxItem): boolean => item.series?.eventType === "exception";
  return [...items.filter((item) => !isException(item)), ...items.filter(isException)];
}

/** An exception without a mapping: mapped when its series is tracked, to become the series' exception record. */
async function noteNewException(context: CycleContext, item: MailboxItem): Promise<void> {
  const { cache, newId } = context.deps;
  const masterId = item.series?.seriesMasterId ?? null;
  const master = masterId === null ? undefined : await cache.findByItemId(masterId);
  if (master === undefined || !master.linked || master.deletedLocally) return;
  await cache.recordOutlookChange({
    itemId: item.itemId,
    kind: "track",
    at: item.modifiedAt,
    create: { mapId: newId(), type: item.type, trackedByHand: false },
  });
}

async function noteRemovedItem(context: CycleContext, itemId: string): Promise<void> {
  const { cache, clock } = context.deps;
  const mapping = await cache.findByItemId(itemId);
  if (mapping === undefined || mapping.deletedLocally) return;
  await cache.recordOutlookChange({ itemId, kind: "delete", at: clock.now() });
}

async function noteScannedItem(
  context: CycleContext,
  item: MailboxItem,
  index: LinkIndex | null,
): Promise<void> {
  const { cache, clock } = context.deps;
  const mapping = await cache.findByItemId(item.itemId);
  if (mapping !== undefined) {
    if (mapping.deletedLocally || !mapping.linked) return;
    const untrack = untrackKindOf(item);
    if (untrack !== null) {
      await cache.recordOutlookChange({ itemId: item.itemId, kind: untrack, at: item.modifiedAt });
    } else if (outlookChangedSince(context.maps, item.type, mapping.snapshot.outlook, item.fields)) {
      await cache.recordOutlookChange({ itemId: item.itemId, kind: "upsert", at: item.modifiedAt });
    }
    return;
  }
  if (item.series?.eventType === "exception" && item.link?.crmId == null) {
    await noteNewException(context, item);
    return;
  }
  const link = item.link;
  if (link === null) {
    const key = index === null ? null : matchKey(item.type, item.fields, "outlook");
    if (index !== null && key !== null && !index.byMatchKey.has(linkIndexKey(item.type, key))) {
      index.byMatchKey.set(linkIndexKey(item.type, key), item);
    }
    return;
  }
  if (link.state === "trackRequested") {
    await cache.recordOutlookChange({
      itemId: item.itemId,
      kind: "track",
      at: clock.now(),
      create: { mapId: context.deps.newId(), type: item.type, trackedByHand: true },
    });
    return;
  }
  if (link.crmId === null || !RELINKED_STATES.has(link.state)) return;
  index?.byCrmId.set(link.crmId, item);
  await relinkStampedItem(context, item, link.crmId, untrackKindOf(item) ?? "upsert");
}

/**
 * An item stamped with a CRM id that the cache has no mapping for: link it to the record's mapping (or a new
 * one) with empty snapshots, so the merge treats both sides as changed and the later edit wins (SPEC §12).
 */
async function relinkStampedItem(
  context: CycleContext,
  item: MailboxItem,
  crmId: string,
  kind: "upsert" | "untrack" | "untrackAndDelete",
): Promise<void> {
  const { cache, clock, logger } = context.deps;
  const existing = await cache.findByCrmId(crmId);
  if (existing !== undefined && (existing.itemId !== null || existing.deletedLocally)) {
    if (existing.itemId !== item.itemId)
      logger.warn("a second item carries a linked CRM id", { itemId: item.itemId, crmId });
    return;
  }
  const mapping: Mapping = existing
    ? { ...existing, itemId: item.itemId, linked: true }
    : stampedItemMapping({
        mapId: context.deps.newId(),
        crmId,
        itemId: item.itemId,
        type: item.type,
        now: clock.now(),
        trackedByHand: false,
      });
  await cache.putMappings([mapping]);
  await cache.recordOutlookChange({
    itemId: item.itemId,
    kind,
    at: item.modifiedAt,
  });
}
