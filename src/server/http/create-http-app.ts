/**
 * The Fastify app: `/health`, `/openapi.json`, `/metrics` (metrics-route.ts), Graph's notification endpoints
 * (graph-notifications-route.ts) and every `/v1` operation of the protocol table, with bearer
 * authentication, zod validation of params, query and body, a body size limit, typed error bodies and
 * per-token rate limiting. Routes are registered from OPERATIONS, the same table `/openapi.json` comes from.
 */
import { createHash } from "node:crypto";
import rateLimit from "@fastify/rate-limit";
import { Redis } from "ioredis";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { invariant, SyncError } from "../../core/errors";
import type { Clock } from "../../ports/clock";
import type { Logger } from "../../ports/logger";
import {
  buildOpenApiDocument,
  LIMITS,
  OPERATIONS,
  type OperationId,
  type OperationSpec,
} from "../../protocol";
import type { Database } from "../db/database";
import type { CrmService } from "../sync/crm-service";
import type { CrmUser } from "../sync/user-service";
import { parseInput } from "../sync/validate-input";
import type { Authenticator } from "./authenticator";
import type { ChangeHub } from "./change-hub";
import { CLOSING_REPLY, codeOf, errorReply, MAX_PARAM_LENGTH, rawErrorAnswer } from "./error-reply";
import { parseJsonBody } from "./json-body";
import { HANDLERS, type HandlerDeps } from "./handlers";
import { GraphSubscriptionStore } from "../sync/graph-subscription-store";
import { registerGraphNotificationRoutes } from "./graph-notifications-route";
import { registerMetricsRoute } from "./metrics-route";
import { requirePrivilege } from "./privileges";
import { sendSecurityHeaders } from "./security-headers";

/**
 * Requests allowed per user (or per client address for a request without a valid token) in each window.
 * Counted in this instance's memory, or in Redis at `redisUrl` so that every instance sharing it shares one
 * count per key.
 */
export interface RateLimitSettings {
  readonly max: number;
  readonly windowMs: number;
  /** `redis://…` of the shared store; omitted: in memory, per instance. */
  readonly redisUrl?: string;
  /** Prefix of the store's keys; default `crm-rate-limit:`. Instances that share a count share the prefix. */
  readonly redisPrefix?: string;
}

export interface HttpAppOptions {
  readonly db: Database;
  readonly service: CrmService;
  readonly hub: ChangeHub;
  readonly authenticator: Authenticator;
  readonly clock: Clock;
  readonly logger: Logger;
  /** `false` turns rate limiting off. */
  readonly rateLimit: RateLimitSettings | false;
  readonly productVersion: string;
  /** SSE keep-alive interval, ms. */
  readonly keepAliveMs: number;
  /** Most event streams one token may hold open on this instance. */
  readonly streamsPerToken: number;
  /** Which proxies' `X-Forwarded-For` names the client address (Fastify's `trustProxy`); default none. */
  readonly trustProxy?: string;
}

const BEARER = /^Bearer ([\x21-\x7e]{1,4096})$/;

/** Who a request speaks for: its token's hash, or its address without one. */
const credentialKey = (request: FastifyRequest): string => {
  const header = request.headers.authorization;
  return header ? `token:${createHash("sha256").update(header).digest("hex")}` : `address:${request.ip}`;
};

const fastifyPath = (path: string): string => path.replace(/\{(\w+)\}/g, ":$1");

type AnyHandler = (
  input: { userId: string; params: unknown; query: unknown; body: unknown },
  deps: HandlerDeps,
  http: { request: FastifyRequest; reply: FastifyReply },
) => Promise<unknown>;

