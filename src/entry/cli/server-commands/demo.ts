/**
 * `demo`: loads the demo users, records and the default customization package, refreshes the planner's
 * statistics, and prints their tokens.
 */
import { createCrmService, loadDemoData, refreshStatistics } from "../../../server";
import { UsageError, type ServerCommand } from "./command";

export const demoCommand: ServerCommand = {
  name: "demo",
  usage: [{ form: "demo", summary: "load demo users, records and the default customization package" }],
  async run(args, context) {
    if (args.length > 0) throw new UsageError(`unknown command "demo ${args.join(" ")}"`);
    const db = await context.openDatabase();
    try {
      const demo = await loadDemoData(createCrmService({ db, clock: context.clock, logger: context.logger }));
      await refreshStatistics(db);
      for (const [user, token] of Object.entries(demo.tokens)) context.print(`${user}\t${token}`);
    } finally {
      await db.close();
    }
  },
};
