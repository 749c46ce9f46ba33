/**
 * The CRM side as the sync engine sees it (SPEC §4, §10, §11): the sync calls, record writes, look-up and the
 * customization package. Plain data crosses this port. The real adapter is `HttpCrmClient`
 * (src/adapters/http); failures surface as SyncError with a code from ERROR_TABLE:
 * `network`, `unauthorized`, `forbidden`, `noSyncPrivilege`, `notFound`, `invalidInput`, `rateLimited`,
 * `resyncRequired`, `packageUnavailable` or `serverError`. A version conflict is not an error: it is an outcome.
 */
import type { ClientRole, CrmRecordType, Fields, Privilege } from "../core/types";
import type { Disposable } from "./clock";

/** A CRM record. `version` guards updates; `modifiedAt` is server-assigned (ms since epoch) and feeds the merge. */
export interface CrmRecord {
  readonly id: string;
  readonly type: CrmRecordType;
  readonly owner: string;
  readonly version: number;
  readonly modifiedAt: number;
  readonly deleted: boolean;
  /** Fields in CRM keys (SPEC §2); only fields with a value. */
  readonly fields: Fields;
  /** Read-only derived values: for a contact, its parent account's name (Outlook's companyName). */
  readonly related?: { readonly parentAccountName: string | null } | undefined;
}

/** One of the caller's clients (a subscription). */
export interface ClientRegistration {
  readonly clientId: string;
  readonly role: ClientRole;
  readonly ackedVersion: number;
}

/**
 * Who synchronizes the caller's mailbox (docs/SPEC.md "A mailbox has one synchronizer"): `off`, background sync
 * is not enabled; `handOver`, it is and this client is still the primary one, so it hands the mailbox over after
 * a last clean cycle; `server`, the server syncs the mailbox and this client acts as a secondary one.
 */
export type BackgroundSyncState = "off" | "handOver" | "server";

/** The answer to a registration: the subscription, and who synchronizes the mailbox. */
export interface Registration extends ClientRegistration {
  readonly backgroundSync: BackgroundSyncState;
}

/** One finished run of the server's background sync of the caller's mailbox. */
export interface BackgroundRun {
  /** ISO 8601. */
  readonly startedAt: string;
  readonly durationMs: number;
  readonly outcome: "ok" | "failed" | "throttled";
  readonly changes: number;
  readonly errors: readonly string[];
}

/** Background sync of the caller's mailbox. */
export interface BackgroundSyncStatus {
  readonly enabled: boolean;
  readonly lastRun: BackgroundRun | null;
  /** ISO 8601; null while disabled. */
  readonly nextRunAt: string | null;
  /** A run the user asked for has not started yet. */
  readonly runPending: boolean;
}

export interface WhoAmI {
  readonly user: {
    readonly id: string;
    readonly emails: readonly string[];
    readonly displayName: string | null;
  };
  readonly privileges: readonly Privilege[];
  /** The user's security role; it picks the customization package. */
  readonly role: string;
  readonly clients: readonly ClientRegistration[];
}

/** PrepareSync: waiting changes per downloadable entity type since the acknowledged version. */
export interface SyncCounts {
  readonly ackedVersion: number;
  readonly latestVersion: number;
  readonly counts: { readonly contact: number; readonly appointment: number; readonly task: number };
  readonly total: number;
  /** Who synchronizes the mailbox, for this client. */
  readonly backgroundSync: BackgroundSyncState;
}

/** How a record changed for the caller: changed or new, deleted, or no longer in the caller's filter. */
export type SyncEntryKind = "upsert" | "delete" | "leftFilter";

export interface SyncEntry {
  readonly crmId: string;
  readonly type: CrmRecordType;
  /** Position in the change stream; strictly increasing along a page and across pages. */
  readonly version: number;
  readonly kind: SyncEntryKind;
}

/** One page of changes in version order. Store it, then acknowledge `nextAfter` with postSync. */
export interface SyncPage {
  readonly entries: readonly SyncEntry[];
  readonly nextAfter: number;
  readonly hasMore: boolean;
  readonly latestVersion: number;
}

export interface SpecificSyncData {
  readonly records: readonly CrmRecord[];
  /** Ids with no readable record: deleted, or unknown / not visible to the caller. */
  readonly missing: readonly { readonly id: string; readonly reason: "deleted" | "notFound" }[];
  /** Ids not answered because the answer reached its size limit; ask for them again. */
  readonly deferred?: readonly string[] | undefined;
}

/** The outcome of a guarded update: the new record, or the current one when the expected version was stale. */
export type UpdateOutcome =
  | { readonly status: "updated"; readonly record: CrmRecord }
  | { readonly status: "conflict"; readonly current: CrmRecord };

