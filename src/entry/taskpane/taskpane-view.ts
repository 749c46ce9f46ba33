/**
 * The task pane's DOM (issue 7 "Task pane"): the current item, sync status, errors with Retry, the conflict
 * history, the log with export, settings and login options, and notices. It renders a {@link TaskpaneModel}
 * and maps clicks to {@link TaskpaneActions}; it holds no sync logic. Every control is a native, keyboard
 * reachable element with an accessible name, and every text is set through textContent.
 */
import { failureText } from "../commands/command-runner";
import { DOWNLOADABLE_ENTITY_TYPES, type DownloadableEntityType } from "../../core/types";
import type { Disposable } from "../../ports/clock";
import type { SyncSettings } from "../../ports/settings";
import { el, formatTime, part, setChildren } from "./dom";
import { packageSection, renderPackageSection, wirePackageSection } from "./package-section";
import { renderServerSync, serverSyncPart } from "./server-section";
import {
  ENTITY_LABELS,
  type ConflictModel,
  type ErrorModel,
  type ItemModel,
  type NoticeModel,
  type RecordRef,
  type SyncModel,
  type TaskpaneActions,
  type TaskpaneModel,
} from "./taskpane-model";

const STATE_LABELS: Readonly<Record<ItemModel["state"], string>> = {
  untracked: "Not tracked",
  tracked: "Tracked in CRM",
  trackRequested: "Tracking requested: the synchronizing client links it at its next sync",
  untrackRequested: "Untrack requested: the synchronizing client unlinks it at its next sync",
  untrackAndDeleteRequested:
    "Untrack requested: the synchronizing client unlinks it and deletes the CRM record at its next sync",
  trackOnSend: "Will be tracked when sent",
  suspended: "Not synced: the CRM package for your role does not sync this kind of item",
};

function field(label: string, control: HTMLElement): HTMLLabelElement {
  return el("label", { class: "field" }, el("span", { class: "field-label" }, label), control);
}

function checkbox(label: string, name: string): HTMLLabelElement {
  return el("label", { class: "check" }, el("input", { type: "checkbox", name }), el("span", {}, label));
}

function section(id: string, title: string, ...children: readonly Node[]): HTMLElement {
  return el(
    "section",
    { class: "card", "aria-labelledby": `${id}-title`, "data-part": id },
    el("h2", { id: `${id}-title` }, title),
    ...children,
  );
}

