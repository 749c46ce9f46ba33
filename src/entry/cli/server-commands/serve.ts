/** `serve` (also the default with no arguments): the CRM sync server until SIGINT or SIGTERM. */
import { createCrmServer } from "../../../server";
import { UsageError, type ServerCommand } from "./command";
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
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      logger.info("shutting down", { signal });
      server
        .close()
        .then(() => db.close())
        .then(
          () => process.exit(0),
          (error: unknown) => {
            logger.error("shutdown failed", { error: String(error) });
            process.exit(1);
          },
        );
    };
    process.once("SIGINT", () => stop("SIGINT"));
    process.once("SIGTERM", () => stop("SIGTERM"));
  },
};
