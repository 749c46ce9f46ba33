import { SyncError } from "../../core/errors";
import type { SimulatedMailbox } from "../../sim/mailbox/simulated-mailbox";
import { el } from "../taskpane/dom";
import { failureText } from "../commands/command-runner";

/** What the server's fault switches are (`GET /sim/faults`). */
interface FaultState {
  readonly crmDown: boolean;
  readonly dropNotices: boolean;
  readonly throttleGraph: boolean;
}

/** Set by Reset demo for the next page load: the add-in's cache and client id go, as on a new install. */
const RESET_FLAG = "outlookCrmSync.resetCache";
const CLIENT_ID_KEY = "outlookCrmSync.clientId";

/** The fault panel, drawn before the rest of the page; `attach` adds what needs the mailbox. */
export interface FaultControls {
  attach(mailbox: SimulatedMailbox): void;
}

async function faultRequest(
  method: "GET" | "PUT" | "POST",
  path: string,
  body?: unknown,
): Promise<FaultState> {
  const response = await fetch(path, {
    method,
    cache: "no-store",
    ...(body === undefined
      ? {}
      : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  }).catch((cause: unknown) => {
    throw new SyncError("network", { details: `The simulator's server did not answer ${path}.`, cause });
  });
  if (!response.ok) {
    throw new SyncError("serverError", {
      details: `The simulator's server answered ${response.status} to ${path}.`,
    });
  }
  return (await response.json()) as FaultState;
}

/**
 * After Reset demo, deletes the add-in's IndexedDB cache and client id before the add-in opens them, so the
 * add-in starts as a new install against the fresh mailbox and CRM.
 */
export async function forgetAddinCache(mailboxAddress: string): Promise<void> {
  if (sessionStorage.getItem(RESET_FLAG) === null) return;
  sessionStorage.removeItem(RESET_FLAG);
  localStorage.removeItem(CLIENT_ID_KEY);
  await new Promise<void>((resolve) => {
    const request = indexedDB.deleteDatabase(`outlook-crm-sync:${mailboxAddress}`);
    request.onsuccess = request.onerror = request.onblocked = () => resolve();
  });
}

/**
 * The simulator's fault controls: drop change notifications, delete the selected item without notifying,
 * throttle Graph, take the server down, and start the demo over. The switches live on the server (the
 * mailbox's and the Graph twin's), so they survive a reload, and the panel shows their state when it opens.
 */
export function renderFaultControls(root: HTMLElement): FaultControls {
  const status = el("p", { role: "status", class: "fault-status" });
  const report = (action: Promise<string>): void => {
    action.then(
      (text) => {
        status.textContent = text;
      },
      (error: unknown) => {
        status.textContent = failureText(error);
      },
    );
  };
  const drop = el("input", { type: "checkbox", name: "drop-notices" });
  drop.addEventListener("change", () =>
    report(
      faultRequest("PUT", "sim/faults", { dropNotices: drop.checked }).then((state) =>
        state.dropNotices ? "Change notifications are dropped." : "Change notifications are delivered.",
      ),
    ),
  );
  const silentDelete = el(
    "button",
    { type: "button", disabled: true },
    "Delete the selected item without notifying",
  );
  const throttle = el("input", { type: "checkbox", name: "throttle-graph" });
  throttle.addEventListener("change", () =>
    report(
      faultRequest("PUT", "sim/faults", { throttleGraph: throttle.checked }).then((state) =>
        state.throttleGraph
          ? "Graph is throttled: every call answers 429 (Retry-After 60 s)."
          : "Graph answers again.",
      ),
    ),
  );
  const down = el("input", { type: "checkbox", name: "server-down" });
  down.addEventListener("change", () =>
    report(
      faultRequest("PUT", "sim/faults", { crmDown: down.checked }).then((state) =>
        state.crmDown ? "The sync server is down: its connections are cut." : "The sync server is up again.",
      ),
    ),
  );
  const reset = el("button", { type: "button" }, "Reset demo");
  reset.addEventListener("click", () => {
    if (reset.dataset["armed"] !== "true") {
      reset.dataset["armed"] = "true";
      reset.textContent = "Reset everything: press again";
      status.textContent =
        "Reset demo puts the mailbox, the add-in's data and the CRM's records back to the demo.";
      return;
    }
    reset.disabled = true;
    report(
      faultRequest("POST", "sim/reset").then(() => {
        sessionStorage.setItem(RESET_FLAG, "1");
        window.location.reload();
        return "The demo starts over…";
      }),
    );
  });
  root.replaceChildren(
    el("h2", {}, "Faults"),
    el("label", { class: "check" }, drop, el("span", {}, "Drop notifications")),
    el("label", { class: "check" }, throttle, el("span", {}, "Throttle Graph")),
    el("div", { class: "actions" }, silentDelete),
    el("label", { class: "check" }, down, el("span", {}, "Take the server down")),
    el("div", { class: "actions" }, reset),
    status,
  );
  report(
    faultRequest("GET", "sim/faults").then((state) => {
      drop.checked = state.dropNotices;
      throttle.checked = state.throttleGraph;
      down.checked = state.crmDown;
      return state.crmDown ? "The sync server is down: untick “Take the server down” to bring it back." : "";
    }),
  );
  return {
    attach(mailbox) {
      silentDelete.disabled = false;
      silentDelete.addEventListener("click", () => {
        const selection = mailbox.selection();
        if (selection === null) {
          status.textContent = "Select an item first.";
          return;
        }
        try {
          mailbox.deleteItem(selection.itemId, { notify: false, by: "world" });
          status.textContent = "Deleted without a notification: only reconciliation can find it.";
        } catch (error) {
          status.textContent = failureText(error);
        }
      });
    },
  };
}
