/**
 * One background-sync worker process, assembled: the pg-boss queue, the mailbox registry and the SyncWorker,
 * running the headless engine for each job with Graph application tokens and, towards the CRM, the sync
 * protocol with a token of the mailbox's user; and, when asked, this process's `/metrics` in the Prometheus text
 * format (its runs, the duration histogram, Graph requests and 429s, and the queue's jobs). With a notification
 * URL it also keeps each mailbox's Graph change-notification subscriptions after its runs (subscription-keeper.ts),
 * wakes a mailbox when Graph notifies a change, and deletes the subscriptions of mailboxes no longer synced.
 * `outlook-crm-server worker` starts it from the environment; tests start it with the Graph twin.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { GraphMailboxStore } from "../adapters/graph/graph-mailbox-store";
import { GraphSubscriptionClient } from "../adapters/graph/graph-subscription-client";
import { HttpCrmClient } from "../adapters/http/http-crm-client";
import type { TokenProvider } from "../adapters/graph/token-provider";
import type { Clock, Disposable } from "../ports/clock";
import type { Logger } from "../ports/logger";
import type { SyncSettings } from "../ports/settings";
import { createCrmService, MailboxRegistry, tokenIdOf, type Database } from "../server";
import { GraphSubscriptionStore } from "../server/sync/graph-subscription-store";
import { MailboxQueue, QueueInspector } from "../server/worker/mailbox-queue";
import { METRICS_CONTENT_TYPE, metricsText } from "../server/worker/metrics-text";
import { SyncWorker, type WorkerSettings } from "../server/worker/sync-worker";
import { queueFamily, WorkerMetrics } from "../server/worker/worker-metrics";
import { createHeadlessRunner, type HeadlessRunner } from "./headless-runner";
import { SubscriptionKeeper } from "./subscription-keeper";
import { UserCrmTokens } from "./user-crm-tokens";

export interface BackgroundWorkerOptions {
  /** The CRM's PostgreSQL (PGlite cannot hold the queue: it is embedded in one process). */
  readonly db: Database;
  /** The same database's connection string, for the queue's own pool. */
  readonly connectionString: string;
  /** The sync server the headless engine speaks the protocol to (its public URL, as the add-in's). */
  readonly syncServerUrl: string;
  readonly graph: {
    /** Default https://graph.microsoft.com/v1.0. */
    readonly baseUrl?: string;
    readonly tokens: TokenProvider;
    readonly fetch?: typeof fetch;
  };
  /** The add-in id whose custom properties hold the link stamp (manifest.xml's Id). */
  readonly addinId: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly settings: WorkerSettings;
  /**
   * The sync server's public base URL for Graph's change notifications (HTTPS, reachable from Microsoft); null for
   * none: mailboxes are then woken by CRM changes and polling only.
   */
  readonly notificationBaseUrl: string | null;
  /** Where to answer GET /metrics; null for no metrics listener. Port 0 picks a free one. */
  readonly metrics: { readonly host: string; readonly port: number } | null;
  /** Settings a mailbox starts with (SPEC §9 defaults otherwise). */
  readonly mailboxSettings?: Partial<Omit<SyncSettings, "serverUrl" | "userId" | "isSyncClient">>;
  /** The queue's retries and how often it looks for jobs (tests make them short). */
  readonly queue?: Pick<ConstructorParameters<typeof MailboxQueue>[0], "retry" | "pollingSeconds">;
}

export interface BackgroundWorker {
  /** The metrics listener's URL, or null without one. */
  readonly metricsUrl: string | null;
  /** Stops taking jobs, lets running ones end, revokes the worker's CRM tokens and closes the listener. */
  stop(): Promise<void>;
}

function listen(server: Server, host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const address = server.address() as AddressInfo;
      const shown = address.family === "IPv6" ? `[${address.address}]` : address.address;
      resolve(`http://${shown}:${address.port}/metrics`);
    });
  });
}

/** Mailboxes whose subscriptions are released per look, and how often the worker looks. */
const RELEASE_BATCH = 20;
const RELEASE_EVERY_MS = 5 * 60_000;

const close = (server: Server): Promise<void> =>
  new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));

