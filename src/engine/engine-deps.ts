/**
 * What a SyncEngine is built from: its ports and its identity. Passed in by the entry point (task pane,
 * launch events, the simulator); the engine keeps no module-level state.
 */
import type { Clock } from "../ports/clock";
import type { CrmClient } from "../ports/crm-client";
import type { LocalCache } from "../ports/local-cache";
import type { Logger } from "../ports/logger";
import type { MailboxStore } from "../ports/mailbox-store";
import type { OutlookHost } from "../ports/outlook-host";
import type { SyncSettings } from "../ports/settings";

export interface SyncEngineDeps {
  readonly host: OutlookHost;
  readonly mailbox: MailboxStore;
  readonly crm: CrmClient;
  readonly cache: LocalCache;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Makes a fresh unique id (mapping ids); crypto.randomUUID in the add-in, a counter in tests. */
  readonly newId: () => string;
  /** This browser profile's client id (SPEC §1). */
  readonly clientId: string;
  /** Settings used when neither roaming settings nor the cache hold any yet (SPEC §9 defaults plus login). */
  readonly settings: SyncSettings;
  /** A number in [0, 1) for retry jitter; Math.random in the add-in, a seeded source in tests. */
  readonly random?: () => number;
  /**
   * True for the server's headless engine: it is the server's own client, so the add-in's handover of the mailbox
   * to background sync (docs/SPEC.md "A mailbox has one synchronizer") does not apply to it. Default false.
   */
  readonly headless?: boolean;
  /** The add-in version this client runs (SPEC §11 `products`); default {@link ADDIN_VERSION} (engine/product-version.ts). */
  readonly productVersion?: string;
}
