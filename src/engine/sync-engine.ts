/**
 * SyncEngine: runs the SPEC §5 cycle between one mailbox and the sync server, and carries out the user's
 * tracking actions (SPEC §7). It owns its interval timer and every subscription; dispose() releases them.
 *
 * The sync loop:
 *
 *        start()                          syncNow() / timer / server hint
 *   ┌──────────┐  settings, whoAmI   ┌──────┐ ─────────────────────────────▶ ┌─────────┐
 *   │ starting │ ──────────────────▶ │ idle │                                │ running │
 *   └──────────┘                     └──────┘ ◀───────────────────────────── └─────────┘
 *                                      │  ▲     status saved, timer re-armed     │
 *                          dispose()   │  │                                      │ every client: 0 metadata step
 *                                      ▼  │ immediate action done                │ primary client:
 *                                 ┌──────────┐                                   │  1 pull CRM → change log → PostSync
 *                                 │ disposed │                                   │  2 missed-change scan (+ links)
 *                                 └──────────┘                                   │  3 process log: CRM→Outlook, Outlook→CRM
 *                                                                                │  4 reconciliation
 *                                                                                │  5 status
 *                                                                                │ secondary client: sent-mail
 *                                                                                │  tracking and e-mail entries only
 *
 * While the server synchronizes the mailbox in the background (docs/SPEC.md "A mailbox has one synchronizer"),
 * the add-in's engine is a secondary client whatever its settings say: it stamps tracking requests, asks the
 * server to run at once and shows the server's last run. A primary that reads `handOver` runs its last cycle with
 * the whole reconciliation listing and releases the mailbox once nothing is pending; when background sync is
 * disabled it claims the primary role again.
 *
 * Every job (cycle, Track, send follow-up) runs through one SerialQueue, so the jobs never interleave. It is one
 * file over 500 lines because the cycle, the actions and the status share that queue and one status board; the
 * steps themselves live in their own modules (crm-pull, outlook-scan, entry-processor, server-handover, …).
 * The metadata step (package-manager.ts) checks and applies the customization package first; the cycle then
 * runs under the package in force. While the initial synchronization (SPEC §12) is not complete for the current
 * login options, a cycle runs in initial mode: a full listing from the CRM, a full scan of Outlook, and linking
 * before creating. After a customization package added or changed entity types, the same happens for those
 * types only.
 */
import { BugError, ERROR_TABLE, SyncError } from "../core/errors";
import { ENTITY_PLURALS } from "../core/package-rules";
import { isPermanentFailure, MAX_ATTEMPTS, nextRetryDelay } from "../core/retry-policy";
import { DOWNLOADABLE_ENTITY_TYPES, type ClientRole, type EntityType, type Privilege } from "../core/types";
import type { Disposable } from "../ports/clock";
import type { BackgroundSyncState, LookupHit } from "../ports/crm-client";
import type { ConflictRecord } from "../ports/local-cache";
import type { MailboxChangeNotice, MailboxItem, MailboxItemRef } from "../ports/mailbox-store";
import { entityTypeOfKind, type CurrentItem, type SendDecision } from "../ports/outlook-host";
import type { SyncSettings } from "../ports/settings";
import { saveCheckpoints } from "./cache-writes";
import { CRM_CHECKPOINT, listForBuild, pullCrmChanges } from "./crm-pull";
import type { CycleContext, CycleUser } from "./cycle-context";
import type { SyncEngineDeps } from "./engine-deps";
import { StatusBoard, type EngineStatus, type StatusNotice } from "./engine-status";
import { processChangeLog } from "./entry-processor";
import {
  kindOf,
  setRegardingOfItem,
  stampOpenDraft,
  trackItem,
  untrackItem,
  type ActionOutcome,
  type ActionTarget,
  type Surface,
} from "./item-actions";
import { PackageManager } from "./package-manager";
import { ADDIN_VERSION } from "./product-version";
import { reconcileFolders } from "./reconcile-slice";
import { scanOutlook } from "./outlook-scan";
import { trackSentMessages } from "./sent-mail";
import { SerialQueue } from "./serial-queue";
import { ServerHandover } from "./server-handover";
import { settingsFromRoaming, settingsToRoaming } from "./settings-store";

