/**
 * The job queue of background sync, on pg-boss 10 in the same PostgreSQL as the CRM (its own schema,
 * `<crm schema>_jobs`). pg-boss rather than graphile-worker: graphile-worker 0.18 needs Node ≥ 22.18 (this
 * project supports Node 20), and pg-boss has singleton keys and dead-letter queues built in; pg-boss 11 and later
 * need Node 22 too, hence version 10.
 *
 * One queue, `mailbox-sync`, with the `stately` policy and the user id as singleton key: per mailbox at most one
 * job waits and one runs, so two workers never sync the same mailbox at once and a burst of wake-ups is one job.
 * A job that fails is retried with exponential backoff; after the last retry pg-boss moves a copy to
 * `mailbox-sync-dead`, which nothing consumes: those are the dead jobs `jobs dead` lists.
 */
import PgBoss from "pg-boss";
import type { Logger } from "../../ports/logger";
import { assertSchemaName, type Database, type SqlExecutor } from "../db/database";

export const SYNC_QUEUE = "mailbox-sync";
export const DEAD_QUEUE = "mailbox-sync-dead";

/** Why a mailbox's job was queued. */
export type WakeReason = "schedule" | "graph" | "crm" | "admin" | "request";

export interface SyncJobData {
  readonly userId: string;
  readonly reason: WakeReason;
}

/** How jobs are retried and how long one may run. */
export interface RetrySettings {
  /** Retries after the first failure before the job is dead (default 3). */
  readonly retryLimit: number;
  /** Seconds before the first retry; each next one waits twice as long (default 30). */
  readonly retryDelaySeconds: number;
  /** A job running longer than this is failed and retried (a worker that died; default 600). */
  readonly expireSeconds: number;
}

export const DEFAULT_RETRY: RetrySettings = { retryLimit: 3, retryDelaySeconds: 30, expireSeconds: 600 };

/** A job that used every retry. */
export interface DeadJob {
  readonly id: string;
  readonly userId: string;
  readonly reason: WakeReason;
  /** When it was moved to the dead-letter queue. */
  readonly diedAt: number;
  /** The last failure's message. */
  readonly error: string;
}

/** Jobs by state, now. */
export interface QueueCounts {
  readonly queued: number;
  readonly running: number;
  readonly retrying: number;
  readonly dead: number;
}

/** The pg-boss schema that belongs to a CRM schema. */
export const queueSchema = (crmSchema: string): string => assertSchemaName(`${crmSchema}_jobs`);

/** What one fetched job is handed to. It resolves for a job done, throws for a job to retry. */
export type JobHandler = (job: SyncJobData, signal: AbortSignal) => Promise<void>;

const isSyncJob = (data: unknown): data is SyncJobData =>
  typeof data === "object" && data !== null && typeof (data as { userId?: unknown }).userId === "string";

export class MailboxQueue {
  private readonly boss: PgBoss;
  private readonly stopping = new AbortController();

  constructor(
    private readonly options: {
      readonly connectionString: string;
      /** The CRM database (PostgreSQL); the queue lives in {@link queueSchema} of its schema. */
      readonly db: Database;
      readonly logger: Logger;
      readonly retry?: RetrySettings;
      /** Seconds between fetches when the queue was empty (pg-boss's minimum is 0.5; default 2). */
      readonly pollingSeconds?: number;
      /** Connections of this process's pool (default 4). */
      readonly maxConnections?: number;
    },
  ) {
    this.boss = new PgBoss({
      connectionString: options.connectionString,
      schema: queueSchema(options.db.schema),
      max: options.maxConnections ?? 4,
      schedule: false,
      application_name: "outlook-crm-worker",
    });
    this.boss.on("error", (error) => options.logger.error("job queue failed", { error: error.message }));
  }

  /**
   * Installs or migrates the queue's schema and creates or updates both queues. Workers starting together
   * take turns (an advisory lock): pg-boss's queue creation deadlocks against itself otherwise.
   */
  async start(): Promise<void> {
    const retry = this.options.retry ?? DEFAULT_RETRY;
    await this.options.db.transaction(async (tx) => {
      await tx.query("SELECT pg_advisory_xact_lock(hashtext($1))", [
        `${queueSchema(this.options.db.schema)}.setup`,
      ]);
      await this.boss.start();
      await this.ensureQueue(DEAD_QUEUE, { name: DEAD_QUEUE, policy: "standard", retentionDays: 14 });
      await this.ensureQueue(SYNC_QUEUE, {
        name: SYNC_QUEUE,
        policy: "stately",
        retryLimit: retry.retryLimit,
        retryDelay: retry.retryDelaySeconds,
        retryBackoff: true,
        expireInSeconds: retry.expireSeconds,
        deadLetter: DEAD_QUEUE,
      });
    });
  }

