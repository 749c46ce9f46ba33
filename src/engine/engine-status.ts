/**
 * The engine's observable status (SPEC §5 step 5, issue "Status"): what the task pane shows. The part the
 * LocalCache port defines is persisted there; the rest is derived at run time.
 */
import type { ErrorCode } from "../core/errors";
import type { ClientRole } from "../core/types";
import type { Disposable } from "../ports/clock";
import type { SyncStatus } from "../ports/local-cache";

/** Why part of sync is not running (missing privilege, secondary client), with the table's message. */
export interface StatusNotice {
  readonly code: ErrorCode | "secondaryClient";
  readonly message: string;
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