export type { EngineStatus, PackageStatus, ServerSyncStatus, StatusNotice } from "./engine-status";
export type { ActionOutcome, Surface } from "./item-actions";

/** Checkpoint key that marks the initial synchronization done for one set of login options. */
export const INITIAL_CHECKPOINT = "initial";
/** How long the user's identity and privileges are reused while SyncToOutlook is held (ms). */
const IDENTITY_TTL_MS = 3_600_000;
/** Names the item an action applies to: an item (a selection in a list), or the host's current item. */
export interface ItemRef {
  readonly surface: Surface;
  /** The item's id and type; when absent, the item open in the host (read or compose form). */
  readonly item?: MailboxItemRef;
}

/** The login options the initial-sync marker names (SPEC §12): the server URL and the user id. */
export function loginKey(settings: SyncSettings): string {
  return `${settings.serverUrl}|${settings.userId}`;
}

export class SyncEngine {
  private readonly deps: SyncEngineDeps;
  private readonly board = new StatusBoard();
  private readonly packages: PackageManager;
  private readonly queue = new SerialQueue();
  private readonly subscriptions: Disposable[] = [];
  private readonly onClose = new Map<string, string>();
  private timer: Disposable | null = null;
  private nextSyncAt: number | null = null;
  /** Entries an interrupted initial synchronization finished: its next cycle counts on from there. */
  private resumedProgress = 0;
  /** Cycles that failed in a row; the next automatic one comes after the entries' backoff (SPEC §5). */
  private failedCycles = 0;
  private readonly sendJobs = new Set<Disposable>();
  private currentSettings: SyncSettings;
  private user: CycleUser | null = null;
  private privileges: ReadonlySet<Privilege> = new Set();
  private currentItemId: string | null = null;
  private disposed = false;
  private registered = false;
  private identityAt = 0;
  private readonly handover: ServerHandover;

  /** Builds an engine from its ports; nothing runs until {@link start}. */
  constructor(deps: SyncEngineDeps) {
    this.deps = deps;
    this.currentSettings = deps.settings;
    this.packages = new PackageManager(deps, deps.productVersion ?? ADDIN_VERSION);
    this.handover = new ServerHandover({
      deps,
      board: this.board,
      queue: this.queue,
      settings: () => this.currentSettings,
      role: () => this.role(),
    });
  }

  /**
   * Loads the settings (roaming settings first, then the cache's mirror, then the constructor's), clears the
   * cache when the login options changed (SPEC §12), registers this client with the server, subscribes to
   * the host's item changes, the mailbox's change notices and OnMessageSend, and arms the interval timer.
   */
  async start(): Promise<void> {
    await this.queue.run(async () => {
      const { cache, host, mailbox, clientId } = this.deps;
      const roaming = settingsFromRoaming(await host.readRoamingSettings(), this.deps.settings, clientId);
      const mirrored = await cache.getSettings();
      const settings = roaming ?? mirrored ?? this.deps.settings;
      const login = { serverUrl: this.deps.settings.serverUrl, userId: this.deps.settings.userId };
      this.currentSettings = { ...settings, ...login };
      if (mirrored !== undefined && loginKey(mirrored) !== loginKey(this.currentSettings)) {
        this.deps.logger.info("login options changed: the cache is cleared and initial sync runs", {});
        await cache.clear();
      }
      await this.packages.load();
      await cache.putSettings(this.currentSettings);
      try {
        await this.register();
      } catch (error) {
        if (!(error instanceof SyncError)) throw error;
        this.deps.logger.warn("client registration failed; the next sync retries it", { code: error.code });
      }
      const stored = await cache.getStatus();
      // A starting engine shows no stored n of N: the progress of a cycle that is not running is stale.
      this.board.update({
        ...(stored ?? {}),
        progress: null,
        role: this.role(),
        running: false,
        initialSyncDone: await this.initialDone(),
        package: await this.packages.status(),
      });
      this.subscriptions.push(
        host.onItemChanged(
          () =>
            void this.queue
              .run(() => this.itemChanged())
              .catch((e: unknown) => this.logFailure("item change", e)),
        ),
        mailbox.watch(
          (notice) =>
            void this.queue
              .run(() => this.noteChange(notice))
              .catch((e: unknown) => this.logFailure("notice", e)),
        ),
        host.onMessageSend((draft) => this.handleSend(draft)),
      );
      this.currentItemId = await this.currentItemAtStart();
      this.armTimer();
    });
  }

