import type { EntityType, FieldValue, Fields, Side } from "../core/types";
import type { SyncSettings } from "./settings";

/**
 * The add-in's local state: the seed's "Outlook Sync Client Cache" (SPEC §1, §3–§5, §13).
 * Real adapter: IdbLocalCache (IndexedDB through idb); twin: MemLocalCache for browsers that refuse storage.
 * Both pass one contract suite. Every operation that the SPEC requires to be atomic runs as one
 * readwrite transaction: it either happens whole or not at all, and a checkpoint is never ahead of its data.
 */

/** One row of the ID mapping table. */
export interface Mapping {
  readonly mapId: string;
  readonly crmId: string | null;
  readonly itemId: string | null;
  readonly type: EntityType;
  readonly deletedLocally: boolean;
  readonly linked: boolean;
  readonly visited: boolean;
  /** Last time reconciliation saw the item exist (ms); 0 when never verified. */
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
  /** "crm" for the server cursor, or "folder:<folderId>". */
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

/** A create in flight, keyed by its client-made idempotency key (DESIGN "Idempotency"). */
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
}

/** How the cache stores its data; surfaced in the task pane (SPEC §13, DESIGN). */
export interface StorageInfo {
  readonly kind: "indexeddb" | "memory";
  /** The answer to navigator.storage.persist(), or null when unknown. */
  readonly persistent: boolean | null;
}

export interface LocalCache {
  storageInfo(): StorageInfo;

  getMapping(mapId: string): Promise<Mapping | undefined>;
  findByCrmId(crmId: string): Promise<Mapping | undefined>;
  findByItemId(itemId: string): Promise<Mapping | undefined>;
  listMappings(type?: EntityType): Promise<readonly Mapping[]>;
  countMappings(): Promise<number>;
  /** Inserts or replaces mappings in one transaction. */
  putMappings(mappings: readonly Mapping[]): Promise<void>;

  /**
   * Records an observed Outlook change before anything else happens (SPEC §3.1): finds the mapping by
   * item id (creating one when `create` is given), and coalesces into its pending entry.
   */
  recordOutlookChange(change: {
    readonly itemId: string;
    readonly kind: OutlookChangeKind;
    readonly at: number;
    readonly create?: { readonly mapId: string; readonly type: EntityType; readonly trackedByHand: boolean };
  }): Promise<ChangeLogEntry>;
  /** Stores one pulled page: mappings for unseen CRM ids, coalesced entries, and the checkpoint, together. */
  storeCrmPage(page: CrmPage, newMapId: () => string): Promise<void>;
  /** Entries due at `now`, oldest first, at most `limit`. */
  dueEntries(now: number, limit: number): Promise<readonly ChangeLogEntry[]>;
  getEntry(mapId: string): Promise<ChangeLogEntry | undefined>;
  countEntries(): Promise<number>;
  /** Applies a processed batch in one transaction. */
  applyBatch(batch: AppliedBatch): Promise<void>;
  /** Counts a failed attempt and schedules the retry; removes nothing. */
  markFailed(
    mapId: string,
    revision: number,
    error: { readonly code: string; readonly message: string },
    nextAttemptAt: number,
  ): Promise<ChangeLogEntry | undefined>;
  /** Entries that failed at least `minAttempts` times (shown as sync errors). */
  failedEntries(minAttempts: number): Promise<readonly ChangeLogEntry[]>;
  /** The `k` mappings with the oldest verifiedTime. */
  reconciliationSlice(k: number): Promise<readonly Mapping[]>;
  markVerified(mapIds: readonly string[], now: number): Promise<void>;

  getCheckpoint(key: string): Promise<Checkpoint | undefined>;
  putPendingCreate(create: PendingCreate): Promise<void>;
  getPendingCreate(idempotencyKey: string): Promise<PendingCreate | undefined>;
  listPendingCreates(): Promise<readonly PendingCreate[]>;

  appendConflicts(conflicts: readonly ConflictRecord[]): Promise<void>;
  listConflicts(limit: number): Promise<readonly ConflictRecord[]>;

  getSettings(): Promise<SyncSettings | undefined>;
  putSettings(settings: SyncSettings): Promise<void>;
  getStatus(): Promise<SyncStatus | undefined>;
  putStatus(status: SyncStatus): Promise<void>;

  /** Appends one line to the current log segment, rotating to `log.NNNN.txt` segments at the size limit. */
  appendLog(line: string): Promise<void>;
  /** All kept segments, oldest first, as one text. */
  exportLog(): Promise<string>;
  listLogSegments(): Promise<readonly { readonly name: string; readonly bytes: number }[]>;

  /** Drops everything (used when the login options change, before initial sync). */
  clear(): Promise<void>;
  close(): void;
}
