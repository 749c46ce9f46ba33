/**
 * The task pane's "CRM package" section (SPEC §11, §12): the package in force (role, version, what it syncs), a
 * package waiting for the user's Confirm with the local changes it could not save, one waiting for changes to
 * reach the CRM, the preferred add-in version, the last package problem with its likely cause and what to do,
 * and the changes a confirmed package could not save, each with Dismiss. The model is plain data built from the
 * engine's package status; the view renders it and nothing else.
 */
import { ENTITY_PLURALS } from "../../core/package-rules";
import type { PackageStatus } from "../../engine/sync-engine";
import { el, part, setChildren } from "./dom";

/** One local change a package could not save, as the section lists it. */
export interface UnsavedChangeModel {
  readonly mapId: string;
  readonly message: string;
}

/** What the section shows. */
export interface PackageModel {
  /** "salesperson 2.0.0.0", or the default package's name while none is applied. */
  readonly applied: string;
  /** The types the package in force syncs, as the user reads them. */
  readonly syncs: string;
  readonly productVersion: string;
  /** A package waiting for Confirm; `confirmed` once the user pressed it (it applies at the next sync). */
  readonly waiting: {
    readonly version: string;
    readonly confirmed: boolean;
    readonly unsaved: readonly UnsavedChangeModel[];
  } | null;
  /** A package waiting for these changes to reach the CRM. */
  readonly blocked: { readonly version: string; readonly changes: readonly string[] } | null;
  /** The preferred add-in version notice, when SPEC §11 says to report it. */
  readonly preferred: string | null;
  readonly problem: { readonly message: string; readonly action: string; readonly error: boolean } | null;
  readonly notSaved: readonly UnsavedChangeModel[];
  /** The initial synchronization a package still needs, when it does. */
  readonly building: string | null;
}

/** The controls of the section. */
export interface PackageActions {
  confirmPackage(): Promise<string>;
  dismissNotSaved(mapId?: string): Promise<string>;
}

const plural = (type: keyof typeof ENTITY_PLURALS): string => {
  const text = ENTITY_PLURALS[type];
  return text.charAt(0).toUpperCase() + text.slice(1);
};

/** The section's model from the engine's package status. */
export function packageModel(status: PackageStatus): PackageModel {
  const preferred = status.preferredProduct;
  return {
    applied:
      status.applied === null
        ? "None yet: the standard mapping and filters apply"
        : `${status.applied.version} for the role "${status.applied.role}"`,
    syncs: status.entities.map(plural).join(", ") || "nothing",
    productVersion: status.productVersion,
    waiting:
      status.waiting === null
        ? null
        : {
            version: status.waiting.version,
            confirmed: status.waiting.confirmed,
            unsaved: status.waiting.unsaved.map((c) => ({ mapId: c.mapId, message: c.message })),
          },
    blocked:
      status.blocked === null
        ? null
        : { version: status.blocked.version, changes: status.blocked.changes.map((c) => c.message) },
    preferred:
      preferred === null
        ? null
        : `Add-in version ${preferred} is the one your CRM package prefers; this is ${status.productVersion}.`,
    problem:
      status.problem === null
        ? null
        : {
            message: status.problem.message,
            action: status.problem.action,
            error: status.problem.cause !== "schemaIncompatible",
          },
    notSaved: status.notSaved.map((c) => ({ mapId: c.mapId, message: c.message })),
    building:
      status.building.length === 0
        ? null
        : `Initial synchronization of ${status.building.map((type) => ENTITY_PLURALS[type]).join(", ")} runs at the next sync.`,
  };
}

/** The section's DOM, empty; {@link renderPackageSection} fills it. */
export function packageSection(): HTMLElement {
  return el(
    "section",
    { class: "card", "aria-labelledby": "package-title", "data-part": "package" },
    el("h2", { id: "package-title" }, "CRM package"),
    el(
      "dl",
      { class: "facts" },
      el("dt", {}, "In use"),
      el("dd", { "data-part": "package-applied" }),
      el("dt", {}, "Syncs"),
      el("dd", { "data-part": "package-syncs" }),
      el("dt", {}, "Add-in version"),
      el("dd", { "data-part": "package-product" }),
    ),
    el("div", { class: "notice info", role: "note", hidden: true, "data-part": "package-preferred" }),
    el("div", { class: "notice", hidden: true, "data-part": "package-problem" }),
    el("p", { class: "item-meta", hidden: true, "data-part": "package-building" }),
    el(
      "div",
      {
        class: "confirm",
        hidden: true,
        role: "group",
        "aria-label": "Package waiting",
        "data-part": "package-waiting",
      },
      el("p", { "data-part": "package-waiting-text" }),
      el("ul", {
        class: "errors",
        "aria-label": "Changes the new package cannot save",
        "data-part": "package-unsaved",
      }),
      el(
        "button",
        { type: "button", class: "primary", "data-part": "package-confirm" },
        "Confirm the new package",
      ),
    ),
    el(
      "div",
      { hidden: true, role: "group", "aria-label": "Changes not saved", "data-part": "package-not-saved" },
      el("p", {}, "These local changes were not saved in the CRM by the package in use:"),
      el("ul", { class: "errors", "aria-label": "Changes not saved", "data-part": "package-not-saved-list" }),
    ),
  );
}