  /**
   * The item open when the engine starts. Reading it may need Graph (an id conversion); a Graph or network
   * failure then leaves it unknown instead of failing the start, and the next item change reads it (SPEC §5).
   */
  private async currentItemAtStart(): Promise<string | null> {
    try {
      return (await this.deps.host.getCurrentItem())?.itemId ?? null;
    } catch (error) {
      if (!(error instanceof SyncError)) throw error;
      this.deps.logger.warn("the open item could not be read at start; the next item change reads it", {
        code: error.code,
      });
      return null;
    }
  }

  /** Stops the timer and every subscription and drops status listeners. Work already queued still settles. */
  dispose(): void {
    this.disposed = true;
    this.timer?.dispose();
    this.timer = null;
    this.handover.dispose();
    for (const subscription of this.subscriptions.splice(0)) subscription.dispose();
    for (const job of this.sendJobs) job.dispose();
    this.sendJobs.clear();
    this.board.clear();
  }

  /** The latest status snapshot. */
  status(): EngineStatus {
    return this.board.get();
  }

  /** Calls `listener` with every new status until disposed. */
  onStatus(listener: (status: EngineStatus) => void): Disposable {
    return this.board.subscribe(listener);
  }

  /** True while a job runs or waits in the queue. */
  get busy(): boolean {
    return this.queue.busy;
  }

  /** Resolves when every job queued so far has settled (used by the simulator between steps). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** Runs one full cycle now (Sync now); resolves with the status it saved. A failing cycle is in `lastCycleError`. */
  syncNow(): Promise<EngineStatus> {
    return this.queue.run(() => this.cycle());
  }

  /**
   * While the server synchronizes the mailbox, the pane's Sync now: asks the server to run at once, and follows
   * the run until it started. Otherwise a cycle, as {@link syncNow}.
   */
  syncOrAskServer(): Promise<EngineStatus> {
    if (!this.handover.serverSyncs) return this.syncNow();
    return this.queue.run(async () => {
      await this.handover.askToRun();
      return this.board.get();
    });
  }

  /** Runs reconciliation only (SPEC §3.3), listing every synced folder now, then saves the status. */
  reconcileNow(): Promise<EngineStatus> {
    return this.queue.run(async () => {
      const context = await this.context();
      if (this.role() === "primary") await reconcileFolders(context, { all: true });
      return this.saveStatus("action");
    });
  }

  /** Track in CRM for an item (SPEC §7): synced now, on close, at the next sync, or by the primary client. */
  track(ref: ItemRef): Promise<ActionOutcome> {
    return this.queue.run(async () => {
      const context = await this.context();
      if (await this.isOpenDraft(ref)) return stampOpenDraft(context, "track", ref.surface);
      const target = await this.target(ref);
      const outcome = await trackItem(context, target, ref.surface);
      await this.follow(context, outcome, target.item.itemId);
      return outcome;
    });
  }

  /** Untrack an item (SPEC §7, §8). `deleteInCrm` is the user's answer where the rules offer the choice. */
  untrack(ref: ItemRef & { readonly deleteInCrm?: boolean }): Promise<ActionOutcome> {
    return this.queue.run(async () => {
      const context = await this.context();
      if (await this.isOpenDraft(ref)) return stampOpenDraft(context, "untrack", ref.surface);
      const target = await this.target(ref);
      const outcome = await untrackItem(context, target, ref.surface, ref.deleteInCrm ?? false);
      await this.follow(context, outcome, target.item.itemId);
      return outcome;
    });
  }

