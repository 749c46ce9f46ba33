/**
 * The OutlookHost of the headless engine (the server syncing a mailbox with Outlook closed): no item is ever
 * open or selected, no UI event ever fires and no message is ever sent through it. What the user asks for in
 * Outlook reaches this engine only as a tracking request stamped on the item (category and custom property, as
 * a secondary client stamps it), which the Outlook scan does at the next cycle (SPEC §7, "Background sync").
 * Roaming settings, which Graph cannot read, live in the mailbox's row of the cache schema.
 */
import { BugError } from "../../core/errors";
import type { Disposable } from "../../ports/clock";
import type { CrmLinkStamp } from "../../ports/mailbox-store";
import type { CurrentItem, HostNotice, OutlookHost, SendDecision } from "../../ports/outlook-host";

/** Where the headless host keeps the add-in's roaming settings for one mailbox. */
export interface RoamingSettingsStore {
  read(): Promise<Readonly<Record<string, unknown>>>;
  save(values: Readonly<Record<string, unknown>>): Promise<void>;
}

const NOTHING: Disposable = { dispose: () => undefined };

export class HeadlessOutlookHost implements OutlookHost {
  constructor(
    private readonly user: { readonly emailAddress: string; readonly displayName: string },
    private readonly roaming: RoamingSettingsStore,
  ) {}

  mailboxUser(): { readonly emailAddress: string; readonly displayName: string } {
    return { ...this.user };
  }

  /** No item is ever open on the server. */
  getCurrentItem(): Promise<CurrentItem | null> {
    return Promise.resolve(null);
  }

  /** There is no task pane to move between items: the listener is never called. */
  onItemChanged(_listener: () => void): Disposable {
    return NOTHING;
  }

  setCurrentItemLink(_link: CrmLinkStamp | null): Promise<void> {
    return Promise.reject(new BugError("the headless host has no current item to stamp"));
  }

  updateCurrentItemCategories(_change: {
    readonly add: readonly string[];
    readonly remove: readonly string[];
  }): Promise<void> {
    return Promise.reject(new BugError("the headless host has no current item to categorize"));
  }

  /** Only a user's Track stamps the category through the host; the headless engine takes no user actions. */
  ensureMasterCategory(name: string, _color: string): Promise<void> {
    return Promise.reject(
      new BugError(`the headless host takes no user actions, so it never adds the master category "${name}"`),
    );
  }

  readRoamingSettings(): Promise<Readonly<Record<string, unknown>>> {
    return this.roaming.read();
  }

  saveRoamingSettings(values: Readonly<Record<string, unknown>>): Promise<void> {
    return this.roaming.save(values);
  }

  /** No item is open, so there is no notification bar (the port's "does nothing when no item is open"). */
  notify(_notice: HostNotice): Promise<void> {
    return Promise.resolve();
  }

  clearNotice(_key: string): Promise<void> {
    return Promise.resolve();
  }

  /** Mail is sent in Outlook, never through the server: the handler is never called. */
  onMessageSend(_handler: (draft: CurrentItem) => Promise<SendDecision>): Disposable {
    return NOTHING;
  }
}
