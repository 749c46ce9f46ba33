import type { CustomizationPackage } from "../core/customization-package";
import type { PackageProblemCause, UnsavedReason } from "../core/package-rules";
import type { EntityType, FieldValue, Fields, Side } from "../core/types";
import type { SyncSettings } from "./settings";
import type { MailboxItemRef } from "./mailbox-store";

/**
 * The add-in's local state: the seed's "Outlook Sync Client Cache" (SPEC §1, §3–§5, §13).
 * Real adapter: IdbLocalCache (IndexedDB through idb); twin: MemLocalCache for browsers that refuse storage;
 * PgLocalCache (PostgreSQL or PGlite, one cache per mailbox) for the headless engine on the server.
 * All three pass one contract suite (test/cache). Guarantees common to every method:
 * - Every write method is one readwrite transaction: it happens whole or not at all. A failure leaves
 *   nothing of itself behind, and a checkpoint is never ahead of its data.
 * - Inputs are validated before anything is written: bad input rejects with SyncError("invalidInput")
 *   whose details name the field, and nothing is stored.
 * - A write that hits the browser's storage quota rejects with SyncError("quotaExceeded"), nothing written.
 * - After another tab upgrades the database or the browser closes it, every call rejects with
 *   SyncError("storageClosed") (see {@link StorageInfo.closed}); after `close()`, calls are a BugError.
 * - Values returned are copies: changing them changes nothing stored.
 *
 * Change-log coalescing (one entry per mapping; the rules live in src/adapters/cache-rules/change-log-coalescing.ts):
 * - Outlook part: `upsert` never replaces another kind; `track` replaces upsert and the untrack kinds
 *   (re-tracking); `delete` replaces upsert and track; `untrack` and `untrackAndDelete` replace every kind,
 *   delete included. The timestamp is the latest seen.
 * - CRM part: the highest version wins; at an equal version `delete`/`leftFilter` dominate `upsert`;
 *   a `delete` is final. A CRM change already contained in the entry (or in the mapping's `crmVersion`)
 *   writes nothing, so storing the same page twice is harmless.
 * - Every write to an entry takes a new `revision` from one counter for the whole cache (never reused,
 *   not even after `clear()`), and new changes reset `attempts`, `lastError` and `nextAttemptAt`.
 */

/** One row of the ID mapping table. `crmId` and `itemId` are each unique across mappings; one of them is set. */
export interface Mapping {
  readonly mapId: string;
  readonly crmId: string | null;
  readonly itemId: string | null;
  readonly type: EntityType;
  readonly deletedLocally: boolean;
  readonly linked: boolean;
  readonly visited: boolean;
  /**
   * When the mapping was made, or reconciliation last read its item one by one (ms); 0 for a mapping made from
   * a notice, before it links. Items that a folder's id listing shows are verified by the listing's checkpoint
   * (`listing:<folderId>`), not here (SPEC §3.3).
   */
  readonly verifiedTime: number;
  /** The CRM record version the snapshot was taken at (sent as the expected version on update). */
  readonly crmVersion: number | null;
  /** The user tracked this item by hand (SPEC §4 filter, §8 deletion). */
  readonly trackedByHand: boolean;
  /** Last synchronized values, per side in that side's own keys; null before the first sync. */
  readonly snapshot: { readonly outlook: Fields | null; readonly crm: Fields | null };
}

export type OutlookChangeKind = "upsert" | "delete" | "track" | "untrack" | "untrackAndDelete";
export type CrmChangeKind = "upsert" | "delete" | "leftFilter";

/** One observed Outlook change, as `recordOutlookChange` takes it. */
export interface OutlookChangeNotice {
  readonly itemId: string;
  readonly kind: OutlookChangeKind;
  /** When the item changed (ms, server-assigned where the host gives it). */
  readonly at: number;
  /** How to create the mapping when none exists for the item yet. */
  readonly create?: { readonly mapId: string; readonly type: EntityType; readonly trackedByHand: boolean };
}

/** The pending change-log entry of one mapping (the seed's OutlookSyncTable row), coalesced. */
export interface ChangeLogEntry {
  readonly mapId: string;
  /** Increases on every write to the entry; removals are conditional on it, so a newer notice is never lost. */
  readonly revision: number;
  readonly outlookTimestamp: number | null;
  readonly outlookChange: OutlookChangeKind | null;
  readonly crmTimestamp: number | null;
  readonly crmChange: CrmChangeKind | null;
  /** The CRM version that announced `crmChange`. */
  readonly crmVersion: number | null;
  readonly attempts: number;
  readonly lastError: { readonly code: string; readonly message: string } | null;
  /** The entry is not processed before this time (ms); 0 means now. */
  readonly nextAttemptAt: number;
}