/** Builds the app (not listening yet). Event streams still open are ended when the app closes. */
export async function createHttpApp(options: HttpAppOptions): Promise<FastifyInstance> {
  const { logger } = options;
  const app = Fastify({
    logger: false,
    bodyLimit: LIMITS.bodyBytes,
    // Fastify's docs: with return503OnClosing false a request during close() is routed as usual, so the
    // onRequest hook below answers it in the protocol's format instead of Fastify's fixed 503 body.
    return503OnClosing: false,
    trustProxy: options.trustProxy ?? false,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: (error, _request, reply: FastifyReply) => {
      const answer = errorReply(error);
      void reply.code(answer.status).send(answer.body);
    },
    clientErrorHandler: (error, socket) => {
      if (socket.destroyed || codeOf(error) === "ECONNRESET") return;
      if (socket.writable) socket.write(rawErrorAnswer(error));
      socket.destroy(error);
    },
  });
  sendSecurityHeaders(app.server);
  let closing = false;
  app.addHook("onRequest", (_request, reply, done) => {
    if (!closing) return done();
    void reply.code(CLOSING_REPLY.status).send(CLOSING_REPLY.body);
  });
  app.removeContentTypeParser(["application/json", "text/plain"]);
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  const streams = new Set<() => void>();
  const streamsPerToken = new Map<string, number>();
  const deps: HandlerDeps = {
    service: options.service,
    hub: options.hub,
    clock: options.clock,
    keepAliveMs: options.keepAliveMs,
    trackStream: (request, end) => {
      const key = credentialKey(request);
      const open = streamsPerToken.get(key) ?? 0;
      if (open >= options.streamsPerToken) {
        throw new SyncError("rateLimited", {
          details: `this token already holds ${open} event streams, the most it may hold; close one first`,
        });
      }
      streamsPerToken.set(key, open + 1);
      streams.add(end);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        streams.delete(end);
        const left = (streamsPerToken.get(key) ?? 1) - 1;
        if (left > 0) streamsPerToken.set(key, left);
        else streamsPerToken.delete(key);
      };
    },
  };

  app.setErrorHandler((error, request, reply) => {
    const answer = errorReply(error);
    if (answer.serverFault) {
      logger.error("request failed", {
        method: request.method,
        url: request.url,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
    }
    if (answer.status === 401) void reply.header("www-authenticate", "Bearer");
    return reply.code(answer.status).send(answer.body);
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split("?")[0]?.slice(0, 200) ?? "";
    return reply
      .code(404)
      .send(
        errorReply(new SyncError("notFound", { details: `no operation ${request.method} ${path}` })).body,
      );
  });
  app.addHook("onResponse", (request, reply, done) => {
    logger.debug("request", {
      method: request.method,
      route: request.routeOptions.url,
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime),
    });
    done();
  });
  app.addHook("preClose", (done) => {
    closing = true;
    for (const end of [...streams]) end();
    done();
  });

  const callers = new WeakMap<FastifyRequest, CrmUser>();
  if (options.rateLimit) {
    const { max, windowMs, redisUrl, redisPrefix } = options.rateLimit;
    const redis = redisUrl === undefined ? undefined : new Redis(redisUrl, { maxRetriesPerRequest: 1 });
    if (redis) {
      redis.on("error", (error: Error) => logger.warn("rate limit store failed", { error: error.message }));
      app.addHook("onClose", async () => {
        await redis.quit();
      });
    }
    await app.register(rateLimit, {
      global: true,
      max,
      timeWindow: windowMs,
      ...(redis ? { redis, nameSpace: redisPrefix ?? "crm-rate-limit:", skipOnError: true } : {}),
      keyGenerator: (request) => {
        const user = callers.get(request);
        return user ? `user:${user.id}` : `address:${request.ip}`;
      },
      errorResponseBuilder: (_request, context) => ({
        statusCode: 429,
        message: `rate limit of ${context.max} requests per ${context.after} exceeded`,
      }),
    });
  }

  const openApi = buildOpenApiDocument(options.productVersion);
  app.get("/openapi.json", (_request, reply) => reply.send(openApi));
  const healthLimit = { rateLimit: { keyGenerator: (request: FastifyRequest) => `health:${request.ip}` } };
  app.get("/health", { config: healthLimit }, async (_request, reply) => {
    try {
      await options.db.query("SELECT 1");
      return { status: "ok", database: options.db.kind };
    } catch (error) {
      logger.error("health check failed", { error: error instanceof Error ? error.message : String(error) });
      return reply
        .code(503)
        .send({ error: { code: "serverError", message: "The database is not reachable." } });
    }
  });

  registerMetricsRoute(app, { db: options.db, authenticator: options.authenticator });
  await registerGraphNotificationRoutes(app, {
    subscriptions: new GraphSubscriptionStore(options.db, options.clock),
  });

  /**
   * Runs first, before the rate limit: it only looks the token up, so the limit can count the caller's user, or
   * the client address when the token is missing or not valid (a fresh garbage token buys no fresh allowance).
   */
  const identify = async (request: FastifyRequest): Promise<void> => {
    const match = BEARER.exec(request.headers.authorization ?? "");
    const user = match?.[1] ? await options.authenticator.authenticate(match[1]) : null;
    if (user !== null) callers.set(request, user);
  };
  /** Runs after the rate limit and before the body is read: a request without a valid token is refused. */
  const requireCaller = (
    request: FastifyRequest,
    _reply: FastifyReply,
    _body: unknown,
    done: (error?: Error) => void,
  ): void => {
    if (callers.has(request)) done();
    else done(new SyncError("unauthorized", { details: "the bearer token is missing or not valid" }));
  };

  for (const [operationId, spec] of Object.entries(OPERATIONS) as [OperationId, OperationSpec][]) {
    const handler = HANDLERS[operationId] as unknown as AnyHandler;
    app.route({
      method: spec.method,
      url: fastifyPath(spec.path),
      onRequest: identify,
      preParsing: requireCaller,
      handler: async (request, reply) => {
        const user = callers.get(request);
        invariant(user !== undefined, "the preParsing hook refused requests without a caller");
        const input = {
          userId: user.id,
          params: spec.params ? parseInput(spec.params, request.params, "params") : undefined,
          query: spec.query ? parseInput(spec.query, request.query, "query") : undefined,
          body: spec.body ? parseInput(spec.body, request.body, "body") : undefined,
        };
        await requirePrivilege(operationId, user, input, options.service);
        if (spec.response.kind === "json") void reply.code(spec.response.status);
        return handler(input, deps, { request, reply });
      },
    });
  }
  return app;
}
