/**
 * Connects the task pane's view to a running add-in: builds the {@link TaskpaneModel} from the engine's status,
 * the current item (following ItemChanged), the conflict history, the settings and the cache's storage state,
 * and maps the view's actions to engine calls. No sync rules live here.
 */
import { ERROR_TABLE, SyncError, type ErrorCode } from "../../core/errors";
import type { FieldValue, Fields } from "../../core/types";
import type { EngineStatus, ServerSyncStatus } from "../../engine/sync-engine";
import type { Disposable } from "../../ports/clock";
import type { CrmRecord } from "../../ports/crm-client";
import type { CurrentItem, CurrentItemKind } from "../../ports/outlook-host";
import { DEFAULT_SETTINGS } from "../../ports/settings";
import { actionText, surfaceOf, syncText, untrackOffersDelete } from "../commands/action-text";
import type { AddinRuntime } from "../commands/addin-runtime";
import { failureText } from "../commands/command-runner";
import { currentItem, itemRef } from "../commands/current-item";
import type {
  ConflictModel,
  ItemModel,
  NoticeModel,
  RecordRef,
  ServerModel,
  SyncModel,
  TaskpaneActions,
  TaskpaneModel,
} from "./taskpane-model";
import type { TaskpaneView } from "./taskpane-view";
import { packageModel } from "./package-section";

/** Link states in which an untrack is already requested from the synchronizing client. */
const UNTRACK_REQUESTS: ReadonlySet<ItemModel["state"]> = new Set([
  "untrackRequested",
  "untrackAndDeleteRequested",
]);

const KIND_LABELS: Readonly<Record<CurrentItemKind, string>> = {
  receivedEmail: "E-mail",
  sentEmail: "Sent e-mail",
  draftEmail: "Draft e-mail",
  appointment: "Appointment",
  contact: "Contact",
  task: "Task",
};

function text(fields: Fields, key: string): string {
  const value = fields[key];
  return typeof value === "string" ? value : "";
}

function show(value: FieldValue): string {
  if (value === null) return "(empty)";
  return Array.isArray(value) ? value.join("; ") : String(value);
}

/** How a CRM record is named in the pane: a person's name, an account's name, or an activity's subject. */
export function recordLabel(record: CrmRecord): string {
  const { fields } = record;
  const name = [text(fields, "firstname"), text(fields, "lastname")].filter(Boolean).join(" ");
  return name || text(fields, "name") || text(fields, "subject") || `${record.type} ${record.id}`;
}

function itemTitle(item: CurrentItem): string {
  const name = [text(item.fields, "firstName"), text(item.fields, "lastName")].filter(Boolean).join(" ");
  return text(item.fields, "subject") || name;
}

/** What the pane says when the CRM refuses the token (SPEC §13). */
export const SIGNED_OUT = "Signed out of the CRM: your sign-in expired or was revoked.";

function actionOf(code: string): string {
  return code in ERROR_TABLE ? ERROR_TABLE[code as ErrorCode].action : ERROR_TABLE.syncFailed.action;
}

/** Notices from the engine's status and the cache's storage state (SPEC §10, §13). */
function notices(status: EngineStatus, runtime: AddinRuntime): NoticeModel[] {
  const list: NoticeModel[] = status.notices.map((notice) => ({
    id: notice.code,
    tone: notice.code === "secondaryClient" || notice.code === "serverSyncs" ? "info" : "warning",
    message: notice.message,
    action:
      notice.code === "secondaryClient"
        ? "Change it under Settings if this should be your synchronizing client."
        : notice.code === "serverSyncs"
          ? "Your CRM administrator turned background sync on; Sync now asks the server to run."
          : actionOf(notice.code),
  }));
  const storage = runtime.cache.storageInfo();
  if (storage.closed !== undefined) {
    list.push({
      id: "storageClosed",
      tone: "error",
      message: ERROR_TABLE.storageClosed.message,
      action: ERROR_TABLE.storageClosed.action,
    });
  } else if (runtime.storageWarning !== null) {
    const code = runtime.storageWarning.code;
    list.push({
      id: code,
      tone: code === "storageUnavailable" ? "error" : "warning",
      ...runtime.storageWarning.userText,
    });
  }
  return list;
}

function syncModel(status: EngineStatus): SyncModel {
  return {
    running: status.running,
    lastSyncAt: status.lastSyncAt,
    nextSyncAt: status.nextSyncAt,
    pending: status.pending,
    progress: status.progress,
    errors: status.errors.map((error) => ({
      mapId: error.mapId,
      title: `Item ${error.mapId.slice(0, 8)} did not sync`,
      message: error.message,
      action: actionOf(error.code === "syncFailed" ? "syncFailed" : error.code),
    })),
    cycleError: status.lastCycleError ? cycleErrorModel(status.lastCycleError, status.nextSyncAt) : null,
    server: status.server === null ? null : serverModel(status.server),
  };
}

