/**
 * Background-sync metrics (written by metrics-text.ts): the queue's jobs by state,
 * read from the database (the same for every instance), and this process's counters since it started (sync
 * runs by outcome, a histogram of run durations, Graph requests and Graph 429 answers).
 */
import type { QueueCounts, WakeReason } from "./mailbox-queue";
import type { MetricFamily } from "./metrics-text";

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

  /** This process's metric families. */
  processFamilies(): MetricFamily[] {
    return [
      {
        name: "outlook_crm_sync_running",
        help: "Mailbox sync runs in progress in this process.",
        type: "gauge",
        samples: [{ value: this.running }],
      },
      {
        name: "outlook_crm_sync_runs_total",
        help: "Mailbox sync runs finished by this process, by outcome.",
        type: "counter",
        samples: OUTCOMES.map((outcome) => ({ labels: { outcome }, value: this.runs.get(outcome) ?? 0 })),
      },
      {
        name: "outlook_crm_sync_queued_total",
        help: "Mailbox jobs this process queued, by what woke the mailbox.",
        type: "counter",
        samples: [...this.queuedBy].map(([reason, value]) => ({ labels: { reason }, value })),
      },
      {
        name: "outlook_crm_sync_duration_seconds",
        help: "How long mailbox sync runs took.",
        type: "histogram",
        samples: [
          ...DURATION_BUCKETS.map((bound, index) => ({
            suffix: "_bucket",
            labels: { le: String(bound) },
            value: this.bucketCounts[index] ?? 0,
          })),
          { suffix: "_bucket", labels: { le: "+Inf" }, value: this.durationCount },
          { suffix: "_sum", value: this.durationSum },
          { suffix: "_count", value: this.durationCount },
        ],
      },
      {
        name: "outlook_crm_graph_requests_total",
        help: "HTTP requests sync runs sent to Microsoft Graph.",
        type: "counter",
        samples: [{ value: this.graphRequests }],
      },
      {
        name: "outlook_crm_graph_throttled_total",
        help: "Microsoft Graph answers 429 Too Many Requests.",
        type: "counter",
        samples: [{ value: this.graphThrottled }],
      },
    ];
  }
}

/** The queue's jobs by state. */
export function queueFamily(counts: QueueCounts): MetricFamily {
  return {
    name: "outlook_crm_jobs",
    help: "Mailbox sync jobs in the queue, by state (dead: failed every retry).",
    type: "gauge",
    samples: (["queued", "running", "retrying", "dead"] as const).map((state) => ({
      labels: { state },
      value: counts[state],
    })),
  };
}
