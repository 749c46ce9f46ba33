import type { SimulatedMailbox } from "../../sim/mailbox/simulated-mailbox";
import { el } from "../taskpane/dom";
import { failureText } from "../commands/command-runner";

/** How many Graph calls one press of "Throttle Graph" answers with 429, and the Retry-After it sends. */
const THROTTLED_CALLS = 5;
const RETRY_AFTER_SECONDS = 30;

/**
 * The simulator's fault controls (issue 7): drop change notifications, delete the selected item without
 * notifying, throttle Graph, and take the sync server down.
 */
export function renderFaultControls(root: HTMLElement, mailbox: SimulatedMailbox): void {
  const status = el("p", { role: "status", class: "fault-status" });
  const drop = el("input", { type: "checkbox", name: "drop-notices" });
  drop.addEventListener("change", () => {
    if (drop.checked) mailbox.faults.dropNotices("all");
    else mailbox.faults.deliverNotices();
    status.textContent = drop.checked
      ? "Change notifications are dropped."
      : "Change notifications are delivered.";
  });
  const silentDelete = el("button", { type: "button" }, "Delete the selected item without notifying");
  silentDelete.addEventListener("click", () => {
    const selection = mailbox.selection();
    if (selection === null) {
      status.textContent = "Select an item first.";
      return;
    }
    mailbox.deleteItem(selection.itemId, { notify: false, by: "world" });
    status.textContent = "Deleted without a notification: only reconciliation can find it.";
  });
  const throttle = el("button", { type: "button" }, "Throttle Graph");
  throttle.addEventListener("click", () => {
    mailbox.faults.throttle(THROTTLED_CALLS, RETRY_AFTER_SECONDS);
    status.textContent = `The next ${THROTTLED_CALLS} Graph calls answer 429 (Retry-After ${RETRY_AFTER_SECONDS} s).`;
  });
  const down = el("input", { type: "checkbox", name: "server-down" });
  down.addEventListener("change", () => {
    fetch(`sim/crm-down?down=${down.checked}`, { method: "PUT" }).then(
      (response) => {
        status.textContent = response.ok
          ? down.checked
            ? "The sync server is down: its connections are cut."
            : "The sync server is up again."
          : `The server refused: ${response.status}.`;
      },
      (error: unknown) => {
        status.textContent = failureText(error);
      },
    );
  });
  root.replaceChildren(
    el("h2", {}, "Faults"),
    el("label", { class: "check" }, drop, el("span", {}, "Drop notifications")),
    el("div", { class: "actions" }, silentDelete, throttle),
    el("label", { class: "check" }, down, el("span", {}, "Take the server down")),
    status,
  );
}