/** A position in one stream: per CRM entity (server version) or per Outlook folder (scan state). */
export interface Checkpoint {
  /**
   * Any non-empty key, for example "crm", "crm:<entity>" for the server cursor, "folder:<folderId>" for a
   * folder scan, or "listing:<folderId>" for when the folder's last complete id listing started (watermark).
   */
  readonly key: string;
  readonly serverVersion: number | null;
  readonly watermark: number | null;
  readonly deltaLink: string | null;
}

/** One value a merge overwrote, kept for the user to see (SPEC §6). */
export interface ConflictRecord {
  readonly at: number;
  readonly mapId: string;
  readonly type: EntityType;
  readonly field: string;
  readonly kept: FieldValue;
  readonly overwritten: FieldValue;
  readonly winner: Side;
}

/** A create in flight, keyed by its client-made idempotency key (docs/DESIGN.md "Habits"). */
export interface PendingCreate {
  readonly idempotencyKey: string;
  readonly mapId: string;
  /** Where the create is being made. */
  readonly side: Side;
  readonly type: EntityType;
  readonly createdAt: number;
}

/** What the task pane shows about sync (SPEC §5 step 5). */
export interface SyncStatus {
  readonly lastSyncAt: number | null;
  readonly nextSyncAt: number | null;
  readonly pending: number;
  readonly progress: { readonly done: number; readonly total: number; readonly phase: string } | null;
  readonly errors: readonly { readonly mapId: string; readonly code: string; readonly message: string }[];
  readonly conflicts: number;
}

/** A customization package the client holds: the content check's result and the server's entity tag for it. */
export interface HeldPackage {
  readonly etag: string;
  readonly package: CustomizationPackage;
}

/** Why an offered package is not applied: refused, waiting for the user, or waiting for local changes to push. */
export type OfferWait = "productIncompatible" | "schemaIncompatible" | "pushFailed";

/** The newest package offered that is not applied, why it is not, and whether the user confirmed it. */
export interface OfferedPackage extends HeldPackage {
  readonly reason: OfferWait;
  /** The user confirmed this (schema-incompatible) package; it applies at the next sync. */
  readonly confirmed: boolean;
}

/** A local change a customization package could not save: which item, which field (null: all of it), and why. */
export interface NotSavedChange {
  readonly mapId: string;
  readonly itemId: string | null;
  readonly crmId: string | null;
  /** The item as the user knows it: its subject or name. */
  readonly label: string;
  readonly type: EntityType;
  readonly field: string | null;
  readonly reason: UnsavedReason;
  readonly message: string;
}

/** A package problem as the user is told it (SPEC §11, §13): its cause, code, message and what to do. */
export interface PackageProblem {
  readonly cause: PackageProblemCause;
  readonly code: string;
  readonly message: string;
  readonly action: string;
  /** When it was first seen (ms); a problem that repeats keeps its first time. */
  readonly at: number;
}

/**
 * The client's customization package state (SPEC §11, §12), one row written whole. An apply changes it in the
 * same transaction as the mappings it tears down, so a package is never half applied; the work left on the
 * Outlook side (`unstamp`) and the initial synchronizations it needs (`build`) are resumed from it.
 */
export interface PackageState {
  /** The package in force; null while the default package (SPEC §2, §4) is. */
  readonly applied: HeldPackage | null;
  /**
   * The newest package offered that is not applied: refused (product incompatible), waiting for the user's
   * confirmation (schema incompatible), or waiting for local changes to reach the CRM (schema compatible).
   */
  readonly offered: OfferedPackage | null;
  /** The preferred add-in version to report, when SPEC §11 says to report it. */
  readonly preferredProduct: string | null;
  /** The last package problem, until it is resolved. */
  readonly problem: PackageProblem | null;
  /** The local changes the offered (waiting) package could not save, as last computed. */
  readonly unsaved: readonly NotSavedChange[];
  /** Local changes a confirmed package could not save; listed until the user dismisses them. */
  readonly notSaved: readonly NotSavedChange[];
  /** Mappings whose local change failed to push, which keeps a schema-compatible package from applying. */
  readonly blockedBy: readonly string[];
  /** Entity types whose initial synchronization the applied package still needs. */
  readonly build: readonly EntityType[];
  /** Items of torn-down types whose "Tracked to CRM" category and stamp are still to be retired. */
  readonly unstamp: readonly MailboxItemRef[];
}

/** The state of a client that has applied no package and has nothing pending. */
export const EMPTY_PACKAGE_STATE: PackageState = {
  applied: null,
  offered: null,
  preferredProduct: null,
  problem: null,
  unsaved: [],
  notSaved: [],
  blockedBy: [],
  build: [],
  unstamp: [],
};

