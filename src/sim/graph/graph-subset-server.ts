import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";
import type { Clock } from "../../ports/clock";
import type { SimulatedMailbox } from "../mailbox/simulated-mailbox";
import { handleGraphRequest, replyForThrown, type GraphContext, type RequestHeaders } from "./graph-handlers";
import { loadGraphMetadata, type GraphMetadata } from "./graph-metadata";
import { error, type Reply } from "./graph-reply";
import { GraphSubscriptions } from "./graph-subscriptions";

/**
 * The Microsoft Graph subset over HTTP on loopback (Node only), served from a SimulatedMailbox: contact
 * folders and contacts, calendar events and calendarView delta, To Do lists, tasks and their linked resources
 * and open extensions, mail folders and messages; GET / POST / PATCH / DELETE by id,
 * singleValueExtendedProperties, $batch (at most 20, parallel or sequential through dependsOn), paging, Graph-style error bodies, and the mailbox's HTTP
 * fault switches (429 with Retry-After, slow answers, responses lost after the write). Every request is checked
 * against Graph's v1.0 metadata first (graph-request-check.ts). Item ids are REST ids, or immutable ids for a
 * request that sends `Prefer: IdType="ImmutableId"`; either form is accepted in a URL.
 * `POST /me/translateExchangeIds` converts between forms.
 */

export interface GraphSubsetServer {
  /** e.g. http://127.0.0.1:PORT/v1.0 */
  readonly baseUrl: string;
  /**
   * Requests answered over HTTP (a $batch counts once), body bytes sent and received, and requests or batch
   * sub-requests refused for going over the mailbox's concurrency limit.
   */
  stats(): {
    readonly requests: number;
    readonly bytesIn: number;
    readonly bytesOut: number;
    readonly overConcurrency: number;
  };
  /** Change-notification subscriptions, and Graph's lifecycle notifications to play. */
  readonly subscriptions: GraphSubscriptions;
  close(): Promise<void>;
}

/** json-batching: "JSON batch requests are currently limited to 20 individual requests." */
const MAX_BATCH = 20;
/**
 * throttling-limits (Outlook service limits): 4 concurrent requests per app per mailbox, more answer 429;
 * json-batching: each request of a batch counts against the limits of its service.
 */
const MAILBOX_CONCURRENCY = 4;
/** The Retry-After the twin gives a request over the concurrency limit (seconds). */
const CONCURRENCY_RETRY_AFTER = 1;

const batchSchema = z.object({
  requests: z.array(
    z.object({
      id: z.string().min(1),
      method: z.enum(["GET", "POST", "PATCH", "DELETE"]),
      url: z.string().min(1),
      body: z.unknown().optional(),
      headers: z.record(z.string(), z.string()).optional(),
      dependsOn: z.array(z.string()).optional(),
    }),
  ),
});

type BatchRequest = z.infer<typeof batchSchema>["requests"][number];

/**
 * json-batching (dependsOn) and its known issues ("Batch should be either fully sequential or fully parallel";
 * a request depends on a single other): a batch is parallel when no request names a dependency, sequential
 * when each request after the first depends on the one before it; anything else is refused.
 */
function batchShape(requests: readonly BatchRequest[]): "parallel" | "sequential" | "mixed" {
  if (requests.every((request) => request.dependsOn === undefined || request.dependsOn.length === 0))
    return "parallel";
  const chained = requests.every((request, index) =>
    index === 0
      ? request.dependsOn === undefined || request.dependsOn.length === 0
      : request.dependsOn?.length === 1 && request.dependsOn[0] === requests[index - 1]?.id,
  );
  return chained ? "sequential" : "mixed";
}

/**
 * The mailbox's concurrency slots a $batch body takes: one per request of a parallel batch (json-batching:
 * each request counts against its service's limits), one for a sequential batch, whose requests run one after
 * another; 0 when it is not a batch (the batch step reports why).
 */
function batchSlots(body: unknown): number {
  const parsed = batchSchema.safeParse(body);
  if (!parsed.success) return 0;
  return batchShape(parsed.data.requests) === "sequential" ? 1 : parsed.data.requests.length;
}