  private async ensureQueue(name: string, queue: PgBoss.Queue): Promise<void> {
    if ((await this.boss.getQueue(name)) === null) await this.boss.createQueue(name, queue);
    else await this.boss.updateQueue(name, queue);
  }

  /**
   * Queues a job for each mailbox (one statement), due at once or at `startAfter`. A mailbox that already has a
   * waiting job gets no second one.
   */
  async enqueue(userIds: readonly string[], reason: WakeReason, startAfter?: Date): Promise<void> {
    if (userIds.length === 0) return;
    await this.boss.insert(
      userIds.map((userId) => ({
        name: SYNC_QUEUE,
        data: { userId, reason } satisfies SyncJobData,
        singletonKey: userId,
        ...(startAfter === undefined ? {} : { startAfter }),
      })),
    );
  }

  /**
   * Runs up to `concurrency` jobs at a time in this process until {@link stop}. Each job is handed to `handler`
   * with a signal that aborts when the worker stops; a job whose handler throws is retried (then dead).
   */
  async work(handler: JobHandler, concurrency: number): Promise<void> {
    await this.boss.work<SyncJobData>(
      SYNC_QUEUE,
      { batchSize: concurrency, pollingIntervalSeconds: this.options.pollingSeconds ?? 2 },
      async (jobs) => {
        // Jobs of one batch run together; each one's failure fails only that job (the rest complete).
        await Promise.all(
          jobs.map(async (job) => {
            try {
              if (!isSyncJob(job.data)) throw new Error(`job ${job.id} has no user id`);
              await handler(job.data, this.stopping.signal);
            } catch (error) {
              const message = error instanceof Error ? error.message : String(error);
              await this.boss.fail(SYNC_QUEUE, job.id, { message });
            }
          }),
        );
      },
    );
  }

  /** Stops fetching, aborts running jobs' signals and waits up to `timeoutMs` for them, then closes the pool. */
  async stop(timeoutMs = 30_000): Promise<void> {
    this.stopping.abort(new Error("the worker is stopping"));
    await this.boss.stop({ graceful: true, close: true, wait: true, timeout: timeoutMs });
  }
}

interface DeadRow {
  id: string;
  data: unknown;
  created_on: Date;
  output: { message?: unknown } | null;
}

/**
 * Reads the queue's tables in the database (for the admin command and `/metrics`, which run no worker).
 * Before any worker started there is no queue: everything reads as empty.
 */
export class QueueInspector {
  private readonly schema: string;

  constructor(
    private readonly db: SqlExecutor,
    crmSchema: string,
  ) {
    this.schema = queueSchema(crmSchema);
  }

  private async installed(): Promise<boolean> {
    const result = await this.db.query<{ name: string | null }>("SELECT to_regclass($1)::text AS name", [
      `${this.schema}.job`,
    ]);
    return result.rows[0]?.name != null;
  }

  /** Jobs waiting, running, waiting for a retry, and dead (optionally of one mailbox). */
  async counts(userId?: string): Promise<QueueCounts> {
    if (!(await this.installed())) return { queued: 0, running: 0, retrying: 0, dead: 0 };
    const result = await this.db.query<{ name: string; state: string; count: number }>(
      `SELECT name, state, count(*)::int AS count FROM ${this.schema}.job
        WHERE name IN ($1, $2) AND state IN ('created', 'retry', 'active') AND ($3::text IS NULL OR data->>'userId' = $3)
        GROUP BY name, state`,
      [SYNC_QUEUE, DEAD_QUEUE, userId ?? null],
    );
    const count = (name: string, state: string): number =>
      result.rows.find((row) => row.name === name && row.state === state)?.count ?? 0;
    return {
      queued: count(SYNC_QUEUE, "created"),
      running: count(SYNC_QUEUE, "active"),
      retrying: count(SYNC_QUEUE, "retry"),
      dead: count(DEAD_QUEUE, "created"),
    };
  }

  /** The dead jobs, newest first, at most `limit` (optionally of one mailbox). */
  async deadJobs(limit: number, userId?: string): Promise<DeadJob[]> {
    if (!(await this.installed())) return [];
    const result = await this.db.query<DeadRow>(
      `SELECT id::text AS id, data, created_on, output FROM ${this.schema}.job
        WHERE name = $1 AND state = 'created' AND ($2::text IS NULL OR data->>'userId' = $2)
        ORDER BY created_on DESC, id LIMIT $3`,
      [DEAD_QUEUE, userId ?? null, limit],
    );
    return result.rows.map((row) => {
      const data = isSyncJob(row.data) ? row.data : { userId: "?", reason: "schedule" as const };
      const message = row.output?.message;
      return {
        id: row.id,
        userId: data.userId,
        reason: data.reason,
        diedAt: new Date(row.created_on).getTime(),
        error: typeof message === "string" ? message : "(no message)",
      };
    });
  }
}
