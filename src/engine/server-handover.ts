/**
 * The add-in's side of background sync (docs/SPEC.md "A mailbox has one synchronizer"): whether the server
 * synchronizes the mailbox (then the engine acts as a secondary client, whatever its settings say), the release
 * after a primary's last clean cycle, resuming the primary role when background sync is disabled, asking the
 * server for a run, and following that run until it started. It owns the timer of that follow-up. The headless
 * engine, which is the server's client, never follows it.
 */
import { SyncError } from "../core/errors";
import type { ClientRole } from "../core/types";
import type { Disposable } from "../ports/clock";
import type { BackgroundSyncState, BackgroundSyncStatus } from "../ports/crm-client";
import type { SyncSettings } from "../ports/settings";
import type { CycleContext } from "./cycle-context";
import type { SyncEngineDeps } from "./engine-deps";
import type { ServerSyncStatus, StatusBoard } from "./engine-status";
import { processChangeLog } from "./entry-processor";
import type { SerialQueue } from "./serial-queue";

/** While a run this client asked the server for is pending, its status is read this often (ms)… */
const RUN_CHECK_MS = 5_000;
/** …at most this many times (two minutes); after that the next cycle reads it. */
const RUN_CHECKS = 24;

/** The server's background-sync status as the engine keeps it (times in ms). */
function serverStatus(status: BackgroundSyncStatus): ServerSyncStatus {
  const run = status.lastRun;
  return {
    lastRun: run === null ? null : { ...run, startedAt: Date.parse(run.startedAt) },
    nextRunAt: status.nextRunAt === null ? null : Date.parse(status.nextRunAt),
    runPending: status.runPending,
  };
}

export class ServerHandover implements Disposable {
  private syncs = false;
  private runCheck: Disposable | null = null;
  private disposed = false;

  constructor(
    private readonly parts: {
      readonly deps: SyncEngineDeps;
      readonly board: StatusBoard;
      /** The engine's job queue: the follow-up reads run in it, never beside a cycle. */
      readonly queue: SerialQueue;
      readonly settings: () => SyncSettings;
      /** The engine's role now (it asks {@link serverSyncs}). */
      readonly role: () => ClientRole;
    },
  ) {}

  /** The server synchronizes the mailbox: the engine acts as a secondary client. */
  get serverSyncs(): boolean {
    return this.syncs;
  }

  /** What registration said. */
  registered(state: BackgroundSyncState): void {
    if (this.parts.deps.headless !== true) this.syncs = state === "server";
  }

  /**
   * While the server synchronizes the mailbox: reads its status for the pane; when background sync was
   * disabled, this client resumes its own role (claiming the primary one again when it is the sync client).
   */
  async follow(): Promise<void> {
    const { deps, board } = this.parts;
    const status = await deps.crm.backgroundSyncStatus();
    if (status.enabled) {
      board.update({ server: serverStatus(status) });
      return;
    }
    this.syncs = false;
    board.update({ server: null, role: this.parts.role() });
    const settings = this.parts.settings();
    if (settings.isSyncClient && !settings.roaming) await deps.crm.setPrimaryClient(deps.clientId);
    deps.logger.info("background sync of the mailbox is off: this client synchronizes it again", {});
  }

  /** PrepareSync said the server took the mailbox over (this client was silent too long): a secondary now. */
  async takenOver(): Promise<void> {
    this.syncs = true;
    this.parts.deps.logger.info("the server synchronizes the mailbox: this client acts as a secondary", {});
    await this.follow();
  }

  /**
   * The primary's last cycle read `handOver`: once nothing is pending (entries the reconciliation listing
   * added are processed first), the mailbox is released to the server, which runs at once. Otherwise this
   * client stays primary and its next cycle tries again.
   */
  async handOver(context: CycleContext): Promise<void> {
    const { cache, crm, clientId, logger } = this.parts.deps;
    if ((await cache.countEntries()) > 0) await processChangeLog(context);
    const pending = await cache.countEntries();
    if (pending > 0) {
      logger.info("the mailbox is handed to the server once nothing is pending", { pending });
      return;
    }
    const status = await crm.releaseToBackgroundSync(clientId);
    this.syncs = true;
    this.parts.board.update({ server: serverStatus(status), role: this.parts.role() });
    logger.info("the mailbox was handed to the server's background sync", {});
    this.checkRequestedRun(RUN_CHECKS);
  }

  /**
   * Asks the server to run the mailbox now (a tracking request was stamped, or the pane's Sync now while the
   * server syncs). A failure to ask is logged: the request still waits on the item for the next run.
   */
  async askToRun(): Promise<void> {
    const { deps, board } = this.parts;
    try {
      board.update({ server: serverStatus(await deps.crm.requestBackgroundRun()) });
      this.checkRequestedRun(RUN_CHECKS);
    } catch (error) {
      if (!(error instanceof SyncError)) throw error;
      deps.logger.warn("asking the server for a run failed; the next run does the request", {
        code: error.code,
      });
    }
  }

  /** Stops the follow-up of a run asked for. */
  dispose(): void {
    this.disposed = true;
    this.runCheck?.dispose();
    this.runCheck = null;
  }

  /** Reads the server's status again after {@link RUN_CHECK_MS} while the run asked for is pending. */
  private checkRequestedRun(checksLeft: number): void {
    this.runCheck?.dispose();
    this.runCheck = null;
    if (this.disposed || checksLeft <= 0 || this.parts.board.get().server?.runPending !== true) return;
    this.runCheck = this.parts.deps.clock.setTimeout(() => {
      this.runCheck = null;
      void this.parts.queue
        .run(async () => {
          if (!this.syncs) return;
          await this.follow();
          this.checkRequestedRun(checksLeft - 1);
        })
        .catch((error: unknown) =>
          this.parts.deps.logger.error("background run check failed", {
            error: error instanceof Error ? error.message : String(error),
          }),
        );
    }, RUN_CHECK_MS);
  }
}
