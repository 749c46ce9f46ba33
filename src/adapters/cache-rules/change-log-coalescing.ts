/**
 * The change log's coalescing rules as pure functions, shared by both LocalCache adapters so that both
 * coalesce identically. One entry per mapping holds at most one Outlook part and one CRM part.
 *
 * Outlook part (a later notice against the part already there):
 * - `upsert` never replaces another kind: every other kind implies re-reading the item anyway.
 * - `track` replaces `upsert` and the untrack kinds (the user tracked again), but not `delete`:
 *   a deleted item cannot be tracked.
 * - `delete` replaces `upsert` and `track`, but not the untrack kinds: an item the user unlinked stays
 *   unlinked, and deleting an unlinked item has no effect on the CRM.
 * - `untrack` and `untrackAndDelete` replace every kind: they are the user's explicit last word.
 * - The timestamp is the latest seen, whichever notice carries it.
 *
 * CRM part (a later page entry against the part already there):
 * - A `delete` is final: the record is gone, nothing announced after it matters.
 * - Otherwise the highest version wins (a record that left the filter and came back is an upsert again).
 * - At an equal version `delete` and `leftFilter` dominate `upsert`.
 * - A change already contained in the part is no change at all: nothing is written (pages replay safely).
 *
 * Any change that alters an entry takes the caller's new `revision` and resets `attempts`, `lastError` and
 * `nextAttemptAt`: new changes deserve a fresh try.
 */
import type { ChangeLogEntry, CrmChangeKind, OutlookChangeKind } from "../../ports/local-cache";

/** The Outlook kind that stands after `next` arrives on top of `previous`. */
export function coalesceOutlookKind(
  previous: OutlookChangeKind | null,
  next: OutlookChangeKind,
): OutlookChangeKind {
  if (previous === null) return next;
  switch (next) {
    case "upsert":
      return previous;
    case "track":
      return previous === "delete" ? previous : next;
    case "delete":
      return previous === "untrack" || previous === "untrackAndDelete" ? previous : next;
    case "untrack":
    case "untrackAndDelete":
      return next;
  }
}

/** The CRM part that stands after `next` arrives on top of `previous`, or null when nothing changes. */
export function coalesceCrmPart(
  previous: { readonly kind: CrmChangeKind; readonly version: number } | null,
  next: { readonly kind: CrmChangeKind; readonly version: number },
): { readonly kind: CrmChangeKind; readonly version: number } | null {
  if (previous === null) return next;
  if (previous.kind === "delete") return null;
  if (next.version > previous.version) return next;
  if (next.version === previous.version && previous.kind === "upsert" && next.kind !== "upsert") return next;
  return null;
}

/** An entry with no parts yet, for a mapping that has no pending entry. */
function emptyEntry(mapId: string): ChangeLogEntry {
  return {
    mapId,
    revision: 0,
    outlookTimestamp: null,
    outlookChange: null,
    crmTimestamp: null,
    crmChange: null,
    crmVersion: null,
    attempts: 0,
    lastError: null,
    nextAttemptAt: 0,
  };
}

/** The fields every new change resets. */
function fresh(
  revision: number,
): Pick<ChangeLogEntry, "revision" | "attempts" | "lastError" | "nextAttemptAt"> {
  return { revision, attempts: 0, lastError: null, nextAttemptAt: 0 };
}

/** Folds an observed Outlook change into the mapping's entry. Always a change: a notice means "re-read". */
export function withOutlookChange(
  previous: ChangeLogEntry | undefined,
  mapId: string,
  change: { readonly kind: OutlookChangeKind; readonly at: number },
  revision: number,
): ChangeLogEntry {
  const base = previous ?? emptyEntry(mapId);
  return {
    ...base,
    ...fresh(revision),
    outlookChange: coalesceOutlookKind(base.outlookChange, change.kind),
    outlookTimestamp: Math.max(base.outlookTimestamp ?? change.at, change.at),
  };
}

/** Folds one CRM page entry into the mapping's entry, or returns undefined when it is already contained. */
export function withCrmChange(
  previous: ChangeLogEntry | undefined,
  mapId: string,
  change: { readonly kind: CrmChangeKind; readonly version: number; readonly at: number },
  revision: number,
): ChangeLogEntry | undefined {
  const base = previous ?? emptyEntry(mapId);
  const current =
    base.crmChange === null || base.crmVersion === null
      ? null
      : { kind: base.crmChange, version: base.crmVersion };
  const part = coalesceCrmPart(current, change);
  if (part === null) return undefined;
  return {
    ...base,
    ...fresh(revision),
    crmChange: part.kind,
    crmVersion: part.version,
    crmTimestamp: Math.max(base.crmTimestamp ?? change.at, change.at),
  };
}

/**
 * What remains of a handled entry whose revision no longer matches: the CRM part is dropped when the
 * mapping now holds `appliedCrmVersion` at or above it. Returns the entry unchanged (same object) when
 * nothing is dropped, and null when nothing remains.
 */
export function afterStaleHandling(
  entry: ChangeLogEntry,
  appliedCrmVersion: number | null,
  revision: number,
): ChangeLogEntry | null {
  const crmApplied =
    entry.crmVersion !== null && appliedCrmVersion !== null && appliedCrmVersion >= entry.crmVersion;
  if (!crmApplied) return entry;
  if (entry.outlookChange === null) return null;
  return { ...entry, revision, crmChange: null, crmVersion: null, crmTimestamp: null };
}

/** The entry after a failed attempt: one more attempt, the error, and the retry time. */
export function withFailure(
  entry: ChangeLogEntry,
  error: { readonly code: string; readonly message: string },
  nextAttemptAt: number,
  revision: number,
): ChangeLogEntry {
  return {
    ...entry,
    revision,
    attempts: entry.attempts + 1,
    lastError: { code: error.code, message: error.message },
    nextAttemptAt,
  };
}
