/**
 * Background sync as a user's own clients reach it (docs/SPEC.md "A mailbox has one synchronizer"): the status
 * of the caller's mailbox, a run the user asks for, and the add-in's release of the mailbox to the server. A
 * request for a run NOTIFYs {@link runRequestChannel}, on which every worker LISTENs and queues the job at once.
 */
import { SyncError } from "../../core/errors";
import type { BackgroundSyncStatus } from "../../ports/crm-client";
import { SERVER_CLIENT_ID } from "../../protocol";
import { MailboxRegistry, type MailboxStatus } from "../worker/mailbox-registry";
import type { ServiceContext } from "./service-context";

/** The NOTIFY channel of the runs users asked for, for a CRM schema; the payload names the users. */
export const runRequestChannel = (schema: string): string => `background_runs_${schema}`;

/** What a worker hears on {@link runRequestChannel}. */
export interface RunRequestNotice {
  readonly users: readonly string[];
}

/**
 * The SQL of "who synchronizes the mailbox" (`off`, `handOver`, `server`) for the subscription row `s`
 * of user `$1`, as registration and PrepareSync answer it.
 */
export const BACKGROUND_SYNC_STATE_SQL = `CASE
  WHEN NOT coalesce((SELECT enabled FROM server_mailboxes WHERE user_id = $1), false) THEN 'off'
  WHEN s.role = 'primary' AND s.client_id <> '${SERVER_CLIENT_ID}' THEN 'handOver'
  ELSE 'server' END`;

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** The wire status of one mailbox. */
export function wireStatus(status: MailboxStatus): BackgroundSyncStatus {
  const run = status.lastRun;
  return {
    enabled: status.enabled,
    lastRun:
      run === null
        ? null
        : {
            startedAt: new Date(run.startedAt).toISOString(),
            durationMs: run.durationMs,
            outcome: run.outcome,
            changes: run.changes,
            errors: [...run.errors],
          },
    nextRunAt: iso(status.nextRunAt),
    runPending:
      status.enabled &&
      status.runRequestedAt !== null &&
      (run === null || run.startedAt < status.runRequestedAt),
  };
}

const notEnabled = (): SyncError =>
  new SyncError("backgroundSyncOff", {
    details: "Background sync of your mailbox is not enabled (outlook-crm-server mailboxes enable).",
  });

export class BackgroundSyncService {
  private readonly registry: MailboxRegistry;

  constructor(private readonly ctx: ServiceContext) {
    this.registry = new MailboxRegistry(ctx.db, ctx.clock);
  }

  /** The caller's own mailbox. */
  async status(userId: string): Promise<BackgroundSyncStatus> {
    return wireStatus(await this.registry.status(userId));
  }

  /** Queues a run of the caller's mailbox at once; backgroundSyncOff when it is not enabled. */
  async requestRun(userId: string): Promise<BackgroundSyncStatus> {
    if (!(await this.registry.requestRun(userId))) throw notEnabled();
    await this.wakeWorkers(userId);
    return this.status(userId);
  }

  /** The add-in client hands the mailbox to the server (MailboxRegistry.release); backgroundSyncOff when off. */
  async release(userId: string, clientId: string): Promise<BackgroundSyncStatus> {
    if (!(await this.registry.release(userId, clientId))) throw notEnabled();
    await this.wakeWorkers(userId);
    return this.status(userId);
  }

  private async wakeWorkers(userId: string): Promise<void> {
    const notice: RunRequestNotice = { users: [userId] };
    await this.ctx.db.query("SELECT pg_notify($1, $2)", [
      runRequestChannel(this.ctx.db.schema),
      JSON.stringify(notice),
    ]);
  }
}
