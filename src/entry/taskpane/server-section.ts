/**
 * The "synced by the server" part of the pane's sync status (docs/SPEC.md "A mailbox has one synchronizer"): its
 * DOM, and its rendering of the controller's {@link ServerModel}; hidden while the add-in synchronizes itself.
 */
import { el, part, setChildren } from "./dom";
import type { ServerModel } from "./taskpane-model";

/** The part, built once (hidden). */
export function serverSyncPart(): HTMLElement {
  return el(
    "div",
    { class: "server-sync", hidden: true, "data-part": "server-sync" },
    el("p", { "data-part": "server-headline" }),
    el("p", { "data-part": "server-outcome" }),
    el("p", { role: "status", "data-part": "server-waiting" }),
    el("ul", {
      class: "errors",
      "aria-label": "Errors of the server's last run",
      "data-part": "server-errors",
    }),
  );
}

/** Shows the server's last run, its errors and a pending run; `syncNow` becomes "Ask the server to run". */
export function renderServerSync(root: HTMLElement, syncNow: HTMLElement, server: ServerModel | null): void {
  root.hidden = server === null;
  syncNow.textContent = server === null ? "Sync now" : "Ask the server to run";
  part(root, "server-headline").textContent = server?.headline ?? "";
  part(root, "server-outcome").textContent = server?.outcome ?? "";
  const waiting = part(root, "server-waiting");
  waiting.hidden = server?.waiting == null;
  waiting.textContent = server?.waiting ?? "";
  setChildren(part(root, "server-errors"), ...(server?.errors ?? []).map((error) => el("li", {}, error)));
}