function skeleton(): HTMLElement {
  const entityChecks = DOWNLOADABLE_ENTITY_TYPES.map((type) =>
    checkbox(ENTITY_LABELS[type], `entity-${type}`),
  );
  return el(
    "div",
    { class: "pane" },
    el(
      "header",
      { class: "pane-header" },
      el("h1", {}, "CRM Sync"),
      el("button", { type: "button", class: "primary", "data-part": "sync-now" }, "Sync now"),
    ),
    el("div", { class: "notices", role: "region", "aria-label": "Notices", "data-part": "notices" }),
    el("p", { class: "feedback", role: "status", "aria-live": "polite", "data-part": "feedback" }),
    section(
      "item",
      "This item",
      el("p", { class: "item-title", "data-part": "item-title" }),
      el(
        "p",
        { class: "item-meta" },
        el("span", { "data-part": "item-kind" }),
        " · ",
        el("span", { "data-part": "item-state" }),
      ),
      el("p", { class: "item-record", "data-part": "item-record" }),
      el(
        "div",
        { class: "actions" },
        el("button", { type: "button", class: "primary", "data-part": "track" }, "Track in CRM"),
        el("button", { type: "button", "data-part": "untrack" }, "Untrack"),
      ),
      el(
        "div",
        {
          class: "confirm",
          hidden: true,
          "data-part": "untrack-confirm",
          role: "group",
          "aria-label": "Untrack options",
        },
        checkbox("Also delete the record in the CRM", "delete-in-crm"),
        el(
          "div",
          { class: "actions" },
          el(
            "button",
            { type: "button", class: "primary", "data-part": "untrack-confirm-button" },
            "Confirm untrack",
          ),
          el("button", { type: "button", "data-part": "untrack-cancel" }, "Cancel"),
        ),
      ),
      el(
        "form",
        { class: "regarding", role: "search", "aria-label": "Set Regarding", "data-part": "regarding-form" },
        el("p", { class: "regarding-current" }, "Regarding: ", el("span", { "data-part": "regarding" })),
        el(
          "div",
          { class: "search-row" },
          el("input", {
            type: "search",
            name: "query",
            "aria-label": "Search CRM records",
            placeholder: "Search CRM records",
          }),
          el("button", { type: "submit" }, "Search"),
        ),
        el("ul", { class: "results", "aria-label": "CRM records found", "data-part": "regarding-results" }),
      ),
    ),
    section(
      "status",
      "Sync status",
      el(
        "dl",
        { class: "facts" },
        el("dt", {}, "Last sync"),
        el("dd", { "data-part": "last-sync" }),
        el("dt", {}, "Next sync"),
        el("dd", { "data-part": "next-sync" }),
        el("dt", {}, "Pending changes"),
        el("dd", { "data-part": "pending" }),
      ),
      el(
        "div",
        { class: "progress", hidden: true, "data-part": "progress" },
        el("progress", { "aria-label": "Sync progress", "data-part": "progress-bar", max: 1, value: 0 }),
        el("span", { "data-part": "progress-text" }),
      ),
      serverSyncPart(),
      el("div", { class: "cycle-error", role: "alert", hidden: true, "data-part": "cycle-error" }),
      el("ul", { class: "errors", "aria-label": "Sync errors", "data-part": "errors" }),
    ),
    packageSection(),
    el(
      "details",
      { class: "card", "data-part": "conflicts" },
      el("summary", { "data-part": "conflicts-summary" }, "Conflict history"),
      el(
        "table",
        { class: "conflicts" },
        el("caption", {}, "Values a merge overwrote, newest first"),
        el(
          "thead",
          {},
          el(
            "tr",
            {},
            ...["When", "Item", "Field", "Kept", "Overwritten", "Winner"].map((h) =>
              el("th", { scope: "col" }, h),
            ),
          ),
        ),
        el("tbody", { "data-part": "conflict-rows" }),
      ),
    ),
    el(
      "details",
      { class: "card", "data-part": "log" },
      el("summary", {}, "Log"),
      el(
        "div",
        { class: "actions" },
        el("button", { type: "button", "data-part": "show-log" }, "Show log"),
        el("button", { type: "button", "data-part": "export-log" }, "Export log"),
      ),
      el("pre", { class: "log", tabindex: 0, "aria-label": "Log text", "data-part": "log-text" }),
    ),
    el(
      "details",
      { class: "card", "data-part": "settings" },
      el("summary", {}, "Settings"),
      el(
        "form",
        { class: "settings", "aria-label": "Settings", "data-part": "settings-form" },
        el("fieldset", {}, el("legend", {}, "Sync from CRM to Outlook"), ...entityChecks),
        checkbox("Update the Company Field", "updateCompanyField"),
        checkbox("This client is the synchronizing client", "isSyncClient"),
        checkbox("Roaming: every client synchronizes", "roaming"),
        field(
          "Automatic sync interval (minutes, 0 for manual only)",
          el("input", {
            type: "number",
            name: "intervalMinutes",
            min: 0,
            max: 1440,
            step: 1,
            required: true,
          }),
        ),
        el(
          "fieldset",
          {},
          el("legend", {}, "Login"),
          field("Server URL", el("input", { type: "url", name: "serverUrl", required: true })),
          field(
            "User",
            el("input", { type: "text", name: "userId", required: true, autocomplete: "username" }),
          ),
        ),
        el("button", { type: "submit", class: "primary" }, "Save settings"),
      ),
    ),
  );
}

/** The task pane's view: build once, then {@link render} each new model. */
export class TaskpaneView implements Disposable {
  private readonly tree: HTMLElement;
  private readonly abort = new AbortController();
  private model: TaskpaneModel | null = null;
  private settingsDirty = false;

  constructor(
    private readonly root: HTMLElement,
    private readonly actions: TaskpaneActions,
  ) {
    this.tree = skeleton();
    root.replaceChildren(this.tree);
    this.wire();
  }

  /** Shows `model`; settings being edited are kept until saved. */
  render(model: TaskpaneModel): void {
    this.model = model;
    this.renderNotices(model.notices);
    this.renderItem(model.item);
    this.renderSync(model.sync);
    this.renderConflicts(model.conflicts);
    renderPackageSection(this.get("package"), model.package, this.actions, this.runner, this.abort.signal);
    if (!this.settingsDirty) this.fillSettings(model.settings);
  }

  /** Removes the pane's listeners and content. */
  dispose(): void {
    this.abort.abort();
    this.root.replaceChildren();
  }

  private get<T extends HTMLElement>(name: string): T {
    return part<T>(this.tree, name);
  }