/** Runs a control's action: the view's feedback line shows its result or failure. */
export type RunAction = (button: HTMLButtonElement | null, action: () => Promise<string>) => Promise<void>;

/** Connects the section's Confirm button once; its click goes to `actions` through `run`. */
export function wirePackageSection(
  section: HTMLElement,
  actions: PackageActions,
  run: RunAction,
  signal: AbortSignal,
): void {
  const confirm = part<HTMLButtonElement>(section, "package-confirm");
  confirm.addEventListener("click", () => void run(confirm, () => actions.confirmPackage()), { signal });
}

/** Fills the section for `model` (hidden while there is none); Dismiss clicks go to `actions` through `run`. */
export function renderPackageSection(
  section: HTMLElement,
  model: PackageModel | null,
  actions: PackageActions,
  run: RunAction,
  signal: AbortSignal,
): void {
  section.hidden = model === null;
  if (model === null) return;
  const get = <T extends HTMLElement>(name: string): T => part<T>(section, name);
  get("package-applied").textContent = model.applied;
  get("package-syncs").textContent = model.syncs;
  get("package-product").textContent = model.productVersion;
  const preferred = get("package-preferred");
  preferred.hidden = model.preferred === null;
  preferred.textContent = model.preferred ?? "";
  const problem = get("package-problem");
  problem.hidden = model.problem === null;
  problem.className = `notice ${model.problem?.error === false ? "warning" : "error"}`;
  problem.setAttribute("role", model.problem?.error === false ? "note" : "alert");
  setChildren(
    problem,
    ...(model.problem
      ? [el("strong", {}, model.problem.message), " ", el("span", {}, model.problem.action)]
      : []),
  );
  const building = get("package-building");
  building.hidden = model.building === null;
  building.textContent = model.building ?? "";

  get("package-waiting").hidden = model.waiting === null && model.blocked === null;
  get("package-waiting-text").textContent = waitingText(model);
  get("package-confirm").hidden = model.waiting === null || model.waiting.confirmed;
  const blockedRows = (model.blocked?.changes ?? []).map((message) =>
    el("li", { class: "error" }, el("p", {}, message)),
  );
  setChildren(
    get("package-unsaved"),
    ...(model.waiting?.unsaved ?? []).map((change) =>
      el("li", { class: "error" }, el("p", {}, change.message)),
    ),
    ...blockedRows,
  );

  const notSaved = get("package-not-saved");
  notSaved.hidden = model.notSaved.length === 0;
  setChildren(
    get("package-not-saved-list"),
    ...model.notSaved.map((change) => {
      const dismiss = el("button", { type: "button", "aria-label": `Dismiss: ${change.message}` }, "Dismiss");
      dismiss.addEventListener(
        "click",
        () => void run(dismiss, () => actions.dismissNotSaved(change.mapId)),
        {
          signal,
        },
      );
      return el("li", { class: "error", "data-map-id": change.mapId }, el("p", {}, change.message), dismiss);
    }),
  );
}

function waitingText(model: PackageModel): string {
  if (model.waiting?.confirmed)
    return `Package ${model.waiting.version} is confirmed; it applies at the next sync.`;
  if (model.waiting) {
    const count = model.waiting.unsaved.length;
    return count === 0
      ? `Package ${model.waiting.version} waits for your confirmation. No local change is lost by it.`
      : `Package ${model.waiting.version} waits for your confirmation. It cannot save ${count} local change${count > 1 ? "s" : ""}:`;
  }
  if (model.blocked) return `Package ${model.blocked.version} applies once these changes reach the CRM:`;
  return "";
}
