/**
 * The ribbon commands under the one-owner rule (sync-owner.ts). With no pane owning the sync, a command takes
 * the sync lock, starts an engine, does its action and the queued requests, and disposes the engine before it
 * lets go. With a pane, it forwards the action and shows the pane's answer. A draft being composed is the
 * exception: Track and Untrack only set or clear its "track on send" stamp, which needs no engine, and the
 * send event does the rest.
 */
import { SyncError } from "../../core/errors";
import type { Clock } from "../../ports/clock";
import type { Logger } from "../../ports/logger";
import { entityTypeOfKind, type CurrentItem, type OutlookHost } from "../../ports/outlook-host";
import type { KeyValueStore, LaunchRequest } from "../launch-events/launch-requests";
import { actionText, surfaceOf, syncText, untrackOffersDelete } from "./action-text";
import type { AddinRuntime } from "./addin-runtime";
import type { CommandServices } from "./command-services";
import { engineCommandServices, explainOutcome } from "./engine-command-services";
import { failureText, ReportedFailure } from "./command-runner";
import {
  forwardToOwner,
  RequestPump,
  ownOrForward,
  type LockManagerLike,
  type OwnerAnswer,
} from "./sync-owner";

export interface OwnedCommandDeps {
  readonly host: OutlookHost;
  readonly logger: Logger;
  readonly locks: LockManagerLike;
  readonly store: KeyValueStore;
  readonly clock: Clock;
  /** The mailbox's address: the lock and the queue are per mailbox. */
  readonly mailbox: string;
  /** Builds and starts this runtime's engine; called only while the sync lock is held. */
  readonly startRuntime: () => Promise<AddinRuntime>;
  readonly newId: () => string;
}

/** The sentence when the owner did not answer in time: the request waits in the queue. */
export const QUEUED_TEXT =
  "Sent to the CRM pane, which has not answered yet: it carries this out at its next check.";

type Action = "track" | "untrack" | "syncNow";

/**
 * What the owner does with a batch of requests: Track and Untrack one by one, then one sync for the sends and
 * every Sync now of the batch. Each request gets an answer; one failing never stops the others.
 */
export function ownerRequestHandler(
  runtime: AddinRuntime,
): (requests: readonly LaunchRequest[]) => Promise<ReadonlyMap<string, OwnerAnswer>> {
  return async (requests) => {
    const { engine } = runtime;
    const answers = new Map<string, OwnerAnswer>();
    const answer = async (id: string, work: () => Promise<string>): Promise<void> => {
      try {
        answers.set(id, { ok: true, text: await work() });
      } catch (error) {
        runtime.logger.warn("a forwarded request failed", { error: String(error) });
        answers.set(id, { ok: false, text: failureText(error) });
      }
    };
    const syncs: LaunchRequest[] = [];
    for (const request of requests) {
      const { itemId, itemType } = request;
      if ((request.kind === "track" || request.kind === "untrack") && itemId !== null && itemType !== null) {
        const action = request.kind;
        const item = { itemId, type: itemType };
        await answer(request.id, async () => {
          const before = (await runtime.mailbox.getItems([item])).get(itemId)?.link?.state ?? null;
          const outcome =
            action === "track"
              ? await engine.track({ surface: request.surface, item })
              : await engine.untrack({ surface: request.surface, item, deleteInCrm: false });
          return explainOutcome(runtime, action, outcome, before);
        });
      } else {
        syncs.push(request);
      }
    }
    if (syncs.length > 0) {
      const status = await engine.syncNow();
      for (const request of syncs) answers.set(request.id, { ok: true, text: syncText(status) });
    }
    return answers;
  };
}

/** The commands over the owner rule. */
export function ownedCommandServices(deps: OwnedCommandDeps): CommandServices {
  const { host, logger } = deps;

  /** Runs `action` as the owner: engine started, action, the requests queued so far, engine disposed. */
  const asOwner = async (action: Action): Promise<string> => {
    const runtime = await deps.startRuntime();
    try {
      const text = await engineCommandServices(runtime)[action]();
      await new RequestPump({ ...deps, handle: ownerRequestHandler(runtime) }).drain();
      return text;
    } finally {
      runtime.engine.dispose();
    }
  };

  const forward = async (action: Action, item: CurrentItem | null): Promise<string> => {
    const request: LaunchRequest = {
      id: deps.newId(),
      kind: action,
      itemId: item?.itemId ?? null,
      itemType: item === null || item.itemId === null ? null : entityTypeOfKind(item.kind),
      surface: surfaceOf(item?.mode ?? "read"),
      at: deps.clock.now(),
    };
    const answer = await forwardToOwner(deps, request);
    if (answer === null) return QUEUED_TEXT;
    if (!answer.ok) throw new ReportedFailure(answer.text);
    return action === "untrack" &&
      item !== null &&
      untrackOffersDelete(item.kind) &&
      item.link?.state === "tracked"
      ? `${answer.text} To also delete the CRM record, use Untrack in the CRM pane.`
      : answer.text;
  };

  const run = async (action: Action): Promise<string> => {
    const item = action === "syncNow" ? null : await host.getCurrentItem();
    if (action !== "syncNow" && item === null) {
      throw new SyncError("invalidInput", { details: "Select an item first." });
    }
    return ownOrForward({
      ...deps,
      work: () => asOwner(action),
      forward: async () => {
        if (item?.kind === "draftEmail") return draftAction(host, action, item);
        if (action !== "syncNow" && item?.itemId === null) {
          throw new SyncError("invalidInput", { details: "Save the item first, then track it." });
        }
        return forward(action, item);
      },
    });
  };

  return {
    logger,
    notify: (notice) => host.notify(notice),
    track: () => run("track"),
    untrack: () => run("untrack"),
    syncNow: () => run("syncNow"),
  };
}

/** Track / Untrack on a draft being composed while another runtime owns the sync: only its stamp changes. */
async function draftAction(host: OutlookHost, action: Action, item: CurrentItem): Promise<string> {
  const marked = item.link?.state === "trackOnSend";
  if (action === "track") {
    if (!marked) await host.setCurrentItemLink({ crmId: null, state: "trackOnSend" });
    return actionText("track", { timing: "onSend", mapId: null });
  }
  if (!marked) return "This draft is not marked for tracking: nothing to untrack.";
  await host.setCurrentItemLink(null);
  return actionText("untrack", { timing: "never", mapId: null });
}