  private on(name: string, type: "click" | "submit" | "input", listener: (event: Event) => void): void {
    this.get(name).addEventListener(type, listener, { signal: this.abort.signal });
  }

  /** Runs an action from `button`: disabled while it runs, the result or failure shown in the feedback line. */
  private run(button: HTMLButtonElement | null, action: () => Promise<string>): Promise<void> {
    if (button) button.disabled = true;
    const feedback = this.get("feedback");
    feedback.classList.remove("failed");
    return action().then(
      (text) => {
        if (button) button.disabled = false;
        feedback.textContent = text;
      },
      (error: unknown) => {
        if (button) button.disabled = false;
        feedback.classList.add("failed");
        feedback.textContent = failureText(error);
      },
    );
  }

  private readonly runner = (
    button: HTMLButtonElement | null,
    action: () => Promise<string>,
  ): Promise<void> => this.run(button, action);

  private wire(): void {
    wirePackageSection(this.get("package"), this.actions, this.runner, this.abort.signal);
    const button = (event: Event): HTMLButtonElement => event.currentTarget as HTMLButtonElement;
    this.on("sync-now", "click", (e) => void this.run(button(e), () => this.actions.syncNow()));
    this.on("track", "click", (e) => void this.run(button(e), () => this.actions.track()));
    this.on("untrack", "click", (e) => {
      if (this.model?.item?.untrackOffersDelete) {
        this.get("untrack-confirm").hidden = false;
        this.get("untrack-confirm").querySelector("input")?.focus();
      } else void this.run(button(e), () => this.actions.untrack(false));
    });
    this.on("untrack-cancel", "click", () => this.closeUntrackConfirm());
    this.on("untrack-confirm-button", "click", (e) => {
      const deleteInCrm =
        this.get("untrack-confirm").querySelector<HTMLInputElement>("input")?.checked ?? false;
      this.closeUntrackConfirm();
      void this.run(button(e), () => this.actions.untrack(deleteInCrm));
    });
    this.on("regarding-form", "submit", (e) => {
      e.preventDefault();
      const form = e.currentTarget as HTMLFormElement;
      const query = (form.elements.namedItem("query") as HTMLInputElement).value.trim();
      void this.run(null, async () => {
        const hits = await this.actions.searchRecords(query);
        this.renderHits(hits);
        return hits.length === 0 ? `No CRM records match "${query}".` : `${hits.length} CRM records found.`;
      });
    });
    this.on(
      "show-log",
      "click",
      (e) =>
        void this.run(button(e), async () => {
          this.get("log-text").textContent = await this.actions.readLog();
          return "Log loaded.";
        }),
    );
    this.on(
      "export-log",
      "click",
      (e) =>
        void this.run(button(e), async () => {
          const text = await this.actions.readLog();
          const url = URL.createObjectURL(new Blob([text], { type: "text/plain" }));
          const link = el("a", { href: url, download: "crm-sync-log.txt" });
          link.click();
          URL.revokeObjectURL(url);
          return "Log exported as crm-sync-log.txt.";
        }),
    );
    this.on("settings-form", "input", () => {
      this.settingsDirty = true;
    });
    this.on("settings-form", "submit", (e) => {
      e.preventDefault();
      const settings = this.readSettings();
      void this.run((e.currentTarget as HTMLFormElement).querySelector("button"), async () => {
        const text = await this.actions.saveSettings(settings);
        this.settingsDirty = false;
        return text;
      });
    });
  }

  private closeUntrackConfirm(): void {
    this.get("untrack-confirm").hidden = true;
    this.get("untrack").focus();
  }

  private renderNotices(notices: readonly NoticeModel[]): void {
    setChildren(
      this.get("notices"),
      ...notices.map((n) =>
        el(
          "div",
          { class: `notice ${n.tone}`, role: n.tone === "error" ? "alert" : "note", "data-notice": n.id },
          el("strong", {}, n.message),
          " ",
          el("span", {}, n.action),
        ),
      ),
    );
  }

  private renderItem(item: ItemModel | null): void {
    const card = this.get("item");
    card.classList.toggle("empty", item === null);
    this.get("item-title").textContent = item ? item.title || "(no subject)" : "No item selected";
    this.get("item-kind").textContent = item?.kindLabel ?? "";
    this.get("item-state").textContent = item ? STATE_LABELS[item.state] : "";
    this.get("item-state").dataset["state"] = item?.state ?? "";
    this.get("item-record").textContent = item?.record ? `CRM record: ${item.record.label}` : "";
    this.get<HTMLButtonElement>("track").hidden = !item?.canTrack;
    this.get<HTMLButtonElement>("untrack").hidden = !item?.canUntrack;
    if (!item?.canUntrack) this.get("untrack-confirm").hidden = true;
    this.get("regarding-form").hidden = !item?.canSetRegarding;
    this.get("regarding").textContent = item?.regarding?.label ?? "none";
  }