/** One crm page as the server sent it, stored together with the cursor it advances to. */
export interface CrmPage {
  readonly entries: readonly {
    readonly crmId: string;
    readonly type: EntityType;
    readonly version: number;
    readonly kind: CrmChangeKind;
  }[];
  readonly checkpoint: Checkpoint;
}

/** Everything one processed batch changes, written in one transaction. */
export interface AppliedBatch {
  readonly mappings: readonly Mapping[];
  readonly deleteMappings: readonly string[];
  /** Change-log entries handled; each is removed only if its revision still matches. */
  readonly handled: readonly { readonly mapId: string; readonly revision: number }[];
  readonly checkpoints: readonly Checkpoint[];
  readonly pendingCreatesDone: readonly string[];
  readonly conflicts: readonly ConflictRecord[];
  /** Replaces the package state in the same transaction (applying a package); left as it is when absent. */
  readonly packageState?: PackageState;
}

/** An {@link AppliedBatch} that changes only what `part` names; every other list is empty. */
export function appliedBatch(part: Partial<AppliedBatch>): AppliedBatch {
  return {
    mappings: [],
    deleteMappings: [],
    handled: [],
    checkpoints: [],
    pendingCreatesDone: [],
    conflicts: [],
    ...part,
  };
}

/** How the cache stores its data; surfaced in the task pane (SPEC §13, DESIGN). */
export interface StorageInfo {
  /** "memory" means the state will not survive a reload; "postgres" is the headless engine's server storage. */
  readonly kind: "indexeddb" | "memory" | "postgres";
  /** The answer to navigator.storage.persist(), or null when unknown; always false for "memory". */
  readonly persistent: boolean | null;
  /**
   * Set once the storage was closed under the add-in: "versionChange" when another tab opened a newer
   * version (this tab closed so that tab could upgrade), "terminated" when the browser closed it.
   * From then on every call rejects with SyncError("storageClosed"); the user should reload the tab.
   */
  readonly closed?: "versionChange" | "terminated";
}

/**
 * The most ids `getMappings`, or creates `putPendingCreates`, take in one call, so each call's transaction is
 * bounded; the engine's batch (ENTRY_BATCH entries) stays below it.
 */
export const BULK_LIMIT = 1_000;

export interface LocalCache {
  /** Where the data lives and whether it survives; cheap and synchronous. */
  storageInfo(): StorageInfo;

  getMapping(mapId: string): Promise<Mapping | undefined>;
  /**
   * The mappings of `mapIds`, read in one transaction, keyed by mapId: an unknown id is absent from the map and
   * an id named twice is there once. More than {@link BULK_LIMIT} ids reject with SyncError("invalidInput").
   */
  getMappings(mapIds: readonly string[]): Promise<ReadonlyMap<string, Mapping>>;
  findByCrmId(crmId: string): Promise<Mapping | undefined>;
  findByItemId(itemId: string): Promise<Mapping | undefined>;
  /** All mappings (of one type when given), ordered by mapId. */
  listMappings(type?: EntityType): Promise<readonly Mapping[]>;
  countMappings(): Promise<number>;
  /**
   * Inserts or replaces mappings in one transaction (last writer wins per mapId). A crmId or itemId that
   * already belongs to another mapping rejects with SyncError("invalidInput") naming both; nothing is written.
   */
  putMappings(mappings: readonly Mapping[]): Promise<void>;

