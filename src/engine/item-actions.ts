/**
 * The user's actions on one item (SPEC §7): Track, Untrack, Set Regarding, tracking a draft when it is sent.
 * Each writes its change-log entry (or, on a secondary client, the tracking request stamp on the item)
 * before anything else, and says when the change syncs; the engine then runs it now, on close, or at the
 * next sync.
 */
import { offersDeleteChoiceOnUntrack } from "../core/deletion-rules";
import { ENTITY_PLURALS } from "../core/package-rules";
import { SyncError } from "../core/errors";
import { readValue } from "../core/field-values";
import { decideSyncTiming } from "../core/tracking-rules";
import type { Mapping } from "../ports/local-cache";
import type { CrmLinkStamp, MailboxItem } from "../ports/mailbox-store";
import type { CurrentItemKind } from "../ports/outlook-host";
import { stampedItemMapping } from "./cache-writes";
import type { CycleContext } from "./cycle-context";
import { TRACKED_CATEGORY, TRACKED_CATEGORY_COLOR, withCategories } from "./link-stamp";
import { withOwner } from "./snapshots";

/** The CRM field that names an activity's regarding record. */
const REGARDING_KEY = "regardingobjectid";

/** Where the user acted (SPEC §7): the item's own form, or a selection in a list. */
export type Surface = "explorer" | "inspector";

/** When the change an action recorded is sent to the CRM (the core's decideSyncTiming answer). */
export type SyncTiming = ReturnType<typeof decideSyncTiming>;

/** An item an action applies to, read through the mailbox store. */
export interface ActionTarget {
  readonly item: MailboxItem;
  /** The kind as the tracking rules see it. */
  readonly kind: CurrentItemKind;
}

/** What an action did: its timing, and the mapping whose entry must be processed (null when none). */
export interface ActionOutcome {
  readonly timing: SyncTiming;
  readonly mapId: string | null;
}

/** The kind of a mailbox item for the tracking rules; e-mail by folder and direction. */
export function kindOf(item: MailboxItem, draftsFolderId: string | null): CurrentItemKind {
  if (item.type !== "email") return item.type;
  if (draftsFolderId !== null && item.folderId === draftsFolderId) return "draftEmail";
  return readValue(item.fields, "direction") === "outgoing" ? "sentEmail" : "receivedEmail";
}

function timingFor(
  context: CycleContext,
  action: "track" | "untrack" | "setRegarding",
  kind: CurrentItemKind,
  surface: Surface,
): SyncTiming {
  return decideSyncTiming({ action, item: kind, client: context.role, surface });
}

async function stamp(
  context: CycleContext,
  item: MailboxItem,
  link: CrmLinkStamp | null,
  tracked: boolean,
): Promise<void> {
  const categories = tracked
    ? withCategories(item.categories, [TRACKED_CATEGORY])
    : withCategories(item.categories, [], [TRACKED_CATEGORY]);
  if (tracked) await context.deps.host.ensureMasterCategory(TRACKED_CATEGORY, TRACKED_CATEGORY_COLOR);
  await context.deps.mailbox.updateItem(item, { link, categories });
}

/**
 * The mapping of an item, or a new linked one when the item carries a CRM id this cache does not know
 * (tracked on another client, before the cache was lost, or under a package that did not sync its type).
 */
async function mappingOfItem(context: CycleContext, item: MailboxItem): Promise<Mapping | undefined> {
  const { cache, clock, newId } = context.deps;
  const found = await cache.findByItemId(item.itemId);
  if (
    found !== undefined ||
    item.link?.crmId === null ||
    item.link?.crmId === undefined ||
    (item.link.state !== "tracked" && item.link.state !== "suspended")
  ) {
    return found;
  }
  const byCrm = await cache.findByCrmId(item.link.crmId);
  if (byCrm !== undefined) return undefined;
  const mapping = stampedItemMapping({
    mapId: newId(),
    crmId: item.link.crmId,
    itemId: item.itemId,
    type: item.type,
    now: clock.now(),
    trackedByHand: true,
  });
  await cache.putMappings([mapping]);
  return mapping;
}

/**
 * Track or Untrack on the draft open in the compose form (SPEC §7 "Draft e-mail"): the "trackOnSend" stamp is
 * written (or removed) through the host's custom properties, never by a Graph write to an open draft; the
 * message it becomes in Sent Items is tracked after the send.
 */
export async function stampOpenDraft(
  context: CycleContext,
  action: "track" | "untrack",
  surface: Surface,
): Promise<ActionOutcome> {
  if (action === "track" && !context.packageTypes.has("email")) {
    throw new SyncError("notInPackage", {
      details: `The CRM package in force does not sync ${ENTITY_PLURALS.email}.`,
    });
  }
  await context.deps.host.setCurrentItemLink(
    action === "track" ? { crmId: null, state: "trackOnSend" } : null,
  );
  return { timing: timingFor(context, action, "draftEmail", surface), mapId: null };
}

