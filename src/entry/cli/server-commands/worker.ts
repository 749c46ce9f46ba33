/** `worker`: a background-sync worker (README "Background sync") until SIGINT or SIGTERM. */
import { MsalAppTokenProvider } from "../../../adapters/graph/app-token-provider";
import { startBackgroundWorker } from "../../../headless/background-worker";
import { UsageError, type ServerCommand } from "./command";
import { stopOnSignals } from "./shutdown";
import { workerSettings } from "./worker-settings";

export const workerCommand: ServerCommand = {
  name: "worker",
  usage: [
    {
      form: "worker",
      summary:
        "sync enabled mailboxes in the background (PostgreSQL; SYNC_SERVER_URL, GRAPH_TENANT_ID, GRAPH_CLIENT_ID, GRAPH_CLIENT_SECRET)",
    },
  ],
  async run(args, context) {
    if (args.length > 0) throw new UsageError(`unknown command "worker ${args.join(" ")}"`);
    const settings = workerSettings(context.env);
    const { logger, clock } = context;
    const tokens = new MsalAppTokenProvider(settings.app);
    const db = await context.openDatabase();
    const starting = startBackgroundWorker({
      db,
      connectionString: settings.databaseUrl,
      syncServerUrl: settings.syncServerUrl,
      graph: { tokens, ...(settings.graphBaseUrl === undefined ? {} : { baseUrl: settings.graphBaseUrl }) },
      addinId: settings.addinId,
      notificationBaseUrl: settings.notificationBaseUrl,
      clock,
      logger,
      settings: settings.worker,
      metrics: settings.metrics,
    });
    const worker = await starting.catch(async (error: unknown) => {
      await db.close();
      throw error;
    });
    logger.info("background-sync worker running", {
      concurrency: settings.worker.concurrency,
      intervalMinutes: settings.worker.intervalMs / 60_000,
      ...(worker.metricsUrl === null ? {} : { metrics: worker.metricsUrl }),
    });
    stopOnSignals(logger, () => worker.stop().then(() => db.close()));
  },
};
