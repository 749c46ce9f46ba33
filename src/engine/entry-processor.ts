/**
 * Cycle step 3 (SPEC §5, §6, §8): processes change-log entries, a batch at a time. For each entry it reads the
 * CRM record and the Outlook item, decides what the entry means, and writes Outlook first and the CRM second;
 * the Outlook items the batch's entries create are made together, in one call of the store, after the
 * entries are decided; the mappings, snapshots, conflicts and removals of every entry of the batch are then
 * committed in one cache transaction. A crash before that commit repeats the batch's entries, which is safe: merges of equal sides
 * write nothing, and creates record a pending create before the create and carry a stable idempotency key, so
 * a repeated create finds the first one instead of making a duplicate. A failed entry stays in the log with
 * its error and is retried with backoff; after MAX_ATTEMPTS it is a user-visible error and the item gets the
 * error category.
 * One file over 500 lines: the SPEC §8 cases share the pass's batch, the fetched records and items, and the
 * private create, link and merge helpers; split apart they would only pass that state around.
 */
import { decideCrmSideOfOutlookDelete, decideOutlookSideOfCrmDelete } from "../core/deletion-rules";
import { BugError, SyncError } from "../core/errors";
import { readValue } from "../core/field-values";
import { FILTER_CRITERIA, filterRecordOf, isInFilter, leftFilterAction } from "../core/filter-rules";
import { matchKey } from "../core/match-keys";
import { toCrm, toOutlook } from "../core/mapping";
import { merge } from "../core/merge";
import {
  isPermanentFailure,
  isUserVisibleFailure,
  nextRetryDelay,
  NO_AUTOMATIC_RETRY,
} from "../core/retry-policy";
import type { DownloadableEntityType, Fields } from "../core/types";
import type { CrmRecord } from "../ports/crm-client";
import {
  appliedBatch,
  type AppliedBatch,
  type ChangeLogEntry,
  type ConflictRecord,
  type Mapping,
  type PendingCreate,
} from "../ports/local-cache";
import { createItemsIn, type MailboxItem, type NewMailboxItem } from "../ports/mailbox-store";
import { mappingOptions, typeSyncs, type CycleContext } from "./cycle-context";
import {
  ERROR_CATEGORY,
  TRACKED_CATEGORY,
  crmCreateKey,
  exceptionCreateKey,
  outlookCreateKey,
  withCategories,
} from "./link-stamp";
import { combinedBatch } from "./cache-writes";
import { linkIndexKey } from "./outlook-scan";
import { exceptionMapping, exceptionsToTrack } from "./series-exceptions";
import { followSeriesEdit } from "./series-follow";
import { OWNER_KEY, snapshotOf, snapshotOwner, withOwner } from "./snapshots";

/** Most entries one pass reads (IndexedDB counts are 32-bit); the rest wait for the next pass. */
const DUE_LIMIT = 1_000_000;
/**
 * Entries read per batch; their mappings are read in one cache call and their records and items fetched
 * together, their pending creates written in one cache call and their Outlook creates made together (a batch
 * of creates fills the mailbox's 4 sequential `$batch` requests of 20 four times), and their results committed
 * together. At most BULK_LIMIT, the most one such cache call takes.
 */
export const ENTRY_BATCH = 320;
/** Ids per GetSpecificSyncData call (the protocol's limit). */
const SPECIFIC_IDS = 500;
/** A guarded CRM update is retried this often against the newer record before the entry fails. */
const UPDATE_ROUNDS = 3;
/**
 * Entries of a batch processed at once (each its own mapping): as many as the mailbox's Graph budget has
 * requests in flight, so their creates and merges overlap instead of waiting for each other's round trips.
 */
const ENTRIES_AT_ONCE = 4;

/**
 * Runs `task` for every item, at most `limit` at a time. After a task throws, no further one starts; the first
 * error is thrown once the running ones have finished.
 */