/** Track in CRM (SPEC §7). Drafts are stamped to be tracked when sent; a secondary client stores a request. */
export async function trackItem(
  context: CycleContext,
  target: ActionTarget,
  surface: Surface,
): Promise<ActionOutcome> {
  const { kind } = target;
  const item = await seriesMasterOf(context, target.item);
  if (!context.packageTypes.has(item.type)) {
    throw new SyncError("notInPackage", {
      details: `The CRM package in force does not sync ${ENTITY_PLURALS[item.type]}.`,
    });
  }
  if (kind === "draftEmail") return stampOpenDraft(context, "track", surface);
  const timing = timingFor(context, "track", kind, surface);
  if (item.link?.state === "suspended" && item.link.crmId !== null)
    return relinkSuspended(context, item, timing);
  const existing = await mappingOfItem(context, item);
  if (existing?.linked) return { timing, mapId: null };
  if (timing === "deferToPrimary" || timing === "never") {
    await stamp(context, item, { crmId: null, state: "trackRequested" }, true);
    return { timing, mapId: null };
  }
  const entry = await context.deps.cache.recordOutlookChange({
    itemId: item.itemId,
    kind: "track",
    at: context.deps.clock.now(),
    create: { mapId: context.deps.newId(), type: item.type, trackedByHand: true },
  });
  await stamp(context, item, { crmId: null, state: "trackRequested" }, true);
  return { timing, mapId: entry.mapId };
}

/** A series is tracked whole (SPEC §15): Track on one of its occurrences or exceptions tracks its master. */
async function seriesMasterOf(context: CycleContext, item: MailboxItem): Promise<MailboxItem> {
  const masterId = item.series?.seriesMasterId ?? null;
  if (masterId === null) return item;
  return (await context.deps.mailbox.getItems([{ itemId: masterId, type: item.type }])).get(masterId) ?? item;
}

/**
 * Track on an item a package had stopped syncing: it is linked again to the record it names, never to a new one.
 * The primary client links it now (the merge restores stamp and category); a secondary one restores the stamp,
 * and the primary's scan links it at its next sync.
 */
async function relinkSuspended(
  context: CycleContext,
  item: MailboxItem,
  timing: SyncTiming,
): Promise<ActionOutcome> {
  const crmId = item.link?.crmId ?? null;
  const mapping =
    timing === "deferToPrimary" || timing === "never" ? undefined : await mappingOfItem(context, item);
  if (mapping === undefined) {
    await stamp(context, item, { crmId, state: "tracked" }, true);
    return { timing, mapId: null };
  }
  await context.deps.cache.recordOutlookChange({ itemId: item.itemId, kind: "upsert", at: item.modifiedAt });
  return { timing, mapId: mapping.mapId };
}

/** Untrack (SPEC §7, §8); `deleteInCrm` counts only where the rules offer the choice (contacts, e-mail). */
export async function untrackItem(
  context: CycleContext,
  target: ActionTarget,
  surface: Surface,
  deleteInCrm: boolean,
): Promise<ActionOutcome> {
  const { item, kind } = target;
  const timing = timingFor(context, "untrack", kind, surface);
  const choose = deleteInCrm && offersDeleteChoiceOnUntrack(item.type);
  if (timing === "deferToPrimary" || timing === "never") {
    const state = choose ? "untrackAndDeleteRequested" : "untrackRequested";
    if (item.link !== null) await stamp(context, item, { crmId: item.link.crmId, state }, false);
    return { timing, mapId: null };
  }
  const mapping = await mappingOfItem(context, item);
  if (mapping === undefined) {
    if (item.link !== null) await stamp(context, item, null, false);
    return { timing, mapId: null };
  }
  const entry = await context.deps.cache.recordOutlookChange({
    itemId: item.itemId,
    kind: choose ? "untrackAndDelete" : "untrack",
    at: context.deps.clock.now(),
  });
  return { timing, mapId: entry.mapId };
}

/**
 * Set Regarding (SPEC §7): writes the regarding record on the linked CRM record at once, guarded by its
 * version, and keeps the mapping's CRM snapshot in step so the merge sees no change. The item must be tracked.
 */
export async function setRegardingOfItem(
  context: CycleContext,
  item: MailboxItem,
  regardingId: string,
): Promise<void> {
  const { cache, crm } = context.deps;
  const mapping = await mappingOfItem(context, item);
  if (mapping === undefined || !mapping.linked || mapping.crmId === null) {
    throw new SyncError("invalidInput", { details: "Track the item before setting what it is regarding." });
  }
  const key = REGARDING_KEY;
  for (let round = 0; round < 3; round += 1) {
    const data = await crm.getSpecificSyncData([mapping.crmId]);
    const record = data.records[0];
    if (record === undefined || record.deleted)
      throw new SyncError("notFound", { details: `record ${mapping.crmId}` });
    const outcome = await crm.updateRecord({
      id: record.id,
      expectedVersion: record.version,
      fields: { [key]: regardingId },
    });
    if (outcome.status === "conflict") continue;
    const crmSnapshot =
      mapping.snapshot.crm === null
        ? null
        : withOwner({ ...mapping.snapshot.crm, [key]: regardingId }, outcome.record.owner);
    await cache.putMappings([
      {
        ...mapping,
        crmVersion: outcome.record.version,
        snapshot: { outlook: mapping.snapshot.outlook, crm: crmSnapshot },
      },
    ]);
    return;
  }
  throw new SyncError("conflict", { details: `The record ${mapping.crmId} kept changing.` });
}
