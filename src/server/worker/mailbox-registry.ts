/**
 * The mailboxes the server syncs in the background (table `server_mailboxes`, migration 0007): which users are
 * enabled, and what their last run did. The workers read it to schedule and write each run's outcome into it;
 * `outlook-crm-server mailboxes` shows it. It also holds the handover from the add-in (migration 0011): a run the
 * user asked for, and the add-in client a worker waits for before it takes the mailbox over.
 */
import { SyncError } from "../../core/errors";
import type { Clock } from "../../ports/clock";
import { SERVER_CLIENT_ID } from "../../protocol";
import type { Database, SqlExecutor } from "../db/database";

/** What one run of a mailbox did, as the worker records it. */
export interface MailboxRun {
  readonly startedAt: number;
  readonly durationMs: number;
  readonly changes: number;
  readonly outcome: "ok" | "failed" | "throttled";
  readonly errors: readonly string[];
}

/** One mailbox as `mailboxes list` and `mailboxes status` show it. */
export interface MailboxStatus {
  readonly userId: string;
  readonly enabled: boolean;
  /** When it was last enabled or disabled; null for a user whose mailbox never was. */
  readonly changedAt: number | null;
  readonly lastRun: MailboxRun | null;
  /** Failed runs in a row since the last run that succeeded (a throttled run leaves the count as it is). */
  readonly consecutiveFailures: number;
  /** When the next scheduled run is due; null while disabled. */
  readonly nextRunAt: number | null;
  /** When the user last asked for a run (or the add-in released the mailbox); null when never. */
  readonly runRequestedAt: number | null;
  /** The add-in client the last job waited for (it still synchronizes the mailbox), or null. */
  readonly waitingFor: { readonly clientId: string; readonly since: number } | null;
}

/** Whether a worker may run a mailbox now, or waits for the add-in client that still synchronizes it. */
export type RunClaim =
  { readonly run: true } | { readonly run: false; readonly clientId: string; readonly seenAt: number };

interface MailboxRow {
  user_id: string;
  enabled: boolean;
  changed_at: number;
  last_run_started_at: number | null;
  last_run_duration_ms: number | null;
  last_run_changes: number | null;
  last_run_outcome: MailboxRun["outcome"] | null;
  last_errors: string[];
  consecutive_failures: number;
  next_run_at: number | null;
  run_requested_at: number | null;
  waiting_for_client: string | null;
  waiting_since: number | null;
}

const toStatus = (row: MailboxRow): MailboxStatus => ({
  userId: row.user_id,
  enabled: row.enabled,
  changedAt: row.changed_at,
  lastRun:
    row.last_run_started_at === null || row.last_run_outcome === null
      ? null
      : {
          startedAt: row.last_run_started_at,
          durationMs: row.last_run_duration_ms ?? 0,
          changes: row.last_run_changes ?? 0,
          outcome: row.last_run_outcome,
          errors: row.last_errors,
        },
  consecutiveFailures: row.consecutive_failures,
  nextRunAt: row.enabled ? row.next_run_at : null,
  runRequestedAt: row.run_requested_at,
  waitingFor:
    row.enabled && row.waiting_for_client !== null
      ? { clientId: row.waiting_for_client, since: row.waiting_since ?? 0 }
      : null,
});

/** At most this many errors of one run are kept (the first ones). */
export const KEPT_ERRORS = 10;
/** An error message is kept to this many characters. */
export const KEPT_ERROR_LENGTH = 500;

const noUser = (userId: string): SyncError =>
  new SyncError("notFound", { details: `no user "${userId}" (add one with: outlook-crm-server user add)` });

export class MailboxRegistry {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  /** Every mailbox that was ever enabled, by user id. */
  async list(): Promise<MailboxStatus[]> {
    const result = await this.db.query<MailboxRow>("SELECT * FROM server_mailboxes ORDER BY user_id");
    return result.rows.map(toStatus);
  }

  /** The user ids of the enabled mailboxes (of those among `among`, when given), in id order. */
  async enabledUsers(among?: readonly string[] | null): Promise<string[]> {
    const result = await this.db.query<{ user_id: string }>(
      "SELECT user_id FROM server_mailboxes WHERE enabled AND ($1::text[] IS NULL OR user_id = ANY ($1)) ORDER BY user_id",
      [among ?? null],
    );
    return result.rows.map((row) => row.user_id);
  }