  /** Set Regarding (SPEC §7): tracks the item first when needed, then sets the regarding record at once. */
  setRegarding(ref: ItemRef & { readonly regardingId: string }): Promise<ActionOutcome> {
    return this.queue.run(async () => {
      const context = await this.context();
      const target = await this.target(ref);
      const outcome = await trackItem(context, target, ref.surface);
      await this.follow(
        context,
        { ...outcome, timing: outcome.mapId === null ? outcome.timing : "immediate" },
        target.item.itemId,
      );
      if (outcome.timing === "deferToPrimary" || outcome.timing === "never") return outcome;
      const refreshed = await this.target(ref);
      await setRegardingOfItem(context, refreshed.item, ref.regardingId);
      return outcome;
    });
  }

  /**
   * The OnMessageSend / OnAppointmentSend handler (SPEC §7): never blocks the send. A draft stamped
   * "trackOnSend" is tracked once it is in Sent Items, by a job queued right after the send.
   */
  handleSend(draft: CurrentItem): Promise<SendDecision> {
    if (draft.link?.state === "trackOnSend" && !this.disposed) {
      const job: Disposable = this.deps.clock.setTimeout(() => {
        this.sendJobs.delete(job);
        void this.queue
          .run(async () => {
            await this.sentMail(await this.context());
            await this.saveStatus("action");
          })
          .catch((e: unknown) => this.logFailure("send", e));
      }, 0);
      this.sendJobs.add(job);
    }
    return Promise.resolve({ allow: true });
  }

  /** Makes a failed entry due now and processes it (the task pane's Retry). */
  retry(mapId: string): Promise<EngineStatus> {
    return this.queue.run(async () => {
      const { cache, clock } = this.deps;
      const entry = await cache.getEntry(mapId);
      const mapping = await cache.getMapping(mapId);
      if (entry === undefined || mapping === undefined) return this.board.get();
      if (mapping.itemId !== null) {
        await cache.recordOutlookChange({ itemId: mapping.itemId, kind: "upsert", at: clock.now() });
      } else {
        await cache.markFailed(
          mapId,
          entry.revision,
          entry.lastError ?? { code: "serverError", message: "retry" },
          clock.now(),
        );
      }
      await processChangeLog(await this.context(), { only: new Set([mapId]) });
      return this.saveStatus("action");
    });
  }

  /** The user confirms the customization package that waits for confirmation; it applies at the next sync. */
  confirmPackage(): Promise<EngineStatus> {
    return this.queue.run(async () => {
      await this.packages.confirm();
      return this.board.update({ package: await this.packages.status() });
    });
  }

  /** The user dismisses changes a package could not save (one by its mapping id, or all of them). */
  dismissNotSaved(mapId?: string): Promise<EngineStatus> {
    return this.queue.run(async () => {
      await this.packages.dismiss(mapId);
      return this.board.update({ package: await this.packages.status() });
    });
  }

  /** The conflict history, newest first (SPEC §6). */
  conflicts(limit = 100): Promise<readonly ConflictRecord[]> {
    return this.deps.cache.listConflicts(limit);
  }

  /** The Set Regarding look-up, asked online: no record data is kept on the device for it (SPEC §10). */
  lookup(text: string, types?: readonly ("account" | "contact")[]): Promise<readonly LookupHit[]> {
    return this.deps.crm.lookup(types === undefined ? { text } : { text, types });
  }

  /** The settings in force. */
  settings(): SyncSettings {
    return this.currentSettings;
  }

