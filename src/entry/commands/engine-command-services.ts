import { SyncError } from "../../core/errors";
import type { CurrentItem } from "../../ports/outlook-host";
import { actionText, surfaceOf, syncText, untrackOffersDelete } from "./action-text";
import type { AddinRuntime } from "./addin-runtime";
import type { CommandServices } from "./command-services";
import { currentItem, itemRef } from "./current-item";

/** The ribbon commands over a started runtime: each maps to one engine call. */
export function engineCommandServices(runtime: AddinRuntime): CommandServices {
  const { engine, host, logger } = runtime;
  const current = async (): Promise<CurrentItem> => {
    const item = await currentItem(runtime);
    if (item === null) throw new SyncError("invalidInput", { details: "Select an item first." });
    return item;
  };
  return {
    logger,
    notify: (notice) => host.notify(notice),
    async track() {
      const item = await current();
      return actionText("track", await engine.track({ surface: surfaceOf(item.mode), ...itemRef(item) }));
    },
    async untrack() {
      const item = await current();
      const text = actionText(
        "untrack",
        await engine.untrack({ surface: surfaceOf(item.mode), ...itemRef(item), deleteInCrm: false }),
      );
      return untrackOffersDelete(item.kind)
        ? `${text} To also delete the CRM record, use Untrack in the CRM pane.`
        : text;
    },
    async syncNow() {
      return syncText(await engine.syncNow());
    },
  };
}
