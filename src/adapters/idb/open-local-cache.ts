import { SyncError } from "../../core/errors";
import type { Clock } from "../../ports/clock";
import type { LocalCache } from "../../ports/local-cache";
import type { Logger } from "../../ports/logger";
import type { CacheLimits } from "../cache-rules/cache-limits";
import { MemLocalCache } from "../mem/mem-local-cache";
import { IdbLocalCache } from "./idb-local-cache";

/** The part of navigator.storage the cache uses. */
export interface PersistentStorage {
  persist(): Promise<boolean>;
}

/** Options of {@link openLocalCache}. */
export interface OpenLocalCacheOptions {
  /** The database name, one per mailbox (for example "outlook-crm-sync:<mailbox>"). */
  readonly name: string;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Defaults to the page's `indexedDB`; null or missing means memory. */
  readonly indexedDB?: IDBFactory | null;
  /** Defaults to `navigator.storage`; null or missing means the answer is unknown. */
  readonly storage?: PersistentStorage | null;
  /** How long to wait for another tab that holds an older version before running on memory (ms). */
  readonly blockedTimeoutMs?: number;
  /**
   * How long to wait for the persist() answer before returning (ms, default 1000). Some browsers ask the
   * user first; a later answer still reaches storageInfo(), but no warning is returned for it.
   */
  readonly persistWaitMs?: number;
  readonly limits?: CacheLimits;
}

/** The opened cache and, when there is one, what the user should be told about it. */
export interface OpenedLocalCache {
  readonly cache: LocalCache;
  /**
   * SyncError("storageUnavailable") when the cache fell back to memory (state will not survive a reload),
   * SyncError("storageNotPersistent") when the browser declined persistent storage, otherwise null.
   */
  readonly warning: SyncError | null;
}

function pageIndexedDB(): IDBFactory | null {
  try {
    return typeof indexedDB === "undefined" ? null : indexedDB;
  } catch {
    // Some sandboxed frames throw SecurityError on merely reading `indexedDB`.
    return null;
  }
}

function pageStorage(): PersistentStorage | null {
  return typeof navigator === "undefined" ? null : (navigator.storage ?? null);
}

async function askPersistence(storage: PersistentStorage | null, logger: Logger): Promise<boolean | null> {
  if (!storage) return null;
  try {
    return await storage.persist();
  } catch (error) {
    logger.warn("navigator.storage.persist() failed", { error: String(error) });
    return null;
  }
}

/**
 * Opens the add-in's local cache: IndexedDB when the browser allows it, else memory, never a rejection
 * for storage reasons. With IndexedDB it asks for persistent storage and reports the answer in
 * `storageInfo().persistent` (null until answered, or when the browser cannot say).
 * Falls back to {@link MemLocalCache} with SyncError("storageUnavailable") when IndexedDB is missing,
 * refuses to open, fails to upgrade, or stays blocked by another tab past `blockedTimeoutMs`.
 */
export async function openLocalCache(options: OpenLocalCacheOptions): Promise<OpenedLocalCache> {
  const { logger, clock } = options;
  const factory = options.indexedDB === undefined ? pageIndexedDB() : options.indexedDB;
  const memory = (details: string, cause?: unknown): OpenedLocalCache => {
    const warning = new SyncError("storageUnavailable", { details, cause });
    logger.warn("local cache runs in memory", { reason: details });
    const cache = new MemLocalCache(options.limits ? { clock, limits: options.limits } : { clock });
    return { cache, warning };
  };
  if (!factory) return memory("This browser offers no IndexedDB.");
  const asked = askPersistence(options.storage === undefined ? pageStorage() : options.storage, logger);
  let cache: IdbLocalCache;
  try {
    cache = await IdbLocalCache.open({
      indexedDB: factory,
      name: options.name,
      logger,
      clock,
      ...(options.blockedTimeoutMs === undefined ? {} : { blockedTimeoutMs: options.blockedTimeoutMs }),
      ...(options.limits ? { limits: options.limits } : {}),
    });
  } catch (error) {
    return memory(
      error instanceof SyncError && error.details ? error.details : "IndexedDB failed to open.",
      error,
    );
  }
  void asked.then((answer) => cache.notePersistence(answer));
  const answer = await within(asked, clock, options.persistWaitMs ?? 1000);
  return { cache, warning: answer === false ? new SyncError("storageNotPersistent") : null };
}

/** The promise's value if it settles within `ms`, else undefined (the promise keeps running). */
function within<T>(promise: Promise<T>, clock: Clock, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const timer = clock.setTimeout(() => resolve(undefined), ms);
    void promise.then((value) => {
      timer.dispose();
      resolve(value);
    });
  });
}
