import type { AddinRuntime } from "../commands/addin-runtime";
import { failureText } from "../commands/command-runner";
import { offlineModel, TaskpaneController } from "./taskpane-controller";
import { TaskpaneView } from "./taskpane-view";

/**
 * Shows the task pane in `root` at once (with a "connecting" notice), then follows the runtime `connect`
 * starts. A failed start is shown with what happened and what to do. The pane is released on pagehide.
 */
export function bootTaskpane(root: HTMLElement, connect: () => Promise<AddinRuntime>): void {
  const runtime = connect();
  let controller: TaskpaneController | null = null;
  const view = new TaskpaneView(
    root,
    TaskpaneController.actions(runtime, () => controller?.refresh()),
  );
  view.render(
    offlineModel({ id: "connecting", tone: "info", message: "Connecting to the CRM…", action: "" }),
  );
  runtime.then(
    (started) => {
      controller = new TaskpaneController(started, view);
      controller.start();
      if (!started.engine.status().initialSyncDone) {
        started.engine
          .syncNow()
          .catch((error: unknown) => started.logger.warn("first sync failed", { error: String(error) }));
      }
    },
    (error: unknown) =>
      view.render(offlineModel({ id: "connect", tone: "error", message: failureText(error), action: "" })),
  );
  window.addEventListener("pagehide", () => controller?.dispose(), { once: true });
}