  /** Whether background sync of this user's mailbox is on. */
  async isEnabled(userId: string): Promise<boolean> {
    return (await this.enabledUsers([userId])).length > 0;
  }

  /**
   * Claims up to `limit` enabled mailboxes whose next run is due at `now`, moving their next run to `nextRunAt`
   * so that no other worker claims them too (rows another worker is claiming are skipped). Returns their ids.
   */
  async claimDue(now: number, nextRunAt: number, limit: number): Promise<string[]> {
    const result = await this.db.query<{ user_id: string }>(
      `UPDATE server_mailboxes SET next_run_at = $2 WHERE user_id IN (
         SELECT user_id FROM server_mailboxes WHERE enabled AND next_run_at <= $1
          ORDER BY next_run_at, user_id LIMIT $3 FOR UPDATE SKIP LOCKED)
       RETURNING user_id`,
      [now, nextRunAt, limit],
    );
    return result.rows.map((row) => row.user_id);
  }

  /** One user's mailbox; notFound when there is no such user. A user never enabled reads as disabled. */
  async status(userId: string): Promise<MailboxStatus> {
    const result = await this.db.query<MailboxRow>(
      `SELECT u.id AS user_id, coalesce(m.enabled, false) AS enabled, m.changed_at, m.last_run_started_at,
              m.last_run_duration_ms, m.last_run_changes, m.last_run_outcome,
              coalesce(m.last_errors, '{}') AS last_errors, coalesce(m.consecutive_failures, 0) AS consecutive_failures,
              m.next_run_at, m.run_requested_at, m.waiting_for_client, m.waiting_since
         FROM users u LEFT JOIN server_mailboxes m ON m.user_id = u.id WHERE u.id = $1`,
      [userId],
    );
    const row = result.rows[0];
    if (row === undefined) throw noUser(userId);
    return toStatus(row);
  }

  /**
   * Turns background sync on or off for a user's mailbox; notFound when there is no such user. Returns false when
   * it already was in that state (nothing changes then). Enabling makes the first run due at once.
   */
  async setEnabled(userId: string, enabled: boolean): Promise<boolean> {
    const now = this.clock.now();
    return this.db.transaction(async (tx) => {
      const user = await tx.query("SELECT 1 FROM users WHERE id = $1 FOR KEY SHARE", [userId]);
      if (user.rows.length === 0) throw noUser(userId);
      const result = enabled
        ? await tx.query(
            `INSERT INTO server_mailboxes (user_id, enabled, changed_at, next_run_at) VALUES ($1, true, $2, $2)
             ON CONFLICT (user_id) DO UPDATE SET enabled = true, changed_at = $2, next_run_at = $2
             WHERE NOT server_mailboxes.enabled`,
            [userId, now],
          )
        : await tx.query(
            `UPDATE server_mailboxes SET enabled = false, changed_at = $2, next_run_at = NULL, run_requested_at = NULL,
               waiting_for_client = NULL, waiting_since = NULL
             WHERE user_id = $1 AND enabled`,
            [userId, now],
          );
      return result.rowCount > 0;
    });
  }

  /**
   * Records what a run did and when the next one is due. A run of a mailbox disabled meanwhile (or of a user
   * deleted) is not recorded; returns whether it was.
   */
  async recordRun(userId: string, run: MailboxRun, nextRunAt: number): Promise<boolean> {
    const errors = run.errors.slice(0, KEPT_ERRORS).map((error) => error.slice(0, KEPT_ERROR_LENGTH));
    const result = await this.db.query(
      `UPDATE server_mailboxes SET last_run_started_at = $2, last_run_duration_ms = $3, last_run_changes = $4,
         last_run_outcome = $5, last_errors = $6,
         consecutive_failures = CASE $5 WHEN 'failed' THEN consecutive_failures + 1 WHEN 'ok' THEN 0
           ELSE consecutive_failures END,
         next_run_at = $7, waiting_for_client = NULL, waiting_since = NULL
       WHERE user_id = $1 AND enabled`,
      [userId, run.startedAt, Math.round(run.durationMs), run.changes, run.outcome, errors, nextRunAt],
    );
    return result.rowCount > 0;
  }

