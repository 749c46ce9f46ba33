/**
 * Reconciliation selection (SPEC §3): after each sync, verify the K mapped items with the oldest verifiedTime,
 * with K chosen so every mapping is verified at least once a day at the sync interval.
 */
import { SyncError } from "./errors";

/** Minutes in a day: the period within which every mapping is verified. */
export const MINUTES_PER_DAY = 24 * 60;

/** The interval used for K when sync is manual only (interval 0): the default automatic interval (SPEC §9). */
export const MANUAL_SYNC_SLICE_INTERVAL_MINUTES = 15;

function requireCount(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new SyncError("invalidInput", {
      details: `${name} must be a whole number ≥ 0, found ${String(value)}.`,
    });
  }
}

/**
 * K, the number of mappings to verify after each sync: `ceil(mappedCount / syncsPerDay)` where
 * `syncsPerDay = max(1, floor(1440 / intervalMinutes))`, so that every mapping is verified at least once a day
 * when syncs run at the interval. At least 1 while anything is mapped; 0 when nothing is.
 * Interval 0 (manual only) uses {@link MANUAL_SYNC_SLICE_INTERVAL_MINUTES}: a manual sync verifies what an
 * automatic one would, keeping its cost bounded; daily coverage then holds only if the user syncs that often.
 * Throws `SyncError("invalidInput")` for a negative or fractional count or a negative or non-finite interval.
 */
export function reconciliationSliceSize(mappedCount: number, intervalMinutes: number): number {
  requireCount("mappedCount", mappedCount);
  if (!Number.isFinite(intervalMinutes) || intervalMinutes < 0) {
    throw new SyncError("invalidInput", {
      details: `intervalMinutes must be a number ≥ 0, found ${String(intervalMinutes)}.`,
    });
  }
  const interval = intervalMinutes === 0 ? MANUAL_SYNC_SLICE_INTERVAL_MINUTES : intervalMinutes;
  const syncsPerDay = Math.max(1, Math.floor(MINUTES_PER_DAY / interval));
  return Math.ceil(mappedCount / syncsPerDay);
}

/**
 * The `k` mappings with the oldest verifiedTime, oldest first; mappings with equal times keep their input order.
 * Does not modify `mappings`. Throws `SyncError("invalidInput")` when k is not a whole number ≥ 0.
 */
export function selectForReconciliation<T extends { verifiedTime: number }>(
  mappings: readonly T[],
  k: number,
): T[] {
  requireCount("k", k);
  return mappings
    .map((mapping, index) => ({ mapping, index }))
    .sort((a, b) => a.mapping.verifiedTime - b.mapping.verifiedTime || a.index - b.index)
    .slice(0, k)
    .map(({ mapping }) => mapping);
}
