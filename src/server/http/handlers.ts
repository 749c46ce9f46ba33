/**
 * One handler per protocol operation: parsed, validated input in; the answer out. Handlers only translate
 * between HTTP and the CRM service; the type of `HANDLERS` forces one entry per operation of the table.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { z } from "zod";
import type { Clock } from "../../ports/clock";
import {
  PACKAGE_ROLE_HEADER,
  PACKAGE_VERSION_HEADER,
  type OperationId,
  type OPERATIONS,
} from "../../protocol";
import type { CrmService } from "../sync/crm-service";
import type { ChangeHub } from "./change-hub";

type Operation<K extends OperationId> = (typeof OPERATIONS)[K];
type Parsed<T> = T extends z.ZodType ? z.infer<T> : undefined;

/** The validated input of operation `K`, and who asked. */
export interface HandlerInput<K extends OperationId> {
  readonly userId: string;
  readonly params: Operation<K> extends { params: infer P } ? Parsed<P> : undefined;
  readonly query: Operation<K> extends { query: infer Q } ? Parsed<Q> : undefined;
  readonly body: Operation<K> extends { body: infer B } ? Parsed<B> : undefined;
}

/** What a handler may use besides its input. */
export interface HandlerDeps {
  readonly service: CrmService;
  readonly hub: ChangeHub;
  readonly clock: Clock;
  /** Interval of SSE keep-alive comments, ms. */
  readonly keepAliveMs: number;
  /**
   * Registers an open event stream of `request`'s token so shutdown can end it; returns its deregistration.
   * Throws `rateLimited` when the token already holds its most streams.
   */
  readonly trackStream: (request: FastifyRequest, end: () => void) => () => void;
}

type Handler<K extends OperationId> = (
  input: HandlerInput<K>,
  deps: HandlerDeps,
  http: { request: FastifyRequest; reply: FastifyReply },
) => Promise<unknown>;

export const HANDLERS: { readonly [K in OperationId]: Handler<K> } = {
  whoAmI: ({ userId }, { service }) => service.users.whoAmI(userId),
  registerClient: ({ userId, body }, { service }) => service.clients.register(userId, body.clientId),
  setPrimaryClient: async ({ userId, params }, { service }) => ({
    clients: await service.clients.setPrimary(userId, params.clientId),
  }),
  prepareSync: ({ userId, query }, { service }) => service.sync.prepare(userId, query.clientId),
  getSyncData: ({ userId, query }, { service }) =>
    service.sync.page(userId, {
      clientId: query.clientId,
      ...(query.after === undefined ? {} : { after: query.after }),
      ...(query.limit === undefined ? {} : { limit: query.limit }),
    }),
  getSpecificSyncData: ({ userId, body }, { service }) => service.records.read(userId, body.ids),
  postSync: async ({ userId, body }, { service }) => ({
    ackedVersion: await service.sync.acknowledge(userId, body),
  }),
  createRecord: async ({ userId, body }, { service }, { reply }) => {
    const { record, replayed } = await service.records.create({
      by: userId,
      type: body.type,
      fields: body.fields,
      idempotencyKey: body.idempotencyKey,
      trackedByHand: body.trackedByHand ?? false,
    });
    if (replayed) void reply.code(200);
    return record;
  },
  updateRecord: ({ userId, params, body }, { service }) =>
    service.records.update({
      by: userId,
      id: params.id,
      fields: body.fields,
      expectedVersion: body.expectedVersion,
    }),
  deleteRecord: ({ userId, params, query }, { service }) =>
    service.records.delete({
      by: userId,
      id: params.id,
      ...(query.expectedVersion === undefined ? {} : { expectedVersion: query.expectedVersion }),
    }),
  markTrackedByHand: async ({ userId, params }, { service }) => {
    await service.records.setTrackedByHand({ by: userId, id: params.id, tracked: true });
    return { id: params.id, trackedByHand: true };
  },
  unmarkTrackedByHand: async ({ userId, params }, { service }) => {
    await service.records.setTrackedByHand({ by: userId, id: params.id, tracked: false });
    return { id: params.id, trackedByHand: false };
  },
  lookup: async ({ userId, query }, { service }) => {
    const types = (query.types?.split(",") ?? ["account", "contact"]) as ("account" | "contact")[];
    return { hits: await service.records.lookup(userId, query.text, [...new Set(types)], query.limit ?? 20) };
  },
  downloadPackage: async ({ userId }, { service }, { request, reply }) => {
    const condition = request.headers["if-none-match"];
    const check = await service.packages.download(userId, typeof condition === "string" ? condition : null);
    void reply
      .header("etag", check.etag)
      .header("cache-control", "no-cache, private")
      .header(PACKAGE_VERSION_HEADER, check.version)
      .header(PACKAGE_ROLE_HEADER, encodeURIComponent(check.role));
    if (check.status === "unchanged") return reply.code(304).send();
    void reply.header("content-type", "application/zip");
    return Buffer.from(check.zip);
  },
  backgroundSyncStatus: ({ userId }, { service }) => service.backgroundSync.status(userId),
  requestBackgroundRun: ({ userId }, { service }) => service.backgroundSync.requestRun(userId),
  releaseToBackgroundSync: ({ userId, body }, { service }) =>
    service.backgroundSync.release(userId, body.clientId),
  watchChanges: async ({ userId }, { service, hub, clock, keepAliveMs, trackStream }, { request, reply }) => {
    const headers = { "content-type": "text/event-stream", "cache-control": "no-cache" };
    if (request.method === "HEAD") return reply.headers(headers).send();
    const latest = await service.sync.latestVersion();
    let end = (): void => undefined;
    const untrack = trackStream(request, () => end());
    reply.hijack();
    const out = reply.raw;
    out.writeHead(200, { ...headers, connection: "keep-alive" });
    const send = (latestVersion: number): void => {
      out.write(`event: changes\ndata: ${JSON.stringify({ latestVersion })}\n\n`);
    };
    send(latest);
    const subscription = hub.subscribe(userId, send);
    let keepAlive = clock.setTimeout(function ping() {
      out.write(": keep-alive\n\n");
      keepAlive = clock.setTimeout(ping, keepAliveMs);
    }, keepAliveMs);
    end = (): void => {
      subscription.dispose();
      keepAlive.dispose();
      untrack();
      if (!out.writableEnded) out.end();
    };
    request.raw.on("close", end);
    return undefined;
  },
};
