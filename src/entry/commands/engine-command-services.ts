import { SyncError } from "../../core/errors";
import type { ActionOutcome } from "../../engine/sync-engine";
import type { CurrentItem } from "../../ports/outlook-host";
import { commandText, surfaceOf, syncText, untrackOffersDelete } from "./action-text";
import type { AddinRuntime } from "./addin-runtime";
import type { CommandServices } from "./command-services";
import { currentItem, itemRef } from "./current-item";

/** The sentence after a Track or Untrack by `runtime`'s engine, given the item's stamp before it. */
export async function explainOutcome(
  runtime: AddinRuntime,
  action: "track" | "untrack",
  outcome: ActionOutcome,
  stampBefore: string | null,
): Promise<string> {
  const stillPending = outcome.mapId !== null && (await runtime.cache.getEntry(outcome.mapId)) !== undefined;
  return commandText(action, outcome, { stampBefore, stillPending });
}

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
      const outcome = await engine.track({ surface: surfaceOf(item.mode), ...itemRef(item) });
      return explainOutcome(runtime, "track", outcome, item.link?.state ?? null);
    },
    async untrack() {
      const item = await current();
      const outcome = await engine.untrack({
        surface: surfaceOf(item.mode),
        ...itemRef(item),
        deleteInCrm: false,
      });
      const text = commandText("untrack", outcome, {
        stampBefore: item.link?.state ?? null,
        stillPending: false,
      });
      return untrackOffersDelete(item.kind) && item.link?.state === "tracked"
        ? `${text} To also delete the CRM record, use Untrack in the CRM pane.`
        : text;
    },
    async syncNow() {
      return syncText(await engine.syncNow());
    },
  };
}
