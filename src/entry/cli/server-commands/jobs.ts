/** `jobs dead [<user>]`: background-sync jobs that failed every retry (the dead-letter queue). */
import { QueueInspector } from "../../../server";
import { UsageError, type ServerCommand } from "./command";
import { utcTime } from "./format";

/** At most this many dead jobs are listed. */
const LISTED = 100;

export const jobsCommand: ServerCommand = {
  name: "jobs",
  usage: [
    {
      form: "jobs dead [<user>]",
      summary: `background-sync jobs that failed every retry, newest first (at most ${LISTED}): id, mailbox, when, error`,
    },
  ],
  async run(args, context) {
    const [action, userId, ...rest] = args;
    if (action !== "dead" || rest.length > 0)
      throw new UsageError(`unknown command "jobs ${args.join(" ")}"`);
    const db = await context.openDatabase();
    try {
      const dead = await new QueueInspector(db, db.schema).deadJobs(LISTED, userId);
      if (dead.length === 0) context.print("no dead jobs");
      for (const job of dead) {
        context.print(`${job.id}  ${job.userId}  died ${utcTime(job.diedAt)}  (${job.reason})  ${job.error}`);
      }
    } finally {
      await db.close();
    }
  },
};
