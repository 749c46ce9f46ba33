/**
 * `mailboxes list | enable | disable | status`: which users' mailboxes the server syncs in the background
 * (README "Background sync") and what each one's last run did.
 */
import {
  MailboxRegistry,
  QueueInspector,
  type DeadJob,
  type MailboxStatus,
  type QueueCounts,
} from "../../../server";
import { UsageError, type ServerCommand } from "./command";
import { utcTime } from "./format";

const lastRunLine = (status: MailboxStatus): string => {
  const run = status.lastRun;
  if (run === null) return "never run";
  const changes = `${run.changes} change${run.changes === 1 ? "" : "s"}`;
  return `last run ${utcTime(run.startedAt)} ${run.outcome}, ${changes}, ${run.durationMs} ms`;
};

/** A job that found the add-in still synchronizing the mailbox (docs/SPEC.md "A mailbox has one synchronizer"). */
const waitingText = (status: MailboxStatus): string[] =>
  status.waitingFor === null
    ? []
    : [
        `waiting for the add-in to hand over (client ${status.waitingFor.clientId}, since ${utcTime(status.waitingFor.since)})`,
      ];

const listLine = (status: MailboxStatus): string =>
  [
    status.userId,
    status.enabled ? "enabled" : "disabled",
    lastRunLine(status),
    ...(status.consecutiveFailures > 0 ? [`${status.consecutiveFailures} failed in a row`] : []),
    ...waitingText(status),
    ...(status.nextRunAt === null ? [] : [`next ${utcTime(status.nextRunAt)}`]),
  ].join("  ");

function statusLines(status: MailboxStatus, jobs: QueueCounts, dead: readonly DeadJob[]): string[] {
  const run = status.lastRun;
  return [
    `mailbox: ${status.userId}`,
    `background sync: ${status.enabled ? "enabled" : "disabled"}${status.changedAt === null ? "" : ` since ${utcTime(status.changedAt)}`}`,
    `last run: ${run === null ? "never" : `${utcTime(run.startedAt)}, ${run.outcome}`}`,
    ...(run === null
      ? []
      : [
          `duration: ${run.durationMs} ms`,
          `changes: ${run.changes}`,
          `errors: ${run.errors.length === 0 ? "none" : run.errors.length}`,
          ...run.errors.map((error) => `  - ${error}`),
        ]),
    `failed runs in a row: ${status.consecutiveFailures}`,
    ...waitingText(status),
    `next run: ${status.nextRunAt === null ? "none (disabled)" : utcTime(status.nextRunAt)}`,
    `jobs: ${jobs.queued} queued, ${jobs.running} running, ${jobs.retrying} waiting to retry, ${jobs.dead} dead`,
    ...dead.map((job) => `  dead ${job.id} died ${utcTime(job.diedAt)}: ${job.error}`),
  ];
}

export const mailboxesCommand: ServerCommand = {
  name: "mailboxes",
  usage: [
    { form: "mailboxes list", summary: "list the mailboxes enabled for background sync and their last run" },
    {
      form: "mailboxes enable <user>",
      summary: "sync this user's mailbox on the server (workers pick it up at once, then every interval)",
    },
    { form: "mailboxes disable <user>", summary: "stop background sync of this user's mailbox" },
    {
      form: "mailboxes status <user>",
      summary:
        "the mailbox's last run (start, duration, changes, errors), failures in a row, next run, its jobs and the newest dead ones",
    },
  ],
  async run(args, context) {
    const [action, userId, ...rest] = args;
    const known =
      rest.length === 0 &&
      ((action === "list" && userId === undefined) ||
        (["enable", "disable", "status"].includes(action ?? "") && userId !== undefined));
    if (!known) throw new UsageError(`unknown command "mailboxes ${args.join(" ")}"`);
    const db = await context.openDatabase();
    try {
      const registry = new MailboxRegistry(db, context.clock);
      if (action === "list") {
        const mailboxes = await registry.list();
        if (mailboxes.length === 0) {
          context.print("no mailboxes (enable one with: outlook-crm-server mailboxes enable <user>)");
        }
        for (const status of mailboxes) context.print(listLine(status));
      } else if (action === "status" && userId !== undefined) {
        const status = await registry.status(userId);
        const inspector = new QueueInspector(db, db.schema);
        const [jobs, dead] = [await inspector.counts(userId), await inspector.deadJobs(3, userId)];
        for (const line of statusLines(status, jobs, dead)) context.print(line);
      } else if (userId !== undefined) {
        const enable = action === "enable";
        const changed = await registry.setEnabled(userId, enable);
        const state = enable ? "enabled" : "disabled";
        context.print(
          `background sync of ${userId}'s mailbox ${changed ? "is now" : "was already"} ${state}`,
        );
      }
    } finally {
      await db.close();
    }
  },
};
