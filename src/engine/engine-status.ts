/**
 * The engine's observable status (SPEC §5 step 5, issue "Status"): what the task pane shows. The part the
 * LocalCache port defines is persisted there; the rest is derived at run time.
 */
import type { ErrorCode } from "../core/errors";
import type { ClientRole, EntityType } from "../core/types";
import type { Disposable } from "../ports/clock";
import type { NotSavedChange, PackageProblem, SyncStatus } from "../ports/local-cache";

/** Why part of sync is not running (missing privilege, secondary client), with the table's message. */
export interface StatusNotice {
  readonly code: ErrorCode | "secondaryClient" | "serverSyncs";
  readonly message: string;
}

/** A local change that keeps a schema-compatible package from applying: it failed to reach the CRM. */
export interface BlockingChange {
  readonly mapId: string;
  readonly code: string;
  readonly message: string;
}

/** The customization package as the task pane shows it (SPEC §11, §12). */
export interface PackageStatus {
  /** The add-in's own version, which `products` must contain. */
  readonly productVersion: string;
  /** The package in force; null while the default package (SPEC §2, §4) is. */
  readonly applied: { readonly role: string; readonly version: string } | null;
  /** The entity types the package in force syncs. */
  readonly entities: readonly EntityType[];
  /** A schema-incompatible package waiting for the user's confirmation, and the changes it could not save. */
  readonly waiting: {
    readonly version: string;
    readonly confirmed: boolean;
    readonly unsaved: readonly NotSavedChange[];
  } | null;
  /** A schema-compatible package waiting until these local changes reach the CRM. */
  readonly blocked: { readonly version: string; readonly changes: readonly BlockingChange[] } | null;
  /** The preferred add-in version, when SPEC §11 says to report it. */
  readonly preferredProduct: string | null;
  readonly problem: PackageProblem | null;
  /** Changes a confirmed package could not save, listed until dismissed. */
  readonly notSaved: readonly NotSavedChange[];
  /** Entity types whose initial synchronization the package still needs. */
  readonly building: readonly EntityType[];
}

/** The package status before anything is known: the default package. */
export function defaultPackageStatus(productVersion: string, entities: readonly EntityType[]): PackageStatus {
  return {
    productVersion,
    applied: null,
    entities,
    waiting: null,
    blocked: null,
    preferredProduct: null,
    problem: null,
    notSaved: [],
    building: [],
  };
}

/**
 * Background sync while the server synchronizes the mailbox (docs/SPEC.md "A mailbox has one synchronizer"):
 * its last run, its next one, and whether a run this client asked for is still to start. Times in ms.
 */
export interface ServerSyncStatus {
  readonly lastRun: {
    readonly startedAt: number;
    readonly durationMs: number;
    readonly outcome: "ok" | "failed" | "throttled";
    readonly changes: number;
    readonly errors: readonly string[];
  } | null;
  readonly nextRunAt: number | null;
  readonly runPending: boolean;
}

/** Everything the task pane shows about sync. */
export interface EngineStatus extends SyncStatus {
  /** primary synchronizes; secondary only tracks e-mail and stores tracking requests (SPEC §1, §7). */
  readonly role: ClientRole;
  /** A cycle is running now. */
  readonly running: boolean;
  /** The initial synchronization (SPEC §12) has completed for the current login options. */
  readonly initialSyncDone: boolean;
  readonly notices: readonly StatusNotice[];
  /** The last cycle's failure that stopped it (network down, server error), or null. */
  readonly lastCycleError: { readonly code: string; readonly message: string } | null;
  /** The customization package (SPEC §11). */
  readonly package: PackageStatus;
  /** Non-null while the server synchronizes the mailbox and this client acts as a secondary one. */
  readonly server: ServerSyncStatus | null;
}

/** The status before anything is known. */
export const INITIAL_STATUS: EngineStatus = {
  lastSyncAt: null,
  nextSyncAt: null,
  pending: 0,
  progress: null,
  errors: [],
  conflicts: 0,
  role: "primary",
  running: false,
  initialSyncDone: false,
  notices: [],
  lastCycleError: null,
  package: defaultPackageStatus("0.0.0.0", []),
  server: null,
};

/** Holds the current status and tells listeners about each change, in order. */
export class StatusBoard {
  private current: EngineStatus = INITIAL_STATUS;
  private readonly listeners = new Set<(status: EngineStatus) => void>();

  /** The latest status snapshot (an immutable value). */
  get(): EngineStatus {
    return this.current;
  }

  /** Replaces fields of the status and notifies every listener synchronously. */
  update(change: Partial<EngineStatus>): EngineStatus {
    this.current = { ...this.current, ...change };
    for (const listener of [...this.listeners]) listener(this.current);
    return this.current;
  }

  /** Registers a listener; disposing it stops further calls. */
  subscribe(listener: (status: EngineStatus) => void): Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Drops every listener (engine disposal). */
  clear(): void {
    this.listeners.clear();
  }
}