/** The outcome of a delete: done (with the tombstone's version), or the current record on a stale version. */
export type DeleteOutcome =
  | { readonly status: "deleted"; readonly version: number }
  | { readonly status: "conflict"; readonly current: CrmRecord };

export interface LookupHit {
  readonly id: string;
  readonly type: "account" | "contact";
  readonly name: string;
}

/**
 * The answer to the customization package check (SPEC §11, the cycle's metadata step): the role's current
 * package as its entity tag, role and version, with the zip only when it is not the package the caller holds.
 */
export type PackageCheck =
  | { readonly status: "unchanged"; readonly etag: string; readonly role: string; readonly version: string }
  | {
      readonly status: "changed";
      readonly etag: string;
      readonly role: string;
      readonly version: string;
      readonly zip: Uint8Array;
    };

/** The CRM client port. Every method can be retried: creates carry a key, acknowledgements are high-water marks. */
export interface CrmClient {
  /** The caller, their privileges (SPEC §10), role and clients. */
  whoAmI(): Promise<WhoAmI>;
  /** Registers this client; idempotent. The user's first client becomes primary. Says who syncs the mailbox. */
  registerClient(clientId: string): Promise<Registration>;
  /** Makes `clientId` the user's only primary client; answers every client of the user. */
  setPrimaryClient(clientId: string): Promise<readonly ClientRegistration[]>;
  /** PrepareSync. Fails with `noSyncPrivilege` without SyncToOutlook, `resyncRequired` after a long absence. */
  prepareSync(clientId: string): Promise<SyncCounts>;
  /** GetSyncData: the page after `after` (default: the acknowledged version); `after = 0` lists everything. */
  getSyncData(request: { clientId: string; after?: number; limit?: number }): Promise<SyncPage>;
  /** GetSpecificSyncData: the full records the caller may read. */
  getSpecificSyncData(ids: readonly string[]): Promise<SpecificSyncData>;
  /**
   * PostSync: acknowledges every change up to `version`; never moves backwards. Returns the acknowledged version.
   * `removedFromOutlook` reports records whose items the user deleted or untracked in Outlook while the records
   * stay in the CRM (SPEC §8): the server then offers them to none of the user's clients until the user tracks
   * them by hand again. At most `LIMITS.removedIds`; ids the user cannot read are skipped.
   */
  postSync(request: {
    clientId: string;
    version: number;
    removedFromOutlook?: readonly string[];
  }): Promise<number>;
  /** Creates a record owned by the caller. Replaying `idempotencyKey` returns the first result. */
  createRecord(request: {
    idempotencyKey: string;
    type: CrmRecordType;
    fields: Fields;
    trackedByHand?: boolean;
  }): Promise<CrmRecord>;
  /** Patches fields (`null` clears) if the record is still at `expectedVersion`. */
  updateRecord(request: { id: string; expectedVersion: number; fields: Fields }): Promise<UpdateOutcome>;
  /** Deletes a record, guarded by `expectedVersion` when given. */
  deleteRecord(request: { id: string; expectedVersion?: number }): Promise<DeleteOutcome>;
  /** Marks (`true`) or unmarks (`false`) a record as tracked by hand by the caller. */
  setTrackedByHand(id: string, tracked: boolean): Promise<void>;
  /** Set Regarding look-up by name. */
  lookup(request: {
    text: string;
    types?: readonly ("account" | "contact")[];
    limit?: number;
  }): Promise<readonly LookupHit[]>;
  /**
   * Checks the caller role's package: `etag` is the tag of the package the caller holds (null: none), and the zip
   * comes only when that is not the current one. Fails with `forbidden` (403: the download is refused) or
   * `packageUnavailable` (404: none published for the role).
   */
  checkPackage(etag: string | null): Promise<PackageCheck>;
  /** Background sync of the caller's own mailbox. */
  backgroundSyncStatus(): Promise<BackgroundSyncStatus>;
  /** Asks the server to run the caller's mailbox at once; `backgroundSyncOff` when it does not sync it. */
  requestBackgroundRun(): Promise<BackgroundSyncStatus>;
  /**
   * Hands the mailbox to the server after this primary client's last clean cycle; the server runs at once.
   * `backgroundSyncOff` when background sync is not enabled.
   */
  releaseToBackgroundSync(clientId: string): Promise<BackgroundSyncStatus>;
  /** Calls `listener` with the latest version whenever the server hints that changes are available. */
  watchChanges(listener: (latestVersion: number) => void): Disposable;
}
