import type { DownloadableEntityType } from "../core/types";

/**
 * The user's sync settings (SPEC §9). Stored in Outlook roaming settings and mirrored in the local cache,
 * plus the login options whose change triggers an initial synchronization (SPEC §12).
 */
export interface SyncSettings {
  /** Entity types that sync CRM→Outlook. Unchecked types can still be tracked by hand. */
  readonly entities: readonly DownloadableEntityType[];
  /** Write the parent account's name into the Outlook contact's company field. */
  readonly updateCompanyField: boolean;
  /** This client is the synchronizing (primary) client for its user. */
  readonly isSyncClient: boolean;
  /** Every client of the user acts as primary. */
  readonly roaming: boolean;
  /** Minutes between automatic syncs; 0 means manual only. */
  readonly intervalMinutes: number;
  /** Login options: the sync server's base URL and the CRM user. */
  readonly serverUrl: string;
  readonly userId: string;
}

/** Settings a new install starts with (SPEC §9 defaults). */
export const DEFAULT_SETTINGS: SyncSettings = {
  entities: ["contact", "appointment", "task"],
  updateCompanyField: true,
  isSyncClient: true,
  roaming: false,
  intervalMinutes: 15,
  serverUrl: "",
  userId: "",
};