  /**
   * Records an observed Outlook change before anything else happens (SPEC §3.1): finds the mapping by
   * item id (creating one when `create` is given), and coalesces into its pending entry.
   * A created mapping has crmId null, linked false, verifiedTime 0 and no snapshots; `create` is ignored
   * when a mapping for the item exists. Without a mapping and without `create` it rejects with
   * SyncError("invalidInput"). Always writes: every notice gets a new revision and resets the attempts.
   */
  recordOutlookChange(change: OutlookChangeNotice): Promise<ChangeLogEntry>;
  /**
   * Stores one pulled page: mappings for unseen CRM ids, coalesced entries, and the checkpoint, together,
   * in one durable ("strict") transaction, so PostSync may follow as soon as it resolves (SPEC §4).
   * - An unseen crmId announced as `upsert` gets a mapping from `newMapId()` (crmId set, itemId null,
   *   linked false); an unseen crmId announced as `delete`/`leftFilter` is skipped (nothing local to remove).
   * - Entries at or below the mapping's `crmVersion` are already applied and skipped.
   * - Rejects with SyncError("invalidInput"), writing nothing, when an entry's type differs from its
   *   mapping's, when an entry's version is past `checkpoint.serverVersion`, or when `newMapId()` returns
   *   an id in use. If `newMapId` throws, the page is not stored at all and the error is rethrown.
   * The timestamp of the CRM part is the cache clock's time of storing.
   */
  storeCrmPage(page: CrmPage, newMapId: () => string): Promise<void>;
  /**
   * Entries with `nextAttemptAt <= now`, at most `limit`, ordered by nextAttemptAt, then by revision
   * (least recently written first).
   */
  dueEntries(now: number, limit: number): Promise<readonly ChangeLogEntry[]>;
  getEntry(mapId: string): Promise<ChangeLogEntry | undefined>;
  countEntries(): Promise<number>;
  /**
   * Applies a processed batch in one transaction, in this order: `deleteMappings`, then `mappings` (put),
   * checkpoints, pending creates removed, conflicts appended, handled entries settled, the package state replaced.
   * A handled entry is removed when its revision still matches. Otherwise it received newer changes and
   * is kept; only its CRM part is dropped when the batch's mapping for it has `crmVersion` at or above the
   * part's version (already applied). An entry can outlive its mapping when a notice arrives after the
   * batch was read: the engine then finds no mapping and hands the entry back as handled.
   */
  applyBatch(batch: AppliedBatch): Promise<void>;
  /**
   * Counts a failed attempt, stores the error and schedules the retry at `nextAttemptAt` (the caller's
   * backoff); removes nothing. Returns undefined for an unknown mapId. When `revision` is stale the entry
   * received new changes since it was read: it is returned unchanged and the failure is not counted.
   */
  markFailed(
    mapId: string,
    revision: number,
    error: { readonly code: string; readonly message: string },
    nextAttemptAt: number,
  ): Promise<ChangeLogEntry | undefined>;
  /** Entries that failed at least `minAttempts` times (shown as sync errors), ordered by attempts, then mapId. */
  failedEntries(minAttempts: number): Promise<readonly ChangeLogEntry[]>;
  /** Sets verifiedTime to `now` on the named mappings in one transaction; unknown ids are ignored. */
  markVerified(mapIds: readonly string[], now: number): Promise<void>;

  /** The checkpoint last written by `storeCrmPage` or `applyBatch` under this key. */
  getCheckpoint(key: string): Promise<Checkpoint | undefined>;
  /** Inserts or replaces the pending create under its idempotency key. */
  putPendingCreate(create: PendingCreate): Promise<void>;
  /**
   * Inserts or replaces pending creates in one transaction, in order (a key named twice keeps the last).
   * One invalid create, or more than {@link BULK_LIMIT} of them, rejects with SyncError("invalidInput")
   * and writes none.
   */
  putPendingCreates(creates: readonly PendingCreate[]): Promise<void>;
  getPendingCreate(idempotencyKey: string): Promise<PendingCreate | undefined>;
  /** All pending creates, ordered by idempotency key. */
  listPendingCreates(): Promise<readonly PendingCreate[]>;

  /** Appends to the conflict history, which keeps the newest records up to a limit (1,000 by default). */
  appendConflicts(conflicts: readonly ConflictRecord[]): Promise<void>;
  /** The newest `limit` conflicts, newest first. */
  listConflicts(limit: number): Promise<readonly ConflictRecord[]>;

  getSettings(): Promise<SyncSettings | undefined>;
  putSettings(settings: SyncSettings): Promise<void>;
  getStatus(): Promise<SyncStatus | undefined>;
  /** The customization package state; undefined before anything was stored (as {@link EMPTY_PACKAGE_STATE}). */
  getPackageState(): Promise<PackageState | undefined>;
  putStatus(status: SyncStatus): Promise<void>;

  /**
   * Appends one line (a newline is added) to the newest log segment. When the line would take that
   * segment past the size limit (64 KiB of UTF-8 by default), it starts the next segment `log.NNNN.txt`
   * instead, and only the newest segments are kept (8 by default). A line is never split.
   */
  appendLog(line: string): Promise<void>;
  /** All kept segments, oldest first, as one text. */
  exportLog(): Promise<string>;
  /** The kept segments, oldest first, with their size in UTF-8 bytes. */
  listLogSegments(): Promise<readonly { readonly name: string; readonly bytes: number }[]>;

  /**
   * Drops the sync state: mappings, change log, checkpoints, pending creates, conflicts, settings mirror,
   * status and package state (used when the login options change, before initial sync). The log segments stay: they are
   * the diagnostics of what happened before. Revisions keep increasing across a clear.
   */
  clear(): Promise<void>;
  /** Closes the storage; calls made afterwards are a BugError. Idempotent. */
  close(): void;
}
