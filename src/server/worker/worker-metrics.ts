/**
 * Background-sync metrics in the Prometheus text exposition format (version 0.0.4): the queue's jobs by state,
 * read from the database (the same for every instance), and this process's counters since it started (sync
 * runs by outcome, a histogram of run durations, Graph requests and Graph 429 answers).
 */
import type { QueueCounts, WakeReason } from "./mailbox-queue";

/** Upper bounds of the run-duration histogram, in seconds. */
const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300] as const;

const OUTCOMES = ["ok", "failed", "throttled"] as const;

export class WorkerMetrics {
  private running = 0;
  private readonly runs = new Map<string, number>(OUTCOMES.map((outcome) => [outcome, 0]));
  private readonly queuedBy = new Map<WakeReason, number>();
  private readonly bucketCounts: number[] = DURATION_BUCKETS.map(() => 0);
  private durationSum = 0;
  private durationCount = 0;
  private graphRequests = 0;
  private graphThrottled = 0;

  /** Counts mailboxes queued for `reason`. */
  queued(reason: WakeReason, count: number): void {
    this.queuedBy.set(reason, (this.queuedBy.get(reason) ?? 0) + count);
  }

  started(): void {
    this.running += 1;
  }

  finished(): void {
    this.running -= 1;
  }

  /** Adds one run's outcome, duration and Graph requests. */
  observe(run: {
    readonly outcome: (typeof OUTCOMES)[number];
    readonly durationMs: number;
    readonly graphRequests: number;
    readonly graphThrottled: number;
  }): void {
    this.runs.set(run.outcome, (this.runs.get(run.outcome) ?? 0) + 1);
    const seconds = run.durationMs / 1000;
    DURATION_BUCKETS.forEach((bound, index) => {
      if (seconds <= bound) this.bucketCounts[index] = (this.bucketCounts[index] ?? 0) + 1;
    });
    this.durationSum += seconds;
    this.durationCount += 1;
    this.graphRequests += run.graphRequests;
    this.graphThrottled += run.graphThrottled;
  }

  /** This process's metrics as exposition lines. */
  processLines(): string[] {
    return [
      "# HELP outlook_crm_sync_running Mailbox sync runs in progress in this process.",
      "# TYPE outlook_crm_sync_running gauge",
      `outlook_crm_sync_running ${this.running}`,
      "# HELP outlook_crm_sync_runs_total Mailbox sync runs finished by this process, by outcome.",
      "# TYPE outlook_crm_sync_runs_total counter",
      ...OUTCOMES.map(
        (outcome) => `outlook_crm_sync_runs_total{outcome="${outcome}"} ${this.runs.get(outcome)}`,
      ),
      "# HELP outlook_crm_sync_queued_total Mailbox jobs this process queued, by what woke the mailbox.",
      "# TYPE outlook_crm_sync_queued_total counter",
      ...[...this.queuedBy].map(
        ([reason, count]) => `outlook_crm_sync_queued_total{reason="${reason}"} ${count}`,
      ),
      "# HELP outlook_crm_sync_duration_seconds How long mailbox sync runs took.",
      "# TYPE outlook_crm_sync_duration_seconds histogram",
      ...DURATION_BUCKETS.map(
        (bound, index) =>
          `outlook_crm_sync_duration_seconds_bucket{le="${bound}"} ${this.bucketCounts[index]}`,
      ),
      `outlook_crm_sync_duration_seconds_bucket{le="+Inf"} ${this.durationCount}`,
      `outlook_crm_sync_duration_seconds_sum ${this.durationSum}`,
      `outlook_crm_sync_duration_seconds_count ${this.durationCount}`,
      "# HELP outlook_crm_graph_requests_total HTTP requests sync runs sent to Microsoft Graph.",
      "# TYPE outlook_crm_graph_requests_total counter",
      `outlook_crm_graph_requests_total ${this.graphRequests}`,
      "# HELP outlook_crm_graph_throttled_total Microsoft Graph answers 429 Too Many Requests.",
      "# TYPE outlook_crm_graph_throttled_total counter",
      `outlook_crm_graph_throttled_total ${this.graphThrottled}`,
    ];
  }
}

/** The queue's jobs by state as exposition lines. */
export function queueLines(counts: QueueCounts): string[] {
  return [
    "# HELP outlook_crm_jobs Mailbox sync jobs in the queue, by state (dead: failed every retry).",
    "# TYPE outlook_crm_jobs gauge",
    `outlook_crm_jobs{state="queued"} ${counts.queued}`,
    `outlook_crm_jobs{state="running"} ${counts.running}`,
    `outlook_crm_jobs{state="retrying"} ${counts.retrying}`,
    `outlook_crm_jobs{state="dead"} ${counts.dead}`,
  ];
}

/** The content type of the text format. */
export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