  private renderHits(hits: readonly RecordRef[]): void {
    setChildren(
      this.get("regarding-results"),
      ...hits.map((hit) => {
        const choose = el(
          "button",
          { type: "button", "aria-label": `Set regarding to ${hit.label}` },
          hit.label,
        );
        choose.addEventListener(
          "click",
          () =>
            void this.run(choose, async () => {
              const text = await this.actions.setRegarding(hit);
              setChildren(this.get("regarding-results"));
              return text;
            }),
          { signal: this.abort.signal },
        );
        return el("li", {}, choose);
      }),
    );
  }

  private renderSync(sync: SyncModel): void {
    this.get("last-sync").textContent = sync.running ? "syncing now…" : formatTime(sync.lastSyncAt);
    this.get("next-sync").textContent =
      sync.nextSyncAt === null ? "manual only" : formatTime(sync.nextSyncAt);
    this.get("pending").textContent = String(sync.pending);
    const progress = this.get("progress");
    progress.hidden = sync.progress === null;
    if (sync.progress) {
      const bar = this.get<HTMLProgressElement>("progress-bar");
      bar.max = Math.max(sync.progress.total, 1);
      bar.value = sync.progress.done;
      this.get("progress-text").textContent =
        `${sync.progress.phase}: ${sync.progress.done} of ${sync.progress.total}`;
    }
    const cycle = this.get("cycle-error");
    cycle.hidden = sync.cycleError === null;
    setChildren(
      cycle,
      ...(sync.cycleError ? [el("strong", {}, sync.cycleError.message), " ", sync.cycleError.action] : []),
    );
    setChildren(this.get("errors"), ...sync.errors.map((error) => this.errorRow(error)));
    renderServerSync(this.get("server-sync"), this.get("sync-now"), sync.server);
  }

  private errorRow(error: ErrorModel): HTMLLIElement {
    const retry = el("button", { type: "button", "aria-label": `Retry ${error.title}` }, "Retry");
    retry.addEventListener("click", () => void this.run(retry, () => this.actions.retry(error.mapId)), {
      signal: this.abort.signal,
    });
    return el(
      "li",
      { class: "error", "data-map-id": error.mapId },
      el("strong", {}, error.title),
      el("p", {}, error.message),
      el("p", { class: "what-to-do" }, error.action),
      retry,
    );
  }

  private renderConflicts(conflicts: readonly ConflictModel[]): void {
    this.get("conflicts-summary").textContent = `Conflict history (${conflicts.length})`;
    setChildren(
      this.get("conflict-rows"),
      ...conflicts.map((c) =>
        el(
          "tr",
          {},
          ...[formatTime(c.at), c.itemLabel, c.field, c.kept, c.overwritten, c.winner].map((text) =>
            el("td", {}, text),
          ),
        ),
      ),
    );
  }

  private form(): HTMLFormElement {
    return this.get<HTMLFormElement>("settings-form");
  }

  private input(name: string): HTMLInputElement {
    return this.form().elements.namedItem(name) as HTMLInputElement;
  }

  private fillSettings(settings: SyncSettings): void {
    for (const type of DOWNLOADABLE_ENTITY_TYPES)
      this.input(`entity-${type}`).checked = settings.entities.includes(type);
    this.input("updateCompanyField").checked = settings.updateCompanyField;
    this.input("isSyncClient").checked = settings.isSyncClient;
    this.input("roaming").checked = settings.roaming;
    this.input("intervalMinutes").value = String(settings.intervalMinutes);
    this.input("serverUrl").value = settings.serverUrl;
    this.input("userId").value = settings.userId;
  }

  private readSettings(): SyncSettings {
    const entities: DownloadableEntityType[] = DOWNLOADABLE_ENTITY_TYPES.filter(
      (type) => this.input(`entity-${type}`).checked,
    );
    return {
      entities,
      updateCompanyField: this.input("updateCompanyField").checked,
      isSyncClient: this.input("isSyncClient").checked,
      roaming: this.input("roaming").checked,
      intervalMinutes: this.input("intervalMinutes").valueAsNumber,
      serverUrl: this.input("serverUrl").value.trim(),
      userId: this.input("userId").value.trim(),
    };
  }
}
