/**
 * Reconciliation (SPEC §3.3): each synced folder is listed whole by id (an id-only listing) once within a
 * day, and the mapped items that a complete listing does not show are the candidates for a delete, which are
 * then confirmed item by item. These rules say when a folder is due and which mappings are candidates.
 */
import { SyncError } from "./errors";

/** Minutes in a day: the period within which every mapped item is verified. */
export const MINUTES_PER_DAY = 24 * 60;

/** The interval used when sync is manual only (interval 0): the default automatic interval (SPEC §9). */
export const MANUAL_SYNC_SLICE_INTERVAL_MINUTES = 15;

/** When a folder's last complete listing started (ms), or null when it was never listed. */
export interface FolderListingTime {
  readonly folderId: string;
  readonly listedAt: number | null;
}

function requireTime(name: string, value: number): void {
  if (!Number.isFinite(value)) {
    throw new SyncError("invalidInput", {
      details: `${name} must be a finite time in ms, found ${String(value)}.`,
    });
  }
}

/**
 * The folders to list now, in the order given: those never listed, and those whose last complete listing
 * started at least `1440 − 2 × intervalMinutes` minutes ago (never less than 0). Syncs at the interval then
 * list each folder again before a day has passed since its last listing, with one interval to spare.
 * Interval 0 (manual only) uses {@link MANUAL_SYNC_SLICE_INTERVAL_MINUTES}; daily coverage then holds only if
 * the user syncs that often. Throws `SyncError("invalidInput")` naming a non-finite time or a negative or
 * non-finite interval.
 */
export function listingsDue(
  folders: readonly FolderListingTime[],
  now: number,
  intervalMinutes: number,
): string[] {
  requireTime("now", now);
  if (!Number.isFinite(intervalMinutes) || intervalMinutes < 0) {
    throw new SyncError("invalidInput", {
      details: `intervalMinutes must be a number ≥ 0, found ${String(intervalMinutes)}.`,
    });
  }
  const interval = intervalMinutes === 0 ? MANUAL_SYNC_SLICE_INTERVAL_MINUTES : intervalMinutes;
  const ageMs = Math.max(0, MINUTES_PER_DAY - 2 * interval) * 60_000;
  return folders
    .filter(({ folderId, listedAt }) => {
      if (listedAt === null) return true;
      requireTime(`listedAt of folder ${folderId}`, listedAt);
      return now - listedAt >= ageMs;
    })
    .map(({ folderId }) => folderId);
}

/**
 * The mappings a complete listing that started at `startedAt` should have shown and did not: those naming an
 * item (`itemId` set) that is not among `listed`, and known before the listing started (`verifiedTime` below
 * `startedAt`; a mapping made since may name an item the listing had passed). Input order is kept.
 * Throws `SyncError("invalidInput")` for a non-finite `startedAt`.
 */
export function unlistedMappings<T extends { readonly itemId: string | null; readonly verifiedTime: number }>(
  mappings: readonly T[],
  listed: ReadonlySet<string>,
  startedAt: number,
): T[] {
  requireTime("startedAt", startedAt);
  return mappings.filter(
    (mapping) => mapping.itemId !== null && !listed.has(mapping.itemId) && mapping.verifiedTime < startedAt,
  );
}