  /**
   * Decides, under the user's lock (the one registration and a change of primary take), whether a worker runs the
   * mailbox now. It waits while the user's primary client is another client that synchronized within `silenceMs`
   * (an add-in that has not handed the mailbox over): the wait is then recorded in the same transaction, with the
   * mailbox looked at again at `retryAt`, so a release that follows is never overwritten by it. Otherwise the
   * server's client becomes the primary one, so the add-in's next registration or PrepareSync reads that the
   * server syncs the mailbox.
   */
  async claimForRun(userId: string, silenceMs: number, retryAt: number): Promise<RunClaim> {
    const now = this.clock.now();
    return this.db.transaction(async (tx) => {
      await tx.query("SELECT 1 FROM users WHERE id = $1 FOR UPDATE", [userId]);
      const primary = await tx.query<{ client_id: string; seen_at: number | null }>(
        "SELECT client_id, seen_at FROM subscriptions WHERE user_id = $1 AND role = 'primary'",
        [userId],
      );
      const row = primary.rows[0];
      if (
        row !== undefined &&
        row.client_id !== SERVER_CLIENT_ID &&
        row.seen_at !== null &&
        now - row.seen_at < silenceMs
      ) {
        await tx.query(
          `UPDATE server_mailboxes SET waiting_for_client = $2, waiting_since = coalesce(waiting_since, $3),
             next_run_at = $4
           WHERE user_id = $1 AND enabled`,
          [userId, row.client_id, now, retryAt],
        );
        return { run: false, clientId: row.client_id, seenAt: row.seen_at };
      }
      await makeServerPrimary(tx, userId, now);
      return { run: true };
    });
  }

  /**
   * Notes that the user asked for a run now (the caller then wakes the workers). Returns false when the
   * mailbox is not enabled.
   */
  async requestRun(userId: string, executor: SqlExecutor = this.db): Promise<boolean> {
    const result = await executor.query(
      "UPDATE server_mailboxes SET run_requested_at = $2 WHERE user_id = $1 AND enabled",
      [userId, this.clock.now()],
    );
    return result.rowCount > 0;
  }

  /**
   * The add-in client `clientId` hands the mailbox to the server after its last clean cycle: when it is the
   * user's primary client, the server's client becomes the primary one, the wait for it ends and a run is
   * requested. When another
   * client is primary nothing changes (there is nothing of this client's to hand over); when the server already
   * is, the run is requested again. notFound for an unknown client, false when the mailbox is not enabled.
   */
  async release(userId: string, clientId: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      await tx.query("SELECT 1 FROM users WHERE id = $1 FOR UPDATE", [userId]);
      const client = await tx.query<{ role: string }>(
        "SELECT role FROM subscriptions WHERE user_id = $1 AND client_id = $2",
        [userId, clientId],
      );
      const row = client.rows[0];
      if (row === undefined) throw new SyncError("notFound", { details: `no client ${clientId} for you` });
      if (!(await this.requestRun(userId, tx))) return false;
      if (row.role === "primary") {
        await makeServerPrimary(tx, userId, this.clock.now());
        await tx.query(
          "UPDATE server_mailboxes SET waiting_for_client = NULL, waiting_since = NULL WHERE user_id = $1",
          [userId],
        );
      }
      return true;
    });
  }
}

/** Makes the server's client the user's only primary one (registering it when it is not yet). */
async function makeServerPrimary(tx: SqlExecutor, userId: string, now: number): Promise<void> {
  await tx.query(
    "UPDATE subscriptions SET role = 'secondary' WHERE user_id = $1 AND role = 'primary' AND client_id <> $2",
    [userId, SERVER_CLIENT_ID],
  );
  await tx.query(
    `INSERT INTO subscriptions (user_id, client_id, role, registered_at) VALUES ($1, $2, 'primary', $3)
     ON CONFLICT (user_id, client_id) DO UPDATE SET role = 'primary'`,
    [userId, SERVER_CLIENT_ID, now],
  );
}