const RUN_OUTCOMES: Readonly<Record<"ok" | "failed" | "throttled", string>> = {
  ok: "Completed",
  failed: "Failed",
  throttled: "Throttled; the server tries again later",
};

/** The server's background sync as the pane tells it (times of day in the user's locale, like the others). */
export function serverModel(server: ServerSyncStatus): ServerModel {
  const run = server.lastRun;
  const changes = run === null ? "" : `, ${run.changes} change${run.changes === 1 ? "" : "s"}`;
  return {
    headline:
      run === null
        ? "Synced by the server; it has not run yet"
        : `Synced by the server, last run ${clockTime(run.startedAt)}`,
    outcome: run === null ? "" : `${RUN_OUTCOMES[run.outcome]}${changes}.`,
    errors: run?.errors ?? [],
    waiting: server.runPending ? "Waiting for the server to run…" : null,
  };
}

/** A time of day as the pane shows when sync tries again (HH:MM in the user's locale). */
function clockTime(ms: number): string {
  return new Date(ms).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
}

/**
 * The failed cycle as the pane tells it: a throttled one says so and when it retries; the others keep their
 * message and add when the next automatic try is.
 */
function cycleErrorModel(
  error: { readonly code: string; readonly message: string },
  nextSyncAt: number | null,
): { message: string; action: string } {
  // A 401: the token expired or was revoked; the user is signed out, not facing a sync fault.
  if (error.code === "unauthorized") return { message: SIGNED_OUT, action: actionOf(error.code) };
  if (error.code === "rateLimited" && nextSyncAt !== null) {
    return { message: `Throttled, retrying at ${clockTime(nextSyncAt)}.`, action: actionOf(error.code) };
  }
  const retry = nextSyncAt === null ? "" : ` Next try at ${clockTime(nextSyncAt)}.`;
  return { message: error.message, action: `${actionOf(error.code)}${retry}` };
}

/** A model for the moments before the add-in is connected, or when connecting failed. */
export function offlineModel(notice: NoticeModel): TaskpaneModel {
  return {
    item: null,
    sync: {
      running: false,
      lastSyncAt: null,
      nextSyncAt: null,
      pending: 0,
      progress: null,
      errors: [],
      cycleError: null,
      server: null,
    },
    notices: [notice],
    conflicts: [],
    settings: DEFAULT_SETTINGS,
    package: null,
  };
}

export class TaskpaneController implements Disposable {
  private readonly subscriptions: Disposable[] = [];
  private readonly labels = new Map<string, string>();
  private refreshing: Promise<void> | null = null;
  private again = false;
  private disposed = false;

  constructor(
    private readonly runtime: AddinRuntime,
    private readonly view: TaskpaneView,
  ) {}

  /** The actions the view's controls call. */
  static actions(runtime: Promise<AddinRuntime>, refresh: () => void): TaskpaneActions {
    const withItem = async (): Promise<{ r: AddinRuntime; item: CurrentItem }> => {
      const r = await runtime;
      const item = await currentItem(r);
      if (item === null) throw new SyncError("invalidInput", { details: "Select an item first." });
      return { r, item };
    };
    const after = <T>(promise: Promise<T>): Promise<T> => promise.finally(refresh);
    return {
      track: () =>
        after(
          withItem().then(async ({ r, item }) =>
            actionText("track", await r.engine.track({ surface: surfaceOf(item.mode), ...itemRef(item) })),
          ),
        ),
      untrack: (deleteInCrm) =>
        after(
          withItem().then(async ({ r, item }) =>
            actionText(
              "untrack",
              await r.engine.untrack({ surface: surfaceOf(item.mode), ...itemRef(item), deleteInCrm }),
            ),
          ),
        ),
      syncNow: () =>
        after(
          runtime.then(async (r) => {
            const status = await r.engine.syncOrAskServer();
            return status.server === null ? syncText(status) : "The server was asked to run now.";
          }),
        ),
      retry: (mapId) => after(runtime.then(async (r) => syncText(await r.engine.retry(mapId)))),
      searchRecords: async (query) => {
        const r = await runtime;
        return (await r.engine.lookup(query)).map((hit) => ({
          crmId: hit.id,
          label: `${hit.name} (${hit.type})`,
        }));
      },
      setRegarding: (record: RecordRef) =>
        after(
          withItem().then(async ({ r, item }) => {
            await r.engine.setRegarding({
              surface: surfaceOf(item.mode),
              ...itemRef(item),
              regardingId: record.crmId,
            });
            return `Regarding set to ${record.label}.`;
          }),
        ),
      saveSettings: (settings) =>
        after(
          runtime.then(async (r) => {
            await r.engine.saveSettings(settings);
            return "Settings saved.";
          }),
        ),
      readLog: async () => (await runtime).cache.exportLog(),
      confirmPackage: () =>
        after(
          runtime.then(async (r) => {
            await r.engine.confirmPackage();
            return "The new CRM package applies at the next sync.";
          }),
        ),
      dismissNotSaved: (mapId) =>
        after(
          runtime.then(async (r) => {
            await r.engine.dismissNotSaved(mapId);
            return "Dismissed.";
          }),
        ),
    };
  }