let defaultMetadata: GraphMetadata | null = null;

/** The vendored v1.0 metadata, parsed on first use; the model is read-only, so every server may share it. */
function vendoredMetadata(): GraphMetadata {
  defaultMetadata ??= loadGraphMetadata();
  return defaultMetadata;
}

/** What the twin makes of a presented bearer token. */
export type GraphTokenVerdict = "valid" | "expired" | "invalid";

/** resolve-auth-errors: Graph answers 401 when the access token is missing, not valid, or expired. */
function tokenRefusal(verdict: GraphTokenVerdict): Reply | null {
  if (verdict === "valid") return null;
  // Graph's message for an expired token, as reported on Microsoft's Tech Community (officegraph forum).
  if (verdict === "expired")
    return error(401, "InvalidAuthenticationToken", "Access token has expired or is not yet valid.");
  return error(401, "InvalidAuthenticationToken", "Access token is empty or not valid.");
}

/**
 * Starts the server on 127.0.0.1 with an OS-chosen port. `token` is the bearer token every request must carry,
 * or a check that judges each presented token (a short-lived token that can expire).
 */
export async function startGraphSubsetServer(options: {
  readonly mailbox: SimulatedMailbox;
  readonly clock: Clock;
  readonly token: string | ((presented: string) => GraphTokenVerdict);
  /** The metadata requests are checked against; default the vendored Graph v1.0 metadata. */
  readonly metadata?: GraphMetadata;
}): Promise<GraphSubsetServer> {
  const { mailbox, clock, token } = options;
  const counters = { requests: 0, bytesIn: 0, bytesOut: 0, overConcurrency: 0 };
  let inFlight = 0;
  let nextPart = 0;
  const context: { -readonly [K in keyof GraphContext]: GraphContext[K] } = {
    mailbox,
    metadata: options.metadata ?? vendoredMetadata(),
    baseUrl: "",
    nextPartId: () => {
      nextPart += 1;
      return `AAMk-part-${nextPart}`;
    },
  };

  const safely = (run: () => Reply): Reply => {
    try {
      return run();
    } catch (cause) {
      return replyForThrown(cause);
    }
  };
  const handle = (method: string, url: string, body: unknown, headers: RequestHeaders): Reply =>
    handleGraphRequest(context, method, url, body, headers);

  const tooMany = (): Reply => {
    counters.overConcurrency += 1;
    return error(429, "ApplicationThrottled", "Application is over its MailboxConcurrency limit.", {
      "Retry-After": String(CONCURRENCY_RETRY_AFTER),
    });
  };

  /**
   * Answers a $batch; sub-requests of a parallel batch from index `admitted` on are over the concurrency limit
   * (a sequential one was admitted whole or not at all).
   */
  const batch = (body: unknown, admitted: number): Reply => {
    const parsed = batchSchema.safeParse(body);
    if (!parsed.success)
      return error(
        400,
        "BadRequest",
        `Invalid batch payload: ${parsed.error.issues[0]?.message ?? "invalid"}`,
      );
    if (parsed.data.requests.length > MAX_BATCH) {
      return error(400, "BadRequest", `Number of requests in the batch exceeds the limit of ${MAX_BATCH}.`);
    }
    const shape = batchShape(parsed.data.requests);
    if (shape === "mixed")
      return error(400, "BadRequest", "Batch should be either fully sequential or fully parallel.");
    let failed = false;
    const responses = parsed.data.requests.map((request, index) => {
      // json-batching: "If an individual request fails, any request that depends on that request fails with
      // status code 424 (Failed Dependency)."
      if (failed) {
        const reply = error(424, "FailedDependency", "The request depends on a request that failed.");
        return { id: request.id, status: reply.status, body: reply.body };
      }
      const answer = subRequest(request, shape === "parallel" && index >= admitted);
      failed = shape === "sequential" && answer.status >= 400;
      return answer;
    });
    return { status: 200, body: { responses } };
  };

  /** One sub-request of a batch (`over`: past the concurrency limit), answered as a batch response. */
  const subRequest = (request: BatchRequest, over: boolean) => {
    if (over) {
      const reply = tooMany();
      return { id: request.id, status: reply.status, headers: reply.headers, body: reply.body };
    }
    const fault = mailbox.faults.takeHttpFault(request.method, request.url.split("?")[0] ?? "");
    if (fault?.kind === "throttle") {
      const reply = error(429, "TooManyRequests", "Too many requests.", {
        "Retry-After": String(fault.retryAfterSeconds),
      });
      return { id: request.id, status: reply.status, headers: reply.headers, body: reply.body };
    }
    const reply = safely(() =>
      handle(request.method, `/v1.0${request.url.startsWith("/") ? "" : "/"}${request.url}`, request.body, {
        // json-batching: each request carries its own headers; the batch's own headers are not applied to it.
        prefer: Object.entries(request.headers ?? {}).find(([name]) => name.toLowerCase() === "prefer")?.[1],
      }),
    );
    return {
      id: request.id,
      status: reply.status,
      headers: { "Content-Type": "application/json", ...reply.headers },
      ...(reply.body !== undefined && { body: reply.body }),
    };
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      void (async () => {
        counters.requests += 1;
        const raw = Buffer.concat(chunks).toString("utf8");
        counters.bytesIn += raw.length;
        const method = req.method ?? "GET";
        const url = req.url ?? "/";
        const path = url.split("?")[0] ?? "/";
        const isBatch = path === "/v1.0/$batch" && method === "POST";
        let body: unknown;
        let jsonError = false;
        if (raw !== "") {
          try {
            body = JSON.parse(raw);
          } catch {
            jsonError = true;
          }
        }
        const wanted = isBatch ? batchSlots(body) : 1;
        const admitted = Math.min(wanted, MAILBOX_CONCURRENCY - inFlight);
        let held = Math.max(0, admitted);
        inFlight += held;
        const send = (reply: Reply) => {
          inFlight -= held;
          held = 0;
          const text = reply.body === undefined ? "" : JSON.stringify(reply.body);
          counters.bytesOut += text.length;
          res.writeHead(reply.status, {
            ...(text !== "" && { "Content-Type": "application/json" }),
            ...reply.headers,
          });
          res.end(text);
        };
        if (admitted <= 0 && !(isBatch && wanted === 0)) {
          send(tooMany());
          return;
        }
        const fault = mailbox.faults.takeHttpFault(method, path.replace(/^\/v1\.0/, ""), isBatch);
        if (fault?.kind === "slow")
          await new Promise<void>((resolve) => clock.setTimeout(resolve, fault.delayMs));
        if (fault?.kind === "throttle") {
          send(
            error(429, "TooManyRequests", "Too many requests.", {
              "Retry-After": String(fault.retryAfterSeconds),
            }),
          );
          return;
        }
        const presented = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1] ?? "";
        const refusal = tokenRefusal(
          typeof token === "string" ? (presented === token ? "valid" : "invalid") : token(presented),
        );
        if (refusal !== null) {
          send(refusal);
          return;
        }
        if (jsonError) {
          send(error(400, "BadRequest", "The request body is not valid JSON."));
          return;
        }
        const prefer = req.headers.prefer;
        const headers = { prefer: Array.isArray(prefer) ? prefer.join(",") : prefer };
        const segments = path
          .replace(/^\/v1\.0/, "")
          .split("/")
          .filter((segment) => segment !== "");
        const reply = isBatch
          ? batch(body, admitted)
          : GraphSubscriptions.handles(segments)
            ? await subscriptions.handle(method, segments, body)
            : safely(() => handle(method, url, body, headers));
        if (fault?.kind === "loseResponse") {
          inFlight -= held;
          held = 0;
          res.socket?.destroy();
          return;
        }
        send(reply);
      })();
    });
  });
  const subscriptions = new GraphSubscriptions({ mailbox, clock, metadata: context.metadata });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  context.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1.0`;
  return {
    baseUrl: context.baseUrl,
    stats: () => ({ ...counters }),
    subscriptions,
    close: () =>
      new Promise<void>((resolve, reject) => {
        subscriptions.dispose();
        server.closeAllConnections();
        server.close((cause) => (cause ? reject(cause) : resolve()));
      }),
  };
}
