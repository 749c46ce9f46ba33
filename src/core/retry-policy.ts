/**
 * Retry policy for failed change-log entries (SPEC §5): exponential backoff with a cap and jitter, the
 * attempt count after which a failure is shown to the user, and the failures no retry can cure. Failed
 * entries are never dropped.
 */
import { SyncError } from "./errors";

/** After this many failed attempts an entry is a user-visible sync error (it is still retried). */
export const MAX_ATTEMPTS = 5;
/** The delay before the first retry, before jitter. */
export const RETRY_BASE_DELAY_MS = 30_000;
/** The longest delay between retries, before jitter: two default sync intervals. */
export const RETRY_MAX_DELAY_MS = 30 * 60_000;

/**
 * The delay before the next retry after `attempts` failed attempts (≥ 1): `min(cap, base · 2^(attempts−1))`,
 * scaled by `0.5 + jitter01 / 2` so clients that failed together spread out. The jitter is passed in to keep this
 * pure. Result in whole milliseconds, between half the uncapped step and the cap.
 * Throws `SyncError("invalidInput")` when attempts is not a whole number ≥ 1 or jitter01 is outside [0, 1].
 */
export function nextRetryDelay(attempts: number, jitter01: number): number {
  if (!Number.isInteger(attempts) || attempts < 1) {
    throw new SyncError("invalidInput", {
      details: `attempts must be a whole number ≥ 1, found ${String(attempts)}.`,
    });
  }
  if (!(jitter01 >= 0 && jitter01 <= 1)) {
    throw new SyncError("invalidInput", {
      details: `jitter01 must be within [0, 1], found ${String(jitter01)}.`,
    });
  }
  const step = Math.min(RETRY_MAX_DELAY_MS, RETRY_BASE_DELAY_MS * 2 ** Math.min(attempts - 1, 30));
  return Math.round(step * (0.5 + jitter01 / 2));
}

/** True once an entry has failed {@link MAX_ATTEMPTS} times or more: it is shown in the task pane and on the item. */
export function isUserVisibleFailure(attempts: number): boolean {
  return attempts >= MAX_ATTEMPTS;
}

/**
 * True for a failure that retrying cannot cure: the CRM refused the write for this user (`forbidden`, HTTP 403,
 * e.g. deleting a contact someone else owns). It is shown to the user at once and not retried automatically;
 * the user's Retry or a new change to the item tries again.
 */
export function isPermanentFailure(code: string): boolean {
  return code === "forbidden";
}

/**
 * The longest Retry-After a request waits out in place (SPEC §5). A longer one is handed back to the engine as a
 * SyncError with `retryAt`: the pass stops and the next cycle runs at that time.
 */
export const LONGEST_WAIT_IN_PLACE_MS = 5_000;

/**
 * The time to call again after a throttled answer with this Retry-After header (seconds) received at `now`,
 * when it is too long to wait in place; undefined when the header is absent, malformed or short enough to wait.
 */
export function handedBackRetryAt(retryAfter: string | null, now: number): number | undefined {
  const seconds = retryAfter === null ? Number.NaN : Number(retryAfter);
  if (!Number.isFinite(seconds) || seconds * 1000 <= LONGEST_WAIT_IN_PLACE_MS) return undefined;
  return now + seconds * 1000;
}

/** The retry time of a permanent failure: never by itself. */
export const NO_AUTOMATIC_RETRY = Number.MAX_SAFE_INTEGER;
