/**
 * A background-sync worker process: runs the mailbox jobs of the queue, queues the enabled mailboxes whose next
 * run is due (polling, the fallback), and queues a mailbox at once when the CRM hints that its view changed
 * (LISTEN/NOTIFY) or Graph notified a change (the sync server's Graph notification endpoint NOTIFYs
 * graph-subscription-store.ts's channel), and at once when the user asked for a run or the add-in handed the
 * mailbox over (background-sync-service.ts's channel). A mailbox whose add-in still synchronizes it waits for the
 * handover (docs/SPEC.md "A mailbox has one synchronizer"). Any number of workers share one
 * PostgreSQL with no coordination of their own: the queue's singleton key keeps one job per mailbox running,
 * and claiming due mailboxes skips rows another worker holds.
 */
import type { HeadlessRunner, HeadlessRunReport } from "../../headless/headless-runner";
import type { Clock, Disposable } from "../../ports/clock";
import type { Logger } from "../../ports/logger";
import type { Database } from "../db/database";
import { runRequestChannel, type RunRequestNotice } from "../sync/background-sync-service";
import type { ChangeNotice } from "../sync/change-feed";
import type { MailboxRegistry } from "./mailbox-registry";
import type { MailboxQueue, SyncJobData, WakeReason } from "./mailbox-queue";
import type { WorkerMetrics } from "./worker-metrics";

/** What a worker needs from the headless engine: one sync run of one mailbox, reported, never thrown. */
export type MailboxRunner = Pick<HeadlessRunner, "runMailbox">;

export interface WorkerSettings {
  /** How often each enabled mailbox is synced when nothing wakes it earlier (default 15 minutes). */
  readonly intervalMs: number;
  /** Jobs this process runs at a time (default 4). */
  readonly concurrency: number;
  /** How often this worker looks for mailboxes whose next run is due (default 30 s). */
  readonly scheduleEveryMs: number;
  /**
   * A wake-up (CRM hint, Graph notification) queues the job this much later (default 5 s), so that a burst of
   * changes, and the hints of the run's own writes, are one job.
   */
  readonly wakeDelayMs: number;
  /**
   * A mailbox whose primary client is an add-in that synchronized within this long is not run until the add-in
   * releases it; past it the add-in is taken to be closed (default {@link HANDOVER_SILENCE_MS}).
   */
  readonly handoverSilenceMs?: number;
  /** A job that waited for the add-in looks again this much later (default {@link HANDOVER_RETRY_MS}). */
  readonly handoverRetryMs?: number;
}

export const DEFAULT_WORKER_SETTINGS: WorkerSettings = {
  intervalMs: 15 * 60_000,
  concurrency: 4,
  scheduleEveryMs: 30_000,
  wakeDelayMs: 5_000,
};

/** How long an add-in that has not handed the mailbox over must be silent before the server takes it. */
export const HANDOVER_SILENCE_MS = 30 * 60_000;
/** When a mailbox that waited for the add-in is looked at again. */
export const HANDOVER_RETRY_MS = 60_000;

/** At most this many due mailboxes are claimed by one look. */
const CLAIM_BATCH = 500;

export class SyncWorker {
  private scheduleTimer: Disposable | null = null;
  private readonly listeners: { close(): Promise<void> }[] = [];
  private stopped = false;

  constructor(
    private readonly deps: {
      readonly db: Database;
      readonly queue: MailboxQueue;
      readonly registry: MailboxRegistry;
      readonly runner: MailboxRunner;
      /** The CRM's NOTIFY channel of change hints (CrmService.channel). */
      readonly crmChannel: string;
      /** The NOTIFY channel of Graph's notifications (GraphSubscriptionStore.channel); none without subscriptions. */
      readonly graphChannel?: string;
      readonly clock: Clock;
      readonly logger: Logger;
      readonly metrics: WorkerMetrics;
      readonly settings: WorkerSettings;
    },
  ) {}

  /** Starts the queue, the job loop, the CRM listener and the schedule. */
  async start(): Promise<void> {
    const { queue, settings } = this.deps;
    await queue.start();
    await queue.work((job, signal) => this.run(job, signal), settings.concurrency);
    this.listeners.push(
      await this.deps.db.listen(this.deps.crmChannel, (payload) => {
        this.onHint(payload, "crm").catch((error: unknown) =>
          this.deps.logger.error("queueing after a CRM change failed", { error: String(error) }),
        );
      }),
    );
    this.listeners.push(
      await this.deps.db.listen(runRequestChannel(this.deps.db.schema), (payload) => {
        this.onRequest(payload).catch((error: unknown) =>
          this.deps.logger.error("queueing a requested run failed", { error: String(error) }),
        );
      }),
    );
    if (this.deps.graphChannel !== undefined) {
      this.listeners.push(
        await this.deps.db.listen(this.deps.graphChannel, (payload) => {
          this.onHint(payload, "graph").catch((error: unknown) =>
            this.deps.logger.error("queueing after a Graph notification failed", { error: String(error) }),
          );
        }),
      );
    }
    await this.tick();
  }