export async function startBackgroundWorker(options: BackgroundWorkerOptions): Promise<BackgroundWorker> {
  const { db, clock, logger } = options;
  const service = createCrmService({ db, clock, logger });
  const tokens = new UserCrmTokens(service.users, clock, tokenIdOf);
  const headless = createHeadlessRunner({
    db,
    graph: options.graph,
    crmFor: (userId) =>
      new HttpCrmClient({ baseUrl: options.syncServerUrl, getToken: () => tokens.tokenFor(userId), clock }),
    serverUrl: options.syncServerUrl,
    addinId: options.addinId,
    clock,
    logger,
    ...(options.mailboxSettings === undefined ? {} : { settings: options.mailboxSettings }),
  });
  const subscriptions = new GraphSubscriptionStore(db, clock);
  const graphFetch = options.graph.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const graphBase = options.graph.baseUrl === undefined ? {} : { baseUrl: options.graph.baseUrl };
  const keeper =
    options.notificationBaseUrl === null
      ? null
      : new SubscriptionKeeper({
          db,
          store: subscriptions,
          client: new GraphSubscriptionClient({
            fetch: graphFetch,
            tokens: options.graph.tokens,
            clock,
            ...graphBase,
          }),
          foldersOf: (address, types) =>
            new GraphMailboxStore({
              fetch: graphFetch,
              tokens: options.graph.tokens,
              clock,
              addinId: options.addinId,
              mailboxAddress: address,
              ...graphBase,
            }).listFolders(types),
          notificationBaseUrl: options.notificationBaseUrl,
          clock,
          logger,
        });
  /** A run, then (unless it failed) the mailbox's subscriptions kept: a keeping failure is logged, not the run's. */
  const runner: Pick<HeadlessRunner, "runMailbox"> = {
    async runMailbox(userId, runOptions) {
      const report = await headless.runMailbox(userId, runOptions);
      if (keeper !== null && report.outcome !== "failed") {
        await keeper
          .ensure(userId)
          .catch((error: unknown) =>
            logger.warn("keeping Graph subscriptions failed", { userId, error: String(error) }),
          );
      }
      return report;
    },
  };
  const metrics = new WorkerMetrics();
  const queue = new MailboxQueue({
    connectionString: options.connectionString,
    db,
    logger,
    ...options.queue,
  });
  const worker = new SyncWorker({
    db,
    queue,
    registry: new MailboxRegistry(db, clock),
    runner,
    crmChannel: service.channel,
    ...(keeper === null ? {} : { graphChannel: subscriptions.channel }),
    clock,
    logger,
    metrics,
    settings: options.settings,
  });
  await worker.start();

  let releaseTimer: Disposable | null = null;
  let stopped = false;
  /** Deletes the subscriptions of a few mailboxes no longer synced, then looks again later. */
  const release = async (): Promise<void> => {
    if (keeper === null || stopped) return;
    try {
      for (const userId of await subscriptions.orphanedUsers(RELEASE_BATCH)) await keeper.release(userId);
    } catch (error) {
      logger.warn("releasing Graph subscriptions failed", { error: String(error) });
    }
    if (!stopped) releaseTimer = clock.setTimeout(() => void release(), RELEASE_EVERY_MS);
  };
  await release();

  let listener: Server | null = null;
  let metricsUrl: string | null = null;
  if (options.metrics !== null) {
    const inspector = new QueueInspector(db, db.schema);
    const answer = async (): Promise<string> =>
      metricsText([...metrics.processFamilies(), queueFamily(await inspector.counts())]);
    listener = createServer((request, response) => {
      if (request.method !== "GET" || request.url !== "/metrics") {
        response.writeHead(404, { "content-type": "application/json" });
        response.end(JSON.stringify({ error: { code: "notFound", message: "Only GET /metrics is here." } }));
        return;
      }
      answer().then(
        (body) => {
          response.writeHead(200, { "content-type": METRICS_CONTENT_TYPE });
          response.end(body);
        },
        (error: unknown) => {
          logger.error("metrics failed", { error: String(error) });
          response.writeHead(503, { "content-type": "application/json" });
          response.end(
            JSON.stringify({ error: { code: "serverError", message: "The queue could not be read." } }),
          );
        },
      );
    });
    try {
      metricsUrl = await listen(listener, options.metrics.host, options.metrics.port);
    } catch (error) {
      await worker.stop();
      throw error;
    }
  }

  return {
    metricsUrl,
    async stop() {
      stopped = true;
      releaseTimer?.dispose();
      await worker.stop();
      await tokens.revokeAll();
      if (listener !== null) await close(listener);
    },
  };
}
