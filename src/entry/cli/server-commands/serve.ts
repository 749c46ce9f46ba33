/** `serve` (also the default with no arguments): the CRM sync server until SIGINT or SIGTERM. */
import { createCrmServer } from "../../../server";
import { UsageError, type ServerCommand } from "./command";
import { stopOnSignals } from "./shutdown";
import { serveSettings } from "./settings";

export const serveCommand: ServerCommand = {
  name: "serve",
  usage: [{ form: "serve", summary: "serve the sync protocol (the default without a command)" }],
  async run(args, context) {
    if (args.length > 0) throw new UsageError(`unknown command "serve ${args.join(" ")}"`);
    const settings = serveSettings(context.env);
    const { logger, clock } = context;
    const db = await context.openDatabase();
    const server = await createCrmServer({
      db,
      clock,
      logger,
      auth: settings.auth,
      rateLimit: settings.rateLimit,
      streamsPerToken: settings.streamsPerToken,
      ...(settings.trustProxy === undefined ? {} : { trustProxy: settings.trustProxy }),
    });
    const url = await server.listen({ port: settings.port, host: settings.host });
    logger.info("CRM sync server listening", { url, database: db.kind });
    stopOnSignals(logger, () => server.close().then(() => db.close()));
  },
};