  /**
   * Saves settings (SPEC §9) to roaming settings and the cache's mirror. Becoming the synchronizing client
   * tells the server; newly checked entity types are listed again from the start; new login options clear
   * the cache so the initial synchronization runs again (SPEC §12); the timer follows the interval.
   */
  saveSettings(change: Partial<SyncSettings>): Promise<SyncSettings> {
    return this.queue.run(async () => {
      const { cache, host, crm, clientId } = this.deps;
      const previous = this.currentSettings;
      const next: SyncSettings = { ...previous, ...change };
      if (!Number.isInteger(next.intervalMinutes) || next.intervalMinutes < 0) {
        throw new SyncError("invalidInput", {
          details: `intervalMinutes must be a whole number ≥ 0, not ${next.intervalMinutes}.`,
        });
      }
      await host.saveRoamingSettings(settingsToRoaming(next, clientId, await host.readRoamingSettings()));
      if (loginKey(previous) !== loginKey(next)) {
        await cache.clear();
        await this.packages.load();
      } else if (next.entities.some((type) => !previous.entities.includes(type))) {
        await saveCheckpoints(cache, [
          { key: CRM_CHECKPOINT, serverVersion: 0, watermark: null, deltaLink: null },
        ]);
      }
      await cache.putSettings(next);
      this.currentSettings = next;
      if (next.isSyncClient && !previous.isSyncClient && !next.roaming && !this.handover.serverSyncs)
        await crm.setPrimaryClient(clientId);
      this.board.update({ role: this.role(), initialSyncDone: await this.initialDone() });
      this.armTimer();
      return next;
    });
  }

  /** Records an observed Outlook change for a tracked item (SPEC §3.1); untracked items are not of interest. */
  noteOutlookChange(notice: MailboxChangeNotice): Promise<void> {
    return this.queue.run(() => this.noteChange(notice));
  }

  /**
   * Registers this client with the server (and claims the primary role when it is the sync client, unless the
   * server synchronizes the mailbox); once.
   */
  private async register(): Promise<void> {
    if (this.registered) return;
    const { crm, clientId } = this.deps;
    const registration = await crm.registerClient(clientId);
    this.handover.registered(registration.backgroundSync);
    if (this.currentSettings.isSyncClient && !this.currentSettings.roaming && !this.handover.serverSyncs)
      await crm.setPrimaryClient(clientId);
    this.registered = true;
  }

  /**
   * Asks the server who the user is and which privileges they hold (SPEC §10). Cached for an hour while the
   * user has SyncToOutlook, because every cycle's PrepareSync fails with noSyncPrivilege as soon as it is
   * removed (which drops the cache); without it, asked every time so a restored privilege is seen at once.
   */
  private async refreshIdentity(force = false): Promise<void> {
    const now = this.deps.clock.now();
    const fresh =
      this.user !== null && this.privileges.has("SyncToOutlook") && now - this.identityAt < IDENTITY_TTL_MS;
    if (fresh && !force) return;
    const who = await this.deps.crm.whoAmI();
    this.user = { id: who.user.id, emails: who.user.emails };
    this.privileges = new Set(who.privileges);
    this.identityAt = now;
  }

  private role(): ClientRole {
    if (this.handover.serverSyncs) return "secondary";
    return this.currentSettings.roaming || this.currentSettings.isSyncClient ? "primary" : "secondary";
  }

  private async initialDone(): Promise<boolean> {
    const marker = await this.deps.cache.getCheckpoint(INITIAL_CHECKPOINT);
    return marker?.serverVersion === 1 && marker.deltaLink === loginKey(this.currentSettings);
  }

  private async context(): Promise<CycleContext> {
    await this.register();
    await this.refreshIdentity();
    if (this.user === null) throw new BugError("the identity was not loaded");
    const metadata = this.packages.metadata();
    const privileged = this.privileges.has("SyncToOutlook");
    const syncTypes = new Set<EntityType>(
      metadata.entityTypes.filter((type) => type === "email" || privileged),
    );
    const downloadTypes = new Set<EntityType>(
      this.currentSettings.entities.filter((type) => syncTypes.has(type)),
    );
    return {
      deps: this.deps,
      maps: metadata.fieldMaps,
      filters: metadata.filters,
      settings: this.currentSettings,
      user: this.user,
      privileges: this.privileges,
      role: this.role(),
      syncTypes,
      packageTypes: new Set(metadata.entityTypes),
      downloadTypes,
      linkIndex: null,
    };
  }

