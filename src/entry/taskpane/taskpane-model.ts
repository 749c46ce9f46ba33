/**
 * What the task pane shows, as plain data (issue 7 "Task pane"). The view renders it and nothing else; the
 * wiring builds it from the engine's status, the current item, the cache and the settings.
 */
import type { DownloadableEntityType } from "../../core/types";
import type { SyncSettings } from "../../ports/settings";
import type { PackageActions, PackageModel } from "./package-section";

/** A CRM record as the pane names it. */
export interface RecordRef {
  readonly crmId: string;
  readonly label: string;
}

/** The item the pane is pinned to (SPEC §7). */
export interface ItemModel {
  readonly title: string;
  /** "E-mail", "Draft e-mail", "Appointment", …, as the user knows the item. */
  readonly kindLabel: string;
  readonly state:
    | "untracked"
    | "tracked"
    | "trackRequested"
    | "untrackRequested"
    | "untrackAndDeleteRequested"
    | "trackOnSend"
    | "suspended";
  /** The record the item is linked to, once it is. */
  readonly record: RecordRef | null;
  /** The record an e-mail or activity is regarding. */
  readonly regarding: RecordRef | null;
  readonly canTrack: boolean;
  readonly canUntrack: boolean;
  /** Untrack offers "also delete in CRM?" (SPEC §8: contacts and e-mail only). */
  readonly untrackOffersDelete: boolean;
  readonly canSetRegarding: boolean;
}

/** One user-visible sync error: what happened and what to do, with a Retry (SPEC §5, §13). */
export interface ErrorModel {
  readonly mapId: string;
  readonly title: string;
  readonly message: string;
  readonly action: string;
}

/**
 * While the server synchronizes the mailbox (docs/SPEC.md "A mailbox has one synchronizer"): its last run as
 * the pane tells it, that run's errors, and whether a run the pane asked for is still to start.
 */
export interface ServerModel {
  /** "Synced by the server, last run HH:MM", or that it has not run yet. */
  readonly headline: string;
  /** The last run's outcome in words; empty before the first run. */
  readonly outcome: string;
  readonly errors: readonly string[];
  /** "Waiting for the server…" while a run asked for has not started; null otherwise. */
  readonly waiting: string | null;
}

/** The sync part of the pane (SPEC §5 step 5). Times are ms since the epoch. */
export interface SyncModel {
  readonly running: boolean;
  readonly lastSyncAt: number | null;
  readonly nextSyncAt: number | null;
  readonly pending: number;
  /** Shown as a progress bar during initial or long syncs (SPEC §12: n of N). */
  readonly progress: { readonly done: number; readonly total: number; readonly phase: string } | null;
  readonly errors: readonly ErrorModel[];
  /** The last cycle's failure (server down, network), shown above the per-item errors. */
  readonly cycleError: { readonly message: string; readonly action: string } | null;
  /** Non-null while the server synchronizes the mailbox: Sync now then asks the server to run. */
  readonly server: ServerModel | null;
}

/** A privilege message (SPEC §10), the storage warning, or a role notice. */
export interface NoticeModel {
  readonly id: string;
  readonly tone: "info" | "warning" | "error";
  readonly message: string;
  readonly action: string;
}

/** One value a merge overwrote (SPEC §6). */
export interface ConflictModel {
  readonly at: number;
  readonly itemLabel: string;
  readonly field: string;
  readonly kept: string;
  readonly overwritten: string;
  readonly winner: "Outlook" | "CRM";
}

export interface TaskpaneModel {
  readonly item: ItemModel | null;
  readonly sync: SyncModel;
  readonly notices: readonly NoticeModel[];
  readonly conflicts: readonly ConflictModel[];
  readonly settings: SyncSettings;
  /** The "CRM package" section (package-section.ts); null before the add-in is connected. */
  readonly package: PackageModel | null;
}

/** What the pane's controls ask for. Each promise settles when the request is done; rejections are shown. */
export interface TaskpaneActions extends PackageActions {
  track(): Promise<string>;
  untrack(deleteInCrm: boolean): Promise<string>;
  /** A cycle, or while the server synchronizes the mailbox, a request that it runs now. */
  syncNow(): Promise<string>;
  retry(mapId: string): Promise<string>;
  searchRecords(query: string): Promise<readonly RecordRef[]>;
  setRegarding(record: RecordRef): Promise<string>;
  saveSettings(settings: SyncSettings): Promise<string>;
  readLog(): Promise<string>;
}

/** The entity types offered in Settings, with their labels. */
export const ENTITY_LABELS: Readonly<Record<DownloadableEntityType, string>> = {
  contact: "Contacts",
  appointment: "Appointments",
  task: "Tasks",
};