async function forEachAtMost<T>(
  limit: number,
  items: readonly T[],
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const worker = async (): Promise<void> => {
    while (errors.length === 0 && next < items.length) {
      const item = items[next] as T;
      next += 1;
      try {
        await task(item);
      } catch (error) {
        errors.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (errors.length > 0) throw errors[0];
}

/** What one pass over the change log did. */
export interface ProcessSummary {
  readonly processed: number;
  readonly failed: number;
  readonly skipped: number;
}

export interface ProcessOptions {
  /** Only these mappings (an immediate action); all due entries otherwise. */
  readonly only?: ReadonlySet<string>;
  /** Called after each entry with the count done so far and the pass's total. */
  readonly onProgress?: (done: number, total: number) => void;
  /** Entries due by this time are processed (default: now); a later time skips their retry waits. */
  readonly dueUntil?: number;
}

/** One pass over the due entries. Entries of types that do not sync this cycle stay in the log untouched. */
export async function processChangeLog(
  context: CycleContext,
  options: ProcessOptions = {},
): Promise<ProcessSummary> {
  const { cache, clock } = context.deps;
  const due = (await cache.dueEntries(options.dueUntil ?? clock.now(), DUE_LIMIT)).filter(
    (entry) => options.only === undefined || options.only.has(entry.mapId),
  );
  let processed = 0;
  let failed = 0;
  let skipped = 0;
  // The creates an earlier pass attempted, read once: a key this pass records is another entry's own.
  const attempted: ReadonlySet<string> =
    due.length === 0
      ? new Set()
      : new Set((await cache.listPendingCreates()).map((create) => create.idempotencyKey));
  for (let start = 0; start < due.length; start += ENTRY_BATCH) {
    const entries = due.slice(start, start + ENTRY_BATCH);
    const mappings = await cache.getMappings(entries.map((entry) => entry.mapId));
    const work: { entry: ChangeLogEntry; mapping: Mapping }[] = [];
    const outcomes: EntryOutcome[] = [];
    for (const entry of entries) {
      const mapping = mappings.get(entry.mapId);
      if (mapping === undefined) {
        outcomes.push({
          batch: appliedBatch({ handled: [{ mapId: entry.mapId, revision: entry.revision }] }),
        });
      } else if (!typeSyncs(context, mapping.type)) {
        skipped += 1;
      } else {
        work.push({ entry, mapping });
      }
    }
    const { records, lost } = await fetchRecords(
      context,
      work.map((w) => w.mapping),
    );
    const items = await fetchItems(
      context,
      work.map((w) => w.mapping),
    );
    const doneBefore = processed + failed;
    const planned: Planned[] = [];
    await forEachAtMost(ENTRIES_AT_ONCE, work, async ({ entry, mapping }) => {
      const record = mapping.crmId === null ? null : (records.get(mapping.crmId) ?? null);
      const item = mapping.itemId === null ? null : (items.get(mapping.itemId) ?? null);
      try {
        const lostAccess = mapping.crmId !== null && lost.has(mapping.crmId);
        const result = await processEntry(context, entry, mapping, record, item, lostAccess, attempted);
        if ("input" in result) planned.push({ entry, mapping, create: result });
        else outcomes.push({ entry, mapping, batch: result });
      } catch (error) {
        if (stopsPass(error)) throw error;
        failed += 1;
        await failEntry(context, entry, mapping, error);
      }
    })
      .then(async () => {
        failed += await createPlanned(context, planned, outcomes);
      })
      .catch(async (error: unknown) => {
        await commitOutcomes(context, outcomes);
        throw error;
      });
    const failures = await commitOutcomes(context, outcomes);
    processed += outcomes.filter((outcome) => outcome.entry !== undefined).length - failures;
    failed += failures;
    for (let done = doneBefore + 1; done <= processed + failed; done += 1)
      options.onProgress?.(done, due.length);
  }
  return { processed, failed, skipped };
}

/** What processing one entry left to commit; `entry` and `mapping` are absent for an entry without a mapping. */
interface EntryOutcome {
  readonly batch: AppliedBatch;
  readonly entry?: ChangeLogEntry;
  readonly mapping?: Mapping;
}

/**
 * An Outlook create an entry decided on: made with the batch's other creates in one call of the store (which
 * may send them in a few round trips), after their pending creates are recorded; `done` is what to commit
 * once the item exists.
 */
interface PlannedCreate {
  readonly pending: PendingCreate;
  readonly input: NewMailboxItem;
  readonly done: (item: MailboxItem) => AppliedBatch;
}

interface Planned {
  readonly entry: ChangeLogEntry;
  readonly mapping: Mapping;
  readonly create: PlannedCreate;
}

/**
 * True for an error that must stop the pass rather than fail one entry: a bug, or a throttle handed back,
 * which is not a failed attempt (the entry stays due and the pass stops, SPEC §5).
 */
function stopsPass(error: unknown): error is BugError | SyncError {
  return error instanceof BugError || (error instanceof SyncError && error.retryAt !== undefined);
}

/**
 * Records the pending creates of the planned creates, makes the items in one call of the store and adds
 * each made item's outcome to `outcomes`; a create that failed fails its entry. Returns how many failed. A
 * throttle handed back for any create is thrown after the others are noted (their items exist).
 */
async function createPlanned(
  context: CycleContext,
  planned: readonly Planned[],
  outcomes: EntryOutcome[],
): Promise<number> {
  if (planned.length === 0) return 0;
  const { cache, mailbox } = context.deps;
  await cache.putPendingCreates(planned.map(({ create }) => create.pending));
  const results = await createItemsIn(
    mailbox,
    planned.map(({ create }) => create.input),
  ).catch((error: unknown) => {
    if (stopsPass(error)) throw error;
    return planned.map(() => ({ error }));
  });
  let failed = 0;
  let stop: BugError | SyncError | null = null;
  for (const [index, { entry, mapping, create }] of planned.entries()) {
    const result = results[index] ?? { error: new BugError(`the mailbox answered no create ${index}`) };
    if ("item" in result) {
      outcomes.push({ entry, mapping, batch: create.done(result.item) });
    } else if (stopsPass(result.error)) {
      stop ??= result.error;
    } else {
      failed += 1;
      await failEntry(context, entry, mapping, result.error);
    }
  }
  if (stop !== null) throw stop;
  return failed;
}

/**
 * Commits the outcomes of a batch in one cache transaction. When that fails (two entries claimed one item, say),
 * each outcome is committed on its own, and an entry whose commit fails is recorded as failed. Returns how many
 * processed entries failed so.
 */
async function commitOutcomes(context: CycleContext, outcomes: readonly EntryOutcome[]): Promise<number> {
  const { cache, logger } = context.deps;
  if (outcomes.length === 0) return 0;
  try {
    await cache.applyBatch(combinedBatch(outcomes.map((outcome) => outcome.batch)));
    return 0;
  } catch (error) {
    if (error instanceof BugError) throw error;
    const only = outcomes.length === 1 ? outcomes[0] : undefined;
    if (only !== undefined) return failOutcome(context, only, error);
    logger.warn("a batch of entries did not commit at once; committing them one by one", {
      entries: outcomes.length,
      error: String(error),
    });
  }
  let failures = 0;
  for (const outcome of outcomes) {
    try {
      await cache.applyBatch(outcome.batch);
    } catch (error) {
      if (error instanceof BugError) throw error;
      failures += await failOutcome(context, outcome, error);
    }
  }
  return failures;
}

/** Records a processed entry whose commit failed as failed (1); an entry without a mapping rethrows. */
async function failOutcome(context: CycleContext, outcome: EntryOutcome, error: unknown): Promise<number> {
  if (outcome.entry === undefined || outcome.mapping === undefined) throw error;
  await failEntry(context, outcome.entry, outcome.mapping, error);
  return 1;
}

/** The live records of the mappings, and the ids the user can no longer read (`missing` as notFound). */
async function fetchRecords(
  context: CycleContext,
  mappings: readonly Mapping[],
): Promise<{ records: Map<string, CrmRecord>; lost: Set<string> }> {
  let waiting = [...new Set(mappings.flatMap((m) => (m.crmId === null ? [] : [m.crmId])))];
  const records = new Map<string, CrmRecord>();
  const lost = new Set<string>();
  while (waiting.length > 0) {
    const asked = waiting.slice(0, SPECIFIC_IDS);
    const data = await context.deps.crm.getSpecificSyncData(asked);
    for (const record of data.records) if (!record.deleted) records.set(record.id, record);
    for (const missing of data.missing) if (missing.reason === "notFound") lost.add(missing.id);
    // An answer that reached its size limit defers the rest; it always carries at least one record.
    const deferred = data.records.length > 0 ? (data.deferred ?? []) : [];
    waiting = [...deferred, ...waiting.slice(asked.length)];
  }
  return { records, lost };
}

async function fetchItems(
  context: CycleContext,
  mappings: readonly Mapping[],
): Promise<ReadonlyMap<string, MailboxItem | null>> {
  const refs = mappings.flatMap((m) => (m.itemId === null ? [] : [{ itemId: m.itemId, type: m.type }]));
  if (refs.length === 0) return new Map();
  return context.deps.mailbox.getItems(refs);
}

/**
 * Decides what an entry means and carries it out; returns the cache changes to commit, or the Outlook create
 * to make with the batch's others.
 */
async function processEntry(
  context: CycleContext,
  entry: ChangeLogEntry,
  mapping: Mapping,
  record: CrmRecord | null,
  item: MailboxItem | null,
  lostAccess: boolean,
  attempted: ReadonlySet<string>,
): Promise<AppliedBatch | PlannedCreate> {
  const handled = [{ mapId: entry.mapId, revision: entry.revision }];
  if (mapping.deletedLocally) {
    return appliedBatch({
      handled,
      deleteMappings: record === null && entry.crmChange === "delete" ? [mapping.mapId] : [],
    });
  }
  if (entry.outlookChange === "untrack" || entry.outlookChange === "untrackAndDelete") {
    return appliedBatch({
      ...(await untrack(context, mapping, record, item, entry.outlookChange === "untrackAndDelete")),
      handled,
    });
  }
  if (mapping.linked && mapping.itemId !== null && item === null) {
    return appliedBatch({ ...(await outlookDeleted(context, mapping, record)), handled });
  }
  if (mapping.linked && (entry.crmChange === "delete" || record === null)) {
    return appliedBatch({ ...(await crmDeleted(context, mapping, null, item, lostAccess)), handled });
  }
  if (
    mapping.linked &&
    entry.crmChange === "leftFilter" &&
    leftFilterAction(mapping.type, mapping.trackedByHand) === "treatAsDelete"
  ) {
    return appliedBatch({ ...(await crmDeleted(context, mapping, record, item, false)), handled });
  }
  if (!mapping.linked && mapping.crmId === null) {
    if (item === null) return appliedBatch({ handled, deleteMappings: [mapping.mapId] });
    return appliedBatch({ ...(await createInCrm(context, mapping, item)), handled });
  }
  if (record !== null && outsidePackageFilter(context, mapping, record)) {
    if (!mapping.linked) return appliedBatch({ handled, deleteMappings: [mapping.mapId] });
    if (leftFilterAction(mapping.type, mapping.trackedByHand) === "treatAsDelete") {
      return appliedBatch({ ...(await crmDeleted(context, mapping, record, item, false)), handled });
    }
  }
  if (!mapping.linked) {
    if (record === null || !context.downloadTypes.has(mapping.type)) {
      return appliedBatch({ handled, deleteMappings: [mapping.mapId] });
    }
    const linked = await linkOrCreateInOutlook(context, mapping, record, attempted);
    if (!("input" in linked)) return appliedBatch({ ...linked, handled });
    return { ...linked, done: (item) => appliedBatch({ ...linked.done(item), handled }) };
  }
  if (record === null || item === null)
    throw new BugError(`linked mapping ${mapping.mapId} without both sides`);
  return appliedBatch({ ...(await mergePair(context, mapping, record, item)), handled });
}

/**
 * True when the package in force filters the record out (SPEC §4 narrowed by a customization package): the
 * server sends what SPEC §4's filter holds, and a package may ask for less. Only a narrowed type is checked.
 */
function outsidePackageFilter(context: CycleContext, mapping: Mapping, record: CrmRecord): boolean {
  if (record.type !== "contact" && record.type !== "appointment" && record.type !== "task") return false;
  const type: DownloadableEntityType = record.type;
  const narrowed = FILTER_CRITERIA[type].some((criterion) => !context.filters[type].includes(criterion));
  if (!narrowed) return false;
  return !isInFilter(
    filterRecordOf(record.type, record.owner, record.fields),
    context.user,
    mapping.trackedByHand,
    context.filters,
  );
}

/**
 * False for a type unchecked in the settings (SPEC §9): its hand-tracked items still send their changes, but
 * nothing of the CRM's is written to them, by a merge or by a delete. E-mail is not a setting of §9.
 */
function receivesCrmChanges(context: CycleContext, mapping: Mapping): boolean {
  return mapping.type === "email" || context.downloadTypes.has(mapping.type);
}

function userIsOwnerOrOrganizer(context: CycleContext, owner: string | null, fields: Fields): boolean {
  if (owner === context.user.id) return true;
  const organizer = readValue(fields, "organizer");
  if (typeof organizer !== "string") return false;
  const wanted = organizer.toLowerCase();
  return (
    wanted === context.user.id.toLowerCase() ||
    context.user.emails.some((email) => email.toLowerCase() === wanted)
  );
}

/** Deletes a CRM record guarded by its version; a newer version is deleted too (the decision was about the record). */
async function deleteCrmRecord(context: CycleContext, record: CrmRecord): Promise<void> {
  const outcome = await context.deps.crm.deleteRecord({ id: record.id, expectedVersion: record.version });
  if (outcome.status === "conflict") await context.deps.crm.deleteRecord({ id: record.id });
}

/**
 * A tombstone: the item is gone or unlinked while its record stays in the CRM; later CRM changes of the record
 * are ignored (SPEC §8). The server is told first (PostSync's `removedFromOutlook`), so that no other client of
 * the user, the headless engine or a client with a new cache, brings the item back; a repeat tells it again.
 */
async function tombstone(context: CycleContext, mapping: Mapping, record: CrmRecord): Promise<Mapping> {
  // Version 0 acknowledges nothing new: the call only reports the removal.
  await context.deps.crm.postSync({
    clientId: context.deps.clientId,
    version: 0,
    removedFromOutlook: [record.id],
  });
  return { ...mapping, itemId: null, linked: false, deletedLocally: true };
}

/** The Outlook item was deleted (SPEC §8 "Deleted in Outlook"). */
async function outlookDeleted(
  context: CycleContext,
  mapping: Mapping,
  record: CrmRecord | null,
): Promise<Partial<AppliedBatch>> {
  if (record === null) return { deleteMappings: [mapping.mapId] };
  const decision = decideCrmSideOfOutlookDelete({
    type: mapping.type,
    reason: "deleted",
    crm: record.fields,
    now: context.deps.clock.now(),
    userIsOwnerOrOrganizer: userIsOwnerOrOrganizer(context, record.owner, record.fields),
    userChoseDelete: false,
  });
  if (decision === "delete") {
    await deleteCrmRecord(context, record);
    return { deleteMappings: [mapping.mapId] };
  }
  return { mappings: [await tombstone(context, mapping, record)] };
}

/** The user untracked the item, maybe choosing to delete the record too (SPEC §8). */
async function untrack(
  context: CycleContext,
  mapping: Mapping,
  record: CrmRecord | null,
  item: MailboxItem | null,
  userChoseDelete: boolean,
): Promise<Partial<AppliedBatch>> {
  if (item !== null && (item.link !== null || item.categories.includes(TRACKED_CATEGORY))) {
    await context.deps.mailbox.updateItem(item, {
      link: null,
      categories: withCategories(item.categories, [], [TRACKED_CATEGORY, ERROR_CATEGORY]),
    });
  }
  if (record === null) return { deleteMappings: [mapping.mapId] };
  const decision = decideCrmSideOfOutlookDelete({
    type: mapping.type,
    reason: "untracked",
    crm: record.fields,
    now: context.deps.clock.now(),
    userIsOwnerOrOrganizer: userIsOwnerOrOrganizer(context, record.owner, record.fields),
    userChoseDelete,
  });
  if (decision === "delete") {
    await deleteCrmRecord(context, record);
    return { deleteMappings: [mapping.mapId] };
  }
  if (mapping.trackedByHand) await context.deps.crm.setTrackedByHand(record.id, false);
  return { mappings: [await tombstone(context, mapping, record)] };
}

/**
 * The record was deleted in the CRM or left the filter as a delete (SPEC §4, §8 "Deleted in the CRM"). The
 * owner is the readable record's, else the snapshot's; but a record the server no longer lets the user read
 * (`lostAccess`: reassigned to someone else, for example) is not theirs.
 */
async function crmDeleted(
  context: CycleContext,
  mapping: Mapping,
  readable: CrmRecord | null,
  item: MailboxItem | null,
  lostAccess: boolean,
): Promise<Partial<AppliedBatch>> {
  if (item === null) return { deleteMappings: [mapping.mapId] };
  const owner = readable?.owner ?? (lostAccess ? null : snapshotOwner(mapping.snapshot.crm));
  const decision = receivesCrmChanges(context, mapping)
    ? decideOutlookSideOfCrmDelete({
        type: mapping.type,
        outlook: item.fields,
        now: context.deps.clock.now(),
        userIsCrmOwner: owner === context.user.id,
      })
    : "unlinkKeep";
  if (decision === "delete") {
    await context.deps.mailbox.deleteItem(item);
  } else {
    await context.deps.mailbox.updateItem(item, {
      link: null,
      categories: withCategories(item.categories, [], [TRACKED_CATEGORY, ERROR_CATEGORY]),
    });
  }
  return { deleteMappings: [mapping.mapId] };
}

/**
 * A tracked item without a record: create the record, then stamp its id on the item (SPEC §7). A series'
 * record is made with the exceptions Outlook already holds, each as its exception record (SPEC §15).
 */
async function createInCrm(
  context: CycleContext,
  mapping: Mapping,
  item: MailboxItem,
): Promise<Partial<AppliedBatch>> {
  const internetMessageId = readValue(item.fields, "internetMessageId");
  const key = crmCreateKey(
    mapping.type,
    mapping.mapId,
    typeof internetMessageId === "string" ? internetMessageId : null,
  );
  const linked = await createRecordFor(context, mapping, item, key, await seriesOfException(context, item));
  const mappings = [linked];
  const pendingCreatesDone = [key];
  if (item.series?.eventType === "seriesMaster") {
    for (const exception of await exceptionsToTrack(context, item.itemId)) {
      const exceptionKey = exceptionCreateKey(mapping.mapId, String(exception.fields.originalStart));
      const exceptionFields = { [SERIES_KEY]: linked.crmId };
      const made = exceptionMapping(context.deps.newId(), exception);
      mappings.push(await createRecordFor(context, made, exception, exceptionKey, exceptionFields));
      pendingCreatesDone.push(exceptionKey);
    }
  }
  return { mappings, pendingCreatesDone };
}

/** Creates the record of `item` under `key` with `extra` fields and stamps the item; returns the linked mapping. */
async function createRecordFor(
  context: CycleContext,
  mapping: Mapping,
  item: MailboxItem,
  key: string,
  extra: Fields,
): Promise<Mapping> {
  const { cache, crm, mailbox, clock } = context.deps;
  await cache.putPendingCreate({
    idempotencyKey: key,
    mapId: mapping.mapId,
    side: "crm",
    type: mapping.type,
    createdAt: clock.now(),
  });
  const record = await crm.createRecord({
    idempotencyKey: key,
    type: mapping.type,
    fields: { ...toCrm(mapping.type, item.fields, context.maps), ...extra },
    trackedByHand: true,
  });
  const stamped = await mailbox.updateItem(item, {
    link: { crmId: record.id, state: "tracked" },
    categories: withCategories(item.categories, [TRACKED_CATEGORY], [ERROR_CATEGORY]),
  });
  return {
    ...mapping,
    crmId: record.id,
    linked: true,
    trackedByHand: true,
    crmVersion: record.version,
    verifiedTime: clock.now(),
    snapshot: snapshotOf(context.maps, mapping.type, stamped.fields, record.fields, record.owner),
  };
}

/** The CRM key that names an exception record's series (SPEC §15). */
const SERIES_KEY = "seriesid";

/** An exception's link to its series' record; nothing for any other item. */
async function seriesOfException(context: CycleContext, item: MailboxItem): Promise<Fields> {
  const masterId = item.series?.eventType === "exception" ? item.series.seriesMasterId : null;
  if (masterId === null) return {};
  const master = await context.deps.cache.findByItemId(masterId);
  if (master?.crmId == null)
    throw new SyncError("notFound", { details: "The series of this occurrence is not in the CRM yet." });
  return { [SERIES_KEY]: master.crmId };
}

/**
 * A CRM exception record without an item (SPEC §15): its occurrence of the series' Outlook master gets the
 * record's values and so becomes an exception. A series deleted in Outlook takes its exceptions with it.
 */
async function linkException(
  context: CycleContext,
  mapping: Mapping,
  record: CrmRecord,
  seriesId: string,
): Promise<Partial<AppliedBatch>> {
  const { cache, mailbox } = context.deps;
  const series = await cache.findByCrmId(seriesId);
  if (series?.deletedLocally) return { deleteMappings: [mapping.mapId] };
  const originalStart = readValue(record.fields, "originalstart");
  if (series?.itemId == null || !series.linked || typeof originalStart !== "string")
    throw new SyncError("notFound", {
      details: `The series ${seriesId} of this exception is not in Outlook yet.`,
    });
  const fields = toOutlook(
    mapping.type,
    record.fields,
    mappingOptions(context, record.related?.parentAccountName),
    context.maps,
  );
  const item = await mailbox.updateOccurrence(series.itemId, originalStart, {
    fields,
    categories: [TRACKED_CATEGORY],
    link: { crmId: record.id, state: "tracked" },
  });
  return { mappings: [linkedTo(context, mapping, item, record)] };
}

/** The mapping of a pair just linked: the Outlook item written from the CRM record, both sides in its snapshot. */
function linkedTo(context: CycleContext, mapping: Mapping, item: MailboxItem, record: CrmRecord): Mapping {
  return {
    ...mapping,
    itemId: item.itemId,
    linked: true,
    crmVersion: record.version,
    verifiedTime: context.deps.clock.now(),
    snapshot: snapshotOf(context.maps, mapping.type, item.fields, record.fields, record.owner),
  };
}

/** An Outlook item that already stands for `record`: stamped with its id, made for it, or (initial sync) matching it. */
async function findExistingItem(
  context: CycleContext,
  record: CrmRecord,
  mapping: Mapping,
  attempted: ReadonlySet<string>,
): Promise<MailboxItem | null> {
  const { mailbox, cache } = context.deps;
  const stamped = context.linkIndex?.byCrmId.get(record.id) ?? null;
  // Only a create this cache recorded can have happened without its mapping being saved (a crash or a lost
  // answer); asking the mailbox for every new record would cost one request each.
  const createKey = outlookCreateKey(record.id);
  const candidates: (MailboxItem | null)[] = [
    stamped,
    attempted.has(createKey) ? await mailbox.findByIdempotencyKey(mapping.type, createKey) : null,
  ];
  const key = context.linkIndex === null ? null : matchKey(mapping.type, record.fields, "crm");
  if (key !== null) {
    // Claimed before any wait, so an entry processed beside this one cannot link the same item.
    const indexKey = linkIndexKey(mapping.type, key);
    candidates.push(context.linkIndex?.byMatchKey.get(indexKey) ?? null);
    context.linkIndex?.byMatchKey.delete(indexKey);
  }
  for (const candidate of candidates) {
    if (candidate === null) continue;
    const owner = await cache.findByItemId(candidate.itemId);
    if (owner === undefined || owner.mapId === mapping.mapId) return candidate;
  }
  return null;
}

/**
 * A CRM record without an item: link to an existing item before creating one (SPEC §12); a create is planned,
 * for the pass to make with the batch's others.
 */
async function linkOrCreateInOutlook(
  context: CycleContext,
  mapping: Mapping,
  record: CrmRecord,
  attempted: ReadonlySet<string>,
): Promise<Partial<AppliedBatch> | PlannedCreate> {
  const seriesId = readValue(record.fields, SERIES_KEY);
  if (typeof seriesId === "string") return linkException(context, mapping, record, seriesId);
  const existing = await findExistingItem(context, record, mapping, attempted);
  if (existing !== null) {
    const linked: Mapping = {
      ...mapping,
      itemId: existing.itemId,
      linked: true,
      snapshot: { outlook: null, crm: null },
    };
    return mergePair(context, linked, record, existing);
  }
  const key = outlookCreateKey(record.id);
  const fields = toOutlook(
    mapping.type,
    record.fields,
    mappingOptions(context, record.related?.parentAccountName),
    context.maps,
  );
  return {
    pending: {
      idempotencyKey: key,
      mapId: mapping.mapId,
      side: "outlook",
      type: mapping.type,
      createdAt: context.deps.clock.now(),
    },
    // No earlier attempt can have made the item: none was recorded, or findExistingItem just looked its key up.
    input: {
      type: mapping.type,
      fields,
      idempotencyKey: key,
      categories: [TRACKED_CATEGORY],
      link: { crmId: record.id, state: "tracked" },
      firstAttempt: true,
    },
    done: (item) =>
      appliedBatch({ mappings: [linkedTo(context, mapping, item, record)], pendingCreatesDone: [key] }),
  };
}

/** Merges a linked pair (SPEC §6): Outlook writes first, then the guarded CRM update, then the new snapshots. */
async function mergePair(
  context: CycleContext,
  mapping: Mapping,
  initialRecord: CrmRecord,
  initialItem: MailboxItem,
): Promise<Partial<AppliedBatch>> {
  const { mailbox, crm, clock } = context.deps;
  let record = initialRecord;
  let item = initialItem;
  const conflicts: ConflictRecord[] = [];
  const crmSnapshot = mapping.snapshot.crm === null ? null : withoutOwner(mapping.snapshot.crm);
  for (let round = 0; round < UPDATE_ROUNDS; round += 1) {
    // Each round compares with the same snapshots; the Outlook side keeps the user's modification time, not
    // the time of a write this merge made in an earlier round.
    const result = merge({
      type: mapping.type,
      outlook: {
        current: item.fields,
        snapshot: mapping.snapshot.outlook,
        modifiedAt: initialItem.modifiedAt,
      },
      crm: { current: record.fields, snapshot: crmSnapshot, modifiedAt: record.modifiedAt },
      options: mappingOptions(context, record.related?.parentAccountName),
      maps: context.maps,
      outlookReceives: receivesCrmChanges(context, mapping),
    });
    const now = clock.now();
    conflicts.push(
      ...result.conflicts.map((c) => ({
        at: now,
        mapId: mapping.mapId,
        type: mapping.type,
        field: c.field,
        kept: c.kept,
        overwritten: c.overwritten,
        winner: c.winner,
      })),
    );
    const stampOk = item.link?.state === "tracked" && item.link.crmId === record.id;
    const categories = withCategories(item.categories, [TRACKED_CATEGORY], [ERROR_CATEGORY]);
    const categoriesOk =
      categories.length === item.categories.length && categories.every((c, i) => c === item.categories[i]);
    if (Object.keys(result.outlookWrites).length > 0 || !stampOk || !categoriesOk) {
      await followSeriesEdit(context, item, result.outlookWrites);
      item = await mailbox.updateItem(item, {
        fields: result.outlookWrites,
        ...(stampOk ? {} : { link: { crmId: record.id, state: "tracked" as const } }),
        ...(categoriesOk ? {} : { categories }),
      });
    }
    if (Object.keys(result.crmWrites).length > 0) {
      const outcome = await crm.updateRecord({
        id: record.id,
        expectedVersion: record.version,
        fields: result.crmWrites,
      });
      if (outcome.status === "conflict") {
        record = outcome.current;
        continue;
      }
      record = outcome.record;
    }
    // A held CRM change keeps the version it was seen at, so listing the type again brings it (SPEC §9).
    const linked: Mapping = {
      ...mapping,
      linked: true,
      crmVersion: result.heldCrmKeys.length > 0 ? mapping.crmVersion : record.version,
      verifiedTime: clock.now(),
      snapshot: { outlook: result.snapshot.outlook, crm: withOwner(result.snapshot.crm, record.owner) },
    };
    return { mappings: [linked], conflicts };
  }
  throw new SyncError("conflict", { details: `The record ${record.id} kept changing during the merge.` });
}

function withoutOwner(crm: Fields): Fields {
  const { [OWNER_KEY]: _owner, ...rest } = crm;
  return rest;
}

/**
 * Records a failed attempt with its backoff; the fifth failure puts the error category on the item (SPEC §5).
 * A write the CRM refused for this user (forbidden) is shown at once and waits for the user's Retry.
 */
async function failEntry(
  context: CycleContext,
  entry: ChangeLogEntry,
  mapping: Mapping,
  error: unknown,
): Promise<void> {
  const { cache, clock, logger, mailbox } = context.deps;
  const code = error instanceof SyncError ? error.code : "serverError";
  const message = error instanceof Error ? error.message : String(error);
  const attempts = entry.attempts + 1;
  const jitter = (context.deps.random ?? Math.random)();
  const permanent = isPermanentFailure(code);
  const updated = await cache.markFailed(
    entry.mapId,
    entry.revision,
    { code, message },
    permanent ? NO_AUTOMATIC_RETRY : clock.now() + nextRetryDelay(attempts, jitter),
  );
  logger.warn("sync entry failed", { mapId: entry.mapId, code, message, attempts });
  if (updated === undefined || mapping.itemId === null) return;
  if (!permanent && !isUserVisibleFailure(updated.attempts)) return;
  logger.error("sync entry failed repeatedly", {
    mapId: entry.mapId,
    code,
    message,
    attempts: updated.attempts,
  });
  try {
    const items = await mailbox.getItems([{ itemId: mapping.itemId, type: mapping.type }]);
    const item = items.get(mapping.itemId);
    if (item && !item.categories.includes(ERROR_CATEGORY)) {
      await mailbox.updateItem(item, {
        categories: withCategories(item.categories, [ERROR_CATEGORY]),
      });
    }
  } catch (categoryError) {
    logger.warn("could not mark the item with the error category", {
      mapId: entry.mapId,
      error: String(categoryError),
    });
  }
}