  /** True when `ref` names the host's current item and that is a draft in its compose form (saved or not). */
  private async isOpenDraft(ref: ItemRef): Promise<boolean> {
    if (ref.item !== undefined) return false;
    return (await this.deps.host.getCurrentItem())?.kind === "draftEmail";
  }

  private async target(ref: ItemRef): Promise<ActionTarget> {
    const { host, mailbox } = this.deps;
    let wanted = ref.item ?? null;
    if (wanted === null) {
      const current = await host.getCurrentItem();
      if (current === null || current.itemId === null) {
        throw new SyncError("invalidInput", { details: "No saved item is selected." });
      }
      wanted = { itemId: current.itemId, type: entityTypeOfKind(current.kind) };
    }
    const item = (await mailbox.getItems([wanted])).get(wanted.itemId) ?? null;
    if (item === null)
      throw new SyncError("notFound", { details: `The item ${wanted.itemId} no longer exists.` });
    return { item, kind: kindOf(item, await this.draftsFolderId(item)) };
  }

  private async draftsFolderId(item: MailboxItem): Promise<string | null> {
    if (item.type !== "email") return null;
    const current = await this.deps.host.getCurrentItem();
    return current?.itemId === item.itemId && current.kind === "draftEmail" ? item.folderId : null;
  }

  /** Carries out an action's timing: now, when its item closes, or at the next sync. */
  private async follow(context: CycleContext, outcome: ActionOutcome, itemId: string): Promise<void> {
    if (outcome.timing === "deferToPrimary" && this.handover.serverSyncs) await this.handover.askToRun();
    if (outcome.mapId === null) return;
    if (outcome.timing === "immediate") {
      await processChangeLog(context, { only: new Set([outcome.mapId]) });
      await this.saveStatus("action");
    } else if (outcome.timing === "onSaveOrClose") {
      this.onClose.set(itemId, outcome.mapId);
    }
  }

  /** The pinned task pane moved: a tracked item it left is checked, and changes waiting for its close are sent. */
  private async itemChanged(): Promise<void> {
    const previous = this.currentItemId;
    const current = await this.deps.host.getCurrentItem();
    this.currentItemId = current?.itemId ?? null;
    if (previous === null || previous === this.currentItemId) return;
    const mapping = await this.deps.cache.findByItemId(previous);
    if (mapping?.linked)
      await this.deps.cache.recordOutlookChange({
        itemId: previous,
        kind: "upsert",
        at: this.deps.clock.now(),
      });
    const mapId = this.onClose.get(previous);
    this.onClose.delete(previous);
    if (mapId !== undefined && this.role() === "primary") {
      await processChangeLog(await this.context(), { only: new Set([mapId]) });
      await this.saveStatus("action");
    }
  }

  private async noteChange(notice: MailboxChangeNotice): Promise<void> {
    if (notice.type === "email") return;
    const mapping = await this.deps.cache.findByItemId(notice.itemId);
    if (mapping === undefined || mapping.deletedLocally || !mapping.linked) return;
    await this.deps.cache.recordOutlookChange({ itemId: notice.itemId, kind: notice.kind, at: notice.at });
    this.board.update({ pending: await this.deps.cache.countEntries() });
  }

  private async sentMail(context: CycleContext): Promise<void> {
    const mapIds = await trackSentMessages(context);
    if (mapIds.length > 0) await processChangeLog(context, { only: new Set(mapIds) });
  }

