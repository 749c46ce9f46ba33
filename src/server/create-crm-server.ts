/**
 * The CRM sync server as one object: the service, the Fastify app over it, the change-hint hub and the
 * tombstone collector's timer. The HTTP routes, the admin command and the simulator all share `service`.
 */
import type { FastifyInstance } from "fastify";
import type { Clock, Disposable } from "../ports/clock";
import type { Logger } from "../ports/logger";
import type { Database } from "./db/database";
import { createAuthenticator, type AuthSettings } from "./http/authenticator";
import { ChangeHub } from "./http/change-hub";
import { createHttpApp, type RateLimitSettings } from "./http/create-http-app";
import { createCrmService, type CrmService } from "./sync/crm-service";
import type { RetentionSettings } from "./sync/garbage-collector";

export interface CrmServerOptions {
  /** An open, migrated database (see openDatabase). The caller owns it: `close()` does not close it. */
  readonly db: Database;
  /** Every timestamp the server assigns and every timer it starts use this clock. */
  readonly clock: Clock;
  readonly logger: Logger;
  /** Accepted tokens; default: opaque tokens only. */
  readonly auth?: AuthSettings;
  /** Per-token rate limit; default 1,200 requests a minute; `false` turns it off. */
  readonly rateLimit?: RateLimitSettings | false;
  readonly retention?: Partial<RetentionSettings>;
  /** How often tombstones are collected, ms; default 10 minutes; 0 turns the timer off. */
  readonly collectEveryMs?: number;
  /** SSE keep-alive interval, ms; default 25 s. */
  readonly keepAliveMs?: number;
  /** Most event streams one token may hold open on one instance; default 4. */
  readonly streamsPerToken?: number;
  /**
   * The reverse proxies whose `X-Forwarded-For` names the client address (rate limits count per address):
   * addresses and CIDR ranges separated by commas (`127.0.0.1,10.0.0.0/8`); default none.
   */
  readonly trustProxy?: string;
  /** Version shown in `/openapi.json`. */
  readonly productVersion?: string;
}

export interface CrmServer {
  readonly app: FastifyInstance;
  readonly service: CrmService;
  /** Starts listening; port 0 picks a free port. Returns the base URL, e.g. `http://127.0.0.1:41234`. */
  listen(options?: { port?: number; host?: string }): Promise<string>;
  /** Stops the collector, ends event streams, stops listening and waits for requests in flight. */
  close(): Promise<void>;
}

export const DEFAULT_STREAMS_PER_TOKEN = 4;

export const DEFAULT_RATE_LIMIT: RateLimitSettings = { max: 1200, windowMs: 60_000 };

/** Builds the server over `db`. Nothing listens until `listen()`. */
export async function createCrmServer(options: CrmServerOptions): Promise<CrmServer> {
  const { db, clock, logger } = options;
  const service = createCrmService({
    db,
    clock,
    logger,
    ...(options.retention ? { retention: options.retention } : {}),
  });
  const authenticator = createAuthenticator(options.auth ?? {}, service.users, logger);
  const hub = new ChangeHub(db, service.channel, logger);
  await hub.start();
  const app = await createHttpApp({
    db,
    service,
    hub,
    authenticator,
    clock,
    logger,
    rateLimit: options.rateLimit ?? DEFAULT_RATE_LIMIT,
    productVersion: options.productVersion ?? "1.0.0.0",
    keepAliveMs: options.keepAliveMs ?? 25_000,
    streamsPerToken: options.streamsPerToken ?? DEFAULT_STREAMS_PER_TOKEN,
    ...(options.trustProxy === undefined ? {} : { trustProxy: options.trustProxy }),
  });

  const collectEveryMs = options.collectEveryMs ?? 600_000;
  let collector: Disposable | undefined;
  const scheduleCollection = (): void => {
    collector = clock.setTimeout(() => {
      service.garbage.collect().then(
        () => scheduleCollection(),
        (error: unknown) => {
          logger.error("tombstone collection failed", {
            error: error instanceof Error ? error.message : String(error),
          });
          scheduleCollection();
        },
      );
    }, collectEveryMs);
  };
  if (collectEveryMs > 0) scheduleCollection();

  let closed = false;
  return {
    app,
    service,
    async listen(listenOptions = {}) {
      return app.listen({ port: listenOptions.port ?? 0, host: listenOptions.host ?? "127.0.0.1" });
    },
    async close() {
      if (closed) return;
      closed = true;
      collector?.dispose();
      collector = undefined;
      await app.close();
      await hub.close();
    },
  };
}
