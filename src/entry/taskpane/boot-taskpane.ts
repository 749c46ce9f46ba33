import type { AddinRuntime } from "../commands/addin-runtime";
import { failureText } from "../commands/command-runner";
import { offlineModel, TaskpaneController } from "./taskpane-controller";
import { TaskpaneView } from "./taskpane-view";

/** What the pane shows while another runtime of this mailbox owns the sync. */
export const WAITING_FOR_OWNER =
  "Another Outlook window is synchronizing this mailbox. This pane takes over when that one closes.";

/**
 * Shows the task pane in `root` at once (with a "connecting" notice), then follows the runtime `connect`
 * starts; `connect` calls `waiting` when it has to wait for another window that owns the sync. A failed start
 * is shown with what happened and what to do. The pane is released on pagehide.
 */
export function bootTaskpane(
  root: HTMLElement,
  connect: (waiting: () => void) => Promise<AddinRuntime>,
): void {
  let controller: TaskpaneController | null = null;
  let view: TaskpaneView | null = null;
  let started = false;
  const runtime = connect(() => {
    if (!started)
      view?.render(offlineModel({ id: "waiting", tone: "info", message: WAITING_FOR_OWNER, action: "" }));
  });
  view = new TaskpaneView(
    root,
    TaskpaneController.actions(runtime, () => controller?.refresh()),
  );
  view.render(
    offlineModel({ id: "connecting", tone: "info", message: "Connecting to the CRM…", action: "" }),
  );
  const shown = view;
  runtime.then(
    (ready) => {
      started = true;
      controller = new TaskpaneController(ready, shown);
      controller.start();
      if (!ready.engine.status().initialSyncDone) {
        ready.engine
          .syncNow()
          .catch((error: unknown) => ready.logger.warn("first sync failed", { error: String(error) }));
      }
    },
    (error: unknown) =>
      shown.render(offlineModel({ id: "connect", tone: "error", message: failureText(error), action: "" })),
  );
  window.addEventListener("pagehide", () => controller?.dispose(), { once: true });
}