  private async cycle(): Promise<EngineStatus> {
    this.board.update({ running: true });
    let failure: { code: string; message: string } | null = null;
    let retryAt: number | undefined;
    try {
      try {
        await this.cycleSteps();
      } catch (error) {
        // The privilege was removed since the identity was cached: ask again and run the cycle without it.
        if (!(error instanceof SyncError) || error.code !== "noSyncPrivilege") throw error;
        await this.refreshIdentity(true);
        await this.cycleSteps();
      }
    } catch (error) {
      if (!(error instanceof SyncError)) throw error;
      failure = { code: error.code, message: error.message };
      retryAt = error.retryAt;
      this.deps.logger.error("sync cycle failed", { code: error.code, message: error.message });
    } finally {
      this.board.update({ running: false });
    }
    this.failedCycles = failure === null ? 0 : this.failedCycles + 1;
    if (failure !== null) {
      // A failed cycle shows no n of N; an interrupted initial sync resumes its count at the next cycle.
      this.resumedProgress = this.board.get().progress?.done ?? this.resumedProgress;
      this.board.update({ progress: null });
    }
    this.armTimer(retryAt);
    return this.saveStatus({ failure });
  }

  private async cycleSteps(): Promise<void> {
    await this.packages.step(await this.context());
    this.board.update({ package: await this.packages.status() });
    if (this.handover.serverSyncs) await this.handover.follow();
    const context = await this.context();
    await this.sentMail(context);
    if (context.role === "primary") {
      const backgroundSync = await this.primaryCycle(context);
      if (backgroundSync === "handOver") await this.handover.handOver(context);
      if (backgroundSync !== "server") return;
      await this.handover.takenOver();
    }
    await processChangeLog(await this.context());
    await this.packages.built(this.packages.state.build);
  }

  /**
   * Steps 1–4 on the primary client. Types in an initial synchronization (all of them for new login options,
   * or those a customization package added or changed) are listed from the start, scanned whole and linked
   * before anything is created; progress is shown as n of N. Returns who synchronizes the mailbox as
   * PrepareSync said (undefined when not asked): `server` stops the cycle at once, and `handOver` makes it the
   * last one, with the whole reconciliation listing.
   */
  private async primaryCycle(base: CycleContext): Promise<BackgroundSyncState | undefined> {
    const { cache } = this.deps;
    const initial = !(await this.initialDone());
    const building = this.packages.state.build.filter((type) => base.syncTypes.has(type));
    const fullTypes = new Set<EntityType>(initial ? base.syncTypes : building);
    let backgroundSync: BackgroundSyncState | undefined;
    if (base.downloadTypes.size > 0) {
      const fromStart = initial && (await cache.getCheckpoint(CRM_CHECKPOINT)) === undefined;
      const listed = new Set([...base.downloadTypes].filter((type) => !initial && fullTypes.has(type)));
      if (listed.size > 0) await listForBuild(base, listed);
      backgroundSync = (await pullCrmChanges(base, fromStart)).backgroundSync;
      if (backgroundSync === "server") return backgroundSync;
    }
    const linkIndex = await scanOutlook(base, fullTypes);
    const context: CycleContext = { ...base, linkIndex };
    const showProgress = initial || building.length > 0;
    const phase = initial ? "initial" : `initial: ${building.map((type) => ENTITY_PLURALS[type]).join(", ")}`;
    const resumed = showProgress ? this.resumedProgress : 0;
    let reported = 0;
    await processChangeLog(context, {
      onProgress: (done, total) => {
        if (!showProgress || (done - reported < 50 && done !== total)) return;
        reported = done;
        this.board.update({ progress: { done: resumed + done, total: resumed + total, phase } });
      },
    });
    await reconcileFolders(context, { all: backgroundSync === "handOver" });
    if (initial && DOWNLOADABLE_ENTITY_TYPES.some((type) => base.syncTypes.has(type))) {
      await saveCheckpoints(cache, [
        {
          key: INITIAL_CHECKPOINT,
          serverVersion: 1,
          watermark: this.deps.clock.now(),
          deltaLink: loginKey(this.currentSettings),
        },
      ]);
    }
    await this.packages.built(initial ? this.packages.state.build : building);
    this.resumedProgress = 0;
    if (showProgress) this.board.update({ progress: null });
    return backgroundSync;
  }

