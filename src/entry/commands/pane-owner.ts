import type { Clock } from "../../ports/clock";
import type { Logger } from "../../ports/logger";
import type { KeyValueStore } from "../launch-events/launch-requests";
import type { AddinRuntime } from "./addin-runtime";
import { ownerRequestHandler } from "./owned-command-services";
import { holdSyncOwnership, RequestPump, type LockManagerLike } from "./sync-owner";

/** The pinned task pane as the sync owner: its runtime, once it holds the lock, and how to let go. */
export interface PaneOwnership {
  readonly runtime: Promise<AddinRuntime>;
  dispose(): void;
}

/**
 * Waits for the sync lock, then starts the engine and the request pump; both are released, and then the lock,
 * on dispose. A start that fails lets the lock go at once, so commands run on their own.
 */
export function ownSyncFromPane(deps: {
  readonly locks: LockManagerLike;
  readonly store: KeyValueStore;
  readonly mailbox: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly startRuntime: () => Promise<AddinRuntime>;
  readonly onWaiting: () => void;
}): PaneOwnership {
  let resolveRuntime: (runtime: AddinRuntime) => void = () => undefined;
  let rejectRuntime: (error: unknown) => void = () => undefined;
  const runtime = new Promise<AddinRuntime>((resolve, reject) => {
    resolveRuntime = resolve;
    rejectRuntime = reject;
  });
  const ownership = holdSyncOwnership({
    locks: deps.locks,
    mailbox: deps.mailbox,
    logger: deps.logger,
    onWaiting: deps.onWaiting,
    start: async () => {
      let started: AddinRuntime;
      try {
        started = await deps.startRuntime();
      } catch (error) {
        rejectRuntime(error);
        throw error;
      }
      const pump = new RequestPump({ ...deps, logger: started.logger, handle: ownerRequestHandler(started) });
      pump.start();
      resolveRuntime(started);
      return {
        dispose: () => {
          pump.dispose();
          started.engine.dispose();
        },
      };
    },
  });
  return { runtime, dispose: () => ownership.dispose() };
}