  /** Queues these mailboxes (those enabled) after the wake delay. */
  async wake(userIds: readonly string[] | null, reason: WakeReason): Promise<void> {
    const enabled = await this.deps.registry.enabledUsers(userIds);
    const at = new Date(this.deps.clock.now() + this.deps.settings.wakeDelayMs);
    await this.deps.queue.enqueue(enabled, reason, at);
    this.deps.metrics.queued(reason, enabled.length);
  }

  /** A CRM change hint (ChangeNotice) or a Graph notice (GraphNotice): both name the users, or null for all. */
  private async onHint(payload: string, reason: "crm" | "graph"): Promise<void> {
    const notice = JSON.parse(payload) as Pick<ChangeNotice, "users">;
    await this.wake(notice.users, reason);
  }

  /**
   * A run the user asked for, or a handover: queued at once, with no wake delay. A job already waiting (its
   * wake delay running) is not queued twice; the run it starts is after the request.
   */
  private async onRequest(payload: string): Promise<void> {
    const notice = JSON.parse(payload) as RunRequestNotice;
    const enabled = await this.deps.registry.enabledUsers(notice.users);
    await this.deps.queue.enqueue(enabled, "request");
    this.deps.metrics.queued("request", enabled.length);
  }

  /** Claims the mailboxes whose next run is due and queues them; then looks again after scheduleEveryMs. */
  private async tick(): Promise<void> {
    try {
      await this.scheduleDue();
    } catch (error) {
      this.deps.logger.error("scheduling due mailboxes failed", { error: String(error) });
    }
    if (!this.stopped) {
      this.scheduleTimer = this.deps.clock.setTimeout(
        () => void this.tick(),
        this.deps.settings.scheduleEveryMs,
      );
    }
  }

  /** Queues every enabled mailbox due now, in batches; returns how many. */
  async scheduleDue(): Promise<number> {
    const { registry, queue, clock, settings } = this.deps;
    let total = 0;
    for (;;) {
      const now = clock.now();
      const due = await registry.claimDue(now, now + settings.intervalMs, CLAIM_BATCH);
      await queue.enqueue(due, "schedule");
      this.deps.metrics.queued("schedule", due.length);
      total += due.length;
      if (due.length < CLAIM_BATCH) return total;
    }
  }

  private async run(job: SyncJobData, signal: AbortSignal): Promise<void> {
    const { registry, runner, clock, settings, metrics } = this.deps;
    if (!(await registry.isEnabled(job.userId))) return;
    const claim = await registry.claimForRun(
      job.userId,
      settings.handoverSilenceMs ?? HANDOVER_SILENCE_MS,
      clock.now() + (settings.handoverRetryMs ?? HANDOVER_RETRY_MS),
    );
    if (!claim.run) {
      this.deps.logger.info("mailbox waits for the add-in to hand it over", {
        userId: job.userId,
        clientId: claim.clientId,
        seenAt: new Date(claim.seenAt).toISOString(),
      });
      return;
    }
    metrics.started();
    const startedAt = clock.now();
    let report: HeadlessRunReport;
    try {
      report = await runner.runMailbox(job.userId, { signal });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      report = {
        userId: job.userId,
        startedAt: new Date(startedAt).toISOString(),
        durationMs: clock.now() - startedAt,
        changes: 0,
        errors: [message],
        outcome: "failed",
        graphRequests: 0,
        graphThrottled: 0,
      };
    } finally {
      metrics.finished();
    }
    metrics.observe(report);
    const started = Date.parse(report.startedAt);
    const nextRunAt =
      report.outcome === "throttled" && report.retryAt !== undefined
        ? Date.parse(report.retryAt)
        : started + settings.intervalMs;
    await registry.recordRun(job.userId, { ...report, startedAt: started }, nextRunAt);
    this.deps.logger.info("mailbox synced", {
      userId: job.userId,
      reason: job.reason,
      outcome: report.outcome,
      changes: report.changes,
      durationMs: report.durationMs,
    });
    if (report.outcome === "failed") throw new Error(report.errors[0] ?? "the sync run failed");
  }

  /** Stops scheduling and listening, lets running jobs end (their signal aborts) and closes the queue. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.scheduleTimer?.dispose();
    await Promise.all(this.listeners.splice(0).map((listener) => listener.close()));
    await this.deps.queue.stop();
  }
}