  /**
   * Saves and publishes the status. After a cycle (`{ failure }`) the last sync time (on success) and the
   * cycle's error change; after an immediate action only the counts, errors and notices do.
   */
  private async saveStatus(
    after: "action" | { readonly failure: { code: string; message: string } | null },
  ): Promise<EngineStatus> {
    const failure = after === "action" ? this.board.get().lastCycleError : after.failure;
    const completed = after !== "action" && after.failure === null;
    const { cache, clock } = this.deps;
    const failed = (await cache.failedEntries(1)).filter(
      (entry) =>
        entry.attempts >= MAX_ATTEMPTS ||
        (entry.lastError !== null && isPermanentFailure(entry.lastError.code)),
    );
    const errors = failed.map((entry) => ({
      mapId: entry.mapId,
      code: entry.lastError?.code ?? "syncFailed",
      // A permanent failure happened once; the others "failed several times".
      message:
        entry.attempts >= MAX_ATTEMPTS
          ? `${ERROR_TABLE.syncFailed.message} ${entry.lastError?.message ?? ""}`.trim()
          : (entry.lastError?.message ?? ""),
    }));
    const notices: StatusNotice[] = [];
    if (!this.privileges.has("SyncToOutlook"))
      notices.push({ code: "noSyncPrivilege", message: ERROR_TABLE.noSyncPrivilege.message });
    if (!this.privileges.has("GoOffline"))
      notices.push({ code: "noOfflinePrivilege", message: ERROR_TABLE.noOfflinePrivilege.message });
    if (this.handover.serverSyncs) {
      notices.push({
        code: "serverSyncs",
        message:
          "The CRM server synchronizes this mailbox; this client tracks e-mail and passes tracking requests to it.",
      });
    } else if (this.role() === "secondary") {
      notices.push({
        code: "secondaryClient",
        message: "Another client synchronizes; this one tracks e-mail and stores tracking requests.",
      });
    }
    const status = this.board.update({
      lastSyncAt: completed ? clock.now() : this.board.get().lastSyncAt,
      nextSyncAt: this.nextSyncAt,
      pending: await cache.countEntries(),
      errors,
      conflicts: (await cache.listConflicts(1000)).length,
      role: this.role(),
      initialSyncDone: await this.initialDone(),
      notices,
      lastCycleError: failure,
      package: await this.packages.status(),
      server: this.handover.serverSyncs ? this.board.get().server : null,
    });
    await cache.putStatus({
      lastSyncAt: status.lastSyncAt,
      nextSyncAt: status.nextSyncAt,
      pending: status.pending,
      progress: status.progress,
      errors: status.errors,
      conflicts: status.conflicts,
    });
    return status;
  }

  /** Arms the next cycle; `retryAt` is the time a throttled server asked for, kept even past the interval. */
  private armTimer(retryAt?: number): void {
    this.timer?.dispose();
    this.timer = null;
    this.nextSyncAt = null;
    const minutes = this.currentSettings.intervalMinutes;
    if (this.disposed || minutes <= 0) return;
    // After a failed cycle (server down) the next one comes with the entries' backoff, so sync resumes soon
    // after the server does, never later than the interval.
    const delay =
      retryAt !== undefined
        ? Math.max(0, retryAt - this.deps.clock.now())
        : this.failedCycles === 0
          ? minutes * 60_000
          : Math.min(
              minutes * 60_000,
              nextRetryDelay(this.failedCycles, (this.deps.random ?? Math.random)()),
            );
    this.nextSyncAt = this.deps.clock.now() + delay;
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = null;
      this.syncNow().catch((e: unknown) => this.logFailure("timer sync", e));
    }, delay);
  }

  private logFailure(what: string, error: unknown): void {
    this.deps.logger.error(`${what} failed`, {
      error: error instanceof Error ? error.message : String(error),
    });
  }
}