  /** Follows the engine's status and the host's ItemChanged, and renders now. */
  start(): void {
    const { engine, host } = this.runtime;
    this.subscriptions.push(
      engine.onStatus(() => this.refresh()),
      host.onItemChanged(() => {
        this.labels.clear();
        this.refresh();
      }),
    );
    this.refresh();
  }

  /** Rebuilds the model and renders it; calls during a rebuild run once more after it. */
  refresh(): void {
    if (this.disposed) return;
    if (this.refreshing !== null) {
      this.again = true;
      return;
    }
    this.refreshing = this.build()
      .then((model) => {
        if (!this.disposed) this.view.render(model);
      })
      .catch((error: unknown) => {
        this.runtime.logger.error("task pane refresh failed", { error: String(error) });
        if (!this.disposed) {
          this.view.render(
            offlineModel({ id: "refresh", tone: "error", message: failureText(error), action: "" }),
          );
        }
      })
      .finally(() => {
        this.refreshing = null;
        if (this.again) {
          this.again = false;
          this.refresh();
        }
      });
  }

  dispose(): void {
    this.disposed = true;
    for (const subscription of this.subscriptions.splice(0)) subscription.dispose();
    this.view.dispose();
  }

  private async build(): Promise<TaskpaneModel> {
    const { engine } = this.runtime;
    const status = engine.status();
    // Reading the open item may need Graph (an id conversion); when that fails, the rest of the pane still
    // shows the sync's state, and the item's failure is one notice more.
    const [read, conflicts] = await Promise.all([
      currentItem(this.runtime).then(
        (item) => ({ item, failure: null }),
        (error: unknown) => ({ item: null, failure: error }),
      ),
      engine.conflicts(50),
    ]);
    const itemNotice: NoticeModel[] =
      read.failure === null
        ? []
        : [
            {
              id: "item",
              tone: "warning",
              message: `The open item could not be read. ${failureText(read.failure)}`,
              action: "",
            },
          ];
    return {
      item: read.item === null ? null : await this.itemModel(read.item),
      sync: syncModel(status),
      notices: [...notices(status, this.runtime), ...itemNotice],
      conflicts: conflicts.map((c): ConflictModel => ({
        at: c.at,
        itemLabel: c.type,
        field: c.field,
        kept: show(c.kept),
        overwritten: show(c.overwritten),
        winner: c.winner === "crm" ? "CRM" : "Outlook",
      })),
      settings: engine.settings(),
      package: packageModel(status.package),
    };
  }

  private async itemModel(item: CurrentItem): Promise<ItemModel> {
    const state = item.link?.state ?? "untracked";
    const crmId = item.link?.crmId ?? null;
    const record = crmId === null ? null : await this.record(crmId);
    const regardingId = record === null ? null : text(record.fields, "regardingobjectid") || null;
    return {
      title: itemTitle(item),
      kindLabel: KIND_LABELS[item.kind],
      state,
      record: record === null || crmId === null ? null : { crmId, label: recordLabel(record) },
      regarding: regardingId === null ? null : { crmId: regardingId, label: await this.label(regardingId) },
      canTrack: state === "untracked" || UNTRACK_REQUESTS.has(state) || state === "suspended",
      canUntrack: state !== "untracked" && !UNTRACK_REQUESTS.has(state),
      untrackOffersDelete: untrackOffersDelete(item.kind),
      canSetRegarding: item.kind !== "draftEmail" && item.kind !== "contact",
    };
  }

  private async record(crmId: string): Promise<CrmRecord | null> {
    const data = await this.runtime.crm.getSpecificSyncData([crmId]).catch(() => null);
    const record = data?.records[0] ?? null;
    if (record !== null) this.labels.set(crmId, recordLabel(record));
    return record;
  }

  private async label(crmId: string): Promise<string> {
    const known = this.labels.get(crmId);
    if (known !== undefined) return known;
    const record = await this.record(crmId);
    return record === null ? crmId : recordLabel(record);
  }
}
