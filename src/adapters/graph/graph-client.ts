import { SyncError, type ErrorCode } from "../../core/errors";
import { handedBackRetryAt } from "../../core/retry-policy";
import type { Clock } from "../../ports/clock";
import { batchResponseSchema, errorSchema } from "./graph-schemas";
import type { TokenProvider } from "./token-provider";

/**
 * The Graph transport of one mailbox: bearer tokens, {@link BASE_PREFER} on every request, retries
 * of 429 / 503 / 504 after Retry-After (or an exponential backoff) plus up to 1 s of jitter through the injected
 * clock, and a budget of 4 requests in flight shared by every call, a `$batch`'s sub-requests included
 * (throttling-limits, Outlook service: "4 concurrent requests" per app per mailbox; json-batching: "requests in
 * a batch are evaluated individually against throttling limits"), except a sequential `$batch` (dependsOn),
 * whose requests run one at a time and which takes one slot. A Retry-After over 5 s is not waited out: it
 * is thrown as SyncError("rateLimited") with its `retryAt`, for the engine to call again then.
 */

/**
 * Sent with every request: immutable ids (graph/outlook-immutable-id: the header applies only to the request it
 * is sent with) and text bodies (message-get, event-get: `Prefer: outlook.body-content-type="text"`).
 */
export const BASE_PREFER = 'IdType="ImmutableId", outlook.body-content-type="text"';
/** throttling-limits (Outlook service): at most 4 concurrent requests per app per mailbox. */
export const MAILBOX_CONCURRENCY = 4;

export interface Answer {
  readonly status: number;
  readonly retryAfter: string | null;
  readonly body: unknown;
}

export interface BatchRequest {
  readonly id: string;
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body?: unknown;
  /** json-batching (dependsOn): the requests of the batch this one runs after. */
  readonly dependsOn?: readonly string[];
}

/** json-batching: "JSON batch requests are currently limited to 20 individual requests." */
export const MAX_BATCH = 20;

/** Thrown for a failed attempt that a caller may want to see (network loss). */
export class NetworkLost extends Error {}

export function codeFor(status: number): ErrorCode {
  if (status === 400 || status === 422) return "invalidInput";
  if (status === 401) return "unauthorized";
  if (status === 403) return "forbidden";
  if (status === 404) return "notFound";
  if (status === 409 || status === 412) return "conflict";
  if (status === 410) return "resyncRequired";
  if (status === 429) return "rateLimited";
  return "mailboxServerError";
}

export function describe(body: unknown): string {
  const parsed = errorSchema.safeParse(body);
  return parsed.success ? `${parsed.data.error.code}: ${parsed.data.error.message}` : "no error body";
}

/** Reads a response schema, reporting a mismatch as SyncError("mailboxServerError") naming where. */
export function parseAnswer<T>(
  schema: {
    safeParse(
      value: unknown,
    ):
      | { success: true; data: T }
      | { success: false; error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] } };
  },
  value: unknown,
  what: string,
): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new SyncError("mailboxServerError", {
    details: `Graph answered a ${what} not as expected at "${issue?.path.map(String).join(".") ?? ""}": ${issue?.message ?? ""}`,
  });
}

/** The Retry-After header of a batch sub-response, or null. */
function retryAfterOf(headers: Readonly<Record<string, string>> | undefined): string | null {
  return Object.entries(headers ?? {}).find(([name]) => name.toLowerCase() === "retry-after")?.[1] ?? null;
}

export class GraphClient {
  private readonly fetch: typeof fetch;
  private readonly baseUrl: string;
  private readonly tokens: TokenProvider;
  private readonly clock: Clock;
  private readonly random: () => number;
  readonly maxAttempts: number;
  private free = MAILBOX_CONCURRENCY;
  private readonly waiting: { readonly slots: number; readonly resume: () => void }[] = [];
  /** The $batch in flight: one at a time per mailbox. */
  private batchTurn: Promise<void> = Promise.resolve();

  constructor(options: {
    readonly fetch: typeof fetch;
    readonly baseUrl: string;
    readonly tokens: TokenProvider;
    readonly clock: Clock;
    readonly random: () => number;
    readonly maxAttempts: number;
  }) {
    this.fetch = options.fetch;
    this.baseUrl = options.baseUrl.replace(/\/$/, "");
    this.tokens = options.tokens;
    this.clock = options.clock;
    this.random = options.random;
    this.maxAttempts = options.maxAttempts;
  }

  /**
   * One Graph call with retries: 429/503/504 wait and retry; a lost connection is retried when
   * `retryNetwork` (every call but a create's POST, which the caller replays by key). Returns the JSON body.
   */
  async request(
    method: string,
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
    retryNetwork = true,
  ): Promise<unknown> {
    const target = url.startsWith("http") ? url : `${this.baseUrl}${url}`;
    for (let attempt = 1; ; attempt += 1) {
      let answer: Answer;
      try {
        answer = await this.send(method, target, body, headers, 1);
      } catch (error) {
        if (!(error instanceof NetworkLost)) throw error;
        if (!retryNetwork) throw error;
        if (attempt >= this.maxAttempts)
          throw new SyncError("mailboxUnreachable", {
            details: `${method} ${url}: ${error.message}`,
            cause: error,
          });
        await this.wait(this.backoff(attempt));
        continue;
      }
      if (answer.status >= 200 && answer.status < 300) return answer.body;
      const transient = answer.status === 429 || answer.status === 503 || answer.status === 504;
      if (transient) this.handBackLongWait(`${method} ${url}`, answer.retryAfter);
      if (transient && attempt < this.maxAttempts) {
        await this.wait(this.retryDelay(answer.retryAfter, attempt));
        continue;
      }
      throw new SyncError(codeFor(answer.status), {
        details: `${method} ${url}: ${answer.status} ${describe(answer.body)}`,
      });
    }
  }

  /**
   * Sends sub-requests in `$batch` requests of at most {@link MAILBOX_CONCURRENCY} (each sub-request takes one
   * slot of the budget), one batch at a time, retrying the ones Graph throttled; answers by sub-request id.
   */
  async batch(requests: readonly BatchRequest[]): Promise<Map<string, Answer>> {
    const answers = new Map<string, Answer>();
    for (let i = 0; i < requests.length; i += MAILBOX_CONCURRENCY) {
      const chunk = requests.slice(i, i + MAILBOX_CONCURRENCY);
      const turn = this.batchTurn.then(() => this.batchChunk(chunk, answers));
      this.batchTurn = turn.catch(() => undefined);
      await turn;
    }
    return answers;
  }

  private async batchChunk(requests: readonly BatchRequest[], answers: Map<string, Answer>): Promise<void> {
    let pending = this.withPrefer(requests);
    for (let attempt = 1; pending.length > 0; attempt += 1) {
      const sent = await this.sendBatch(pending, attempt, pending.length, true);
      const parsed = parseAnswer(batchResponseSchema, sent, "$batch answer");
      const throttled: typeof pending = [];
      let retryAfter: string | null = null;
      for (const response of parsed.responses) {
        const request = pending.find((candidate) => candidate.id === response.id);
        if (request === undefined) continue;
        const header = retryAfterOf(response.headers);
        if ((response.status === 429 || response.status === 503) && attempt < this.maxAttempts) {
          throttled.push(request);
          retryAfter = header ?? retryAfter;
        } else answers.set(response.id, { status: response.status, retryAfter: header, body: response.body });
      }
      pending = throttled;
      if (pending.length > 0) this.handBackLongWait("a $batch sub-request", retryAfter);
      if (pending.length > 0) await this.wait(this.retryDelay(retryAfter, attempt));
    }
  }

  /**
   * Sends up to {@link MAX_BATCH} sub-requests as one sequential `$batch` (json-batching, dependsOn: each runs
   * after the one before, and one that fails makes the rest fail with 424), which takes one slot of the budget.
   * A throttled batch is sent again; a lost answer is thrown as {@link NetworkLost}, since its requests may have
   * run. Answers by sub-request id, throttled sub-requests included: the caller decides about those.
   */
  async sequence(requests: readonly BatchRequest[]): Promise<Map<string, Answer>> {
    if (requests.length > MAX_BATCH)
      throw new RangeError(`a $batch holds at most ${MAX_BATCH} requests, got ${requests.length}`);
    const chained = this.withPrefer(requests).map((request, index) => ({
      ...request,
      ...(index > 0 && { dependsOn: [requests[index - 1]?.id ?? ""] }),
    }));
    const sent = parseAnswer(
      batchResponseSchema,
      await this.sendBatch(chained, 1, 1, false),
      "$batch answer",
    );
    const answers = new Map<string, Answer>();
    for (const response of sent.responses) {
      const header = retryAfterOf(response.headers);
      answers.set(response.id, { status: response.status, retryAfter: header, body: response.body });
    }
    return answers;
  }

  /** The requests with {@link BASE_PREFER} in front of their own Prefer header. */
  private withPrefer(requests: readonly BatchRequest[]): BatchRequest[] {
    return requests.map((request) => ({
      ...request,
      headers: {
        ...request.headers,
        Prefer:
          request.headers.Prefer === undefined ? BASE_PREFER : `${BASE_PREFER}, ${request.headers.Prefer}`,
      },
    }));
  }

  /**
   * POSTs one `$batch` holding `slots` of the budget, sending it again after a throttled answer and, when
   * `retryNetwork`, after a lost one.
   */
  private async sendBatch(
    requests: readonly BatchRequest[],
    attempt: number,
    slots: number,
    retryNetwork: boolean,
  ): Promise<unknown> {
    const url = `${this.baseUrl}/$batch`;
    for (let tries = attempt; ; tries += 1) {
      let answer: Answer;
      try {
        answer = await this.send("POST", url, { requests }, {}, slots);
      } catch (error) {
        if (!(error instanceof NetworkLost) || !retryNetwork) throw error;
        if (tries >= this.maxAttempts)
          throw new SyncError("mailboxUnreachable", {
            details: `POST /$batch: ${error.message}`,
            cause: error,
          });
        await this.wait(this.backoff(tries));
        continue;
      }
      if (answer.status >= 200 && answer.status < 300) return answer.body;
      const transient = answer.status === 429 || answer.status === 503 || answer.status === 504;
      if (transient) this.handBackLongWait("POST /$batch", answer.retryAfter);
      if (transient && tries < this.maxAttempts) {
        await this.wait(this.retryDelay(answer.retryAfter, tries));
        continue;
      }
      throw new SyncError(codeFor(answer.status), {
        details: `POST /$batch: ${answer.status} ${describe(answer.body)}`,
      });
    }
  }

  wait(ms: number): Promise<void> {
    return new Promise((resolve) => this.clock.setTimeout(resolve, ms));
  }

  backoff(attempt: number): number {
    return Math.min(30_000, 500 * 2 ** (attempt - 1));
  }

  /**
   * Throws SyncError("rateLimited") with `retryAt` when a throttled answer's Retry-After is too long to wait in
   * place (throttling: "wait the number of seconds specified in the Retry-After header").
   */
  private handBackLongWait(what: string, retryAfter: string | null): void {
    const retryAt = handedBackRetryAt(retryAfter, this.clock.now());
    if (retryAt === undefined) return;
    throw new SyncError("rateLimited", {
      details: `${what}: Graph throttled the mailbox; retry after ${retryAfter ?? ""} s.`,
      retryAt,
    });
  }

  private retryDelay(retryAfter: string | null, attempt: number): number {
    const seconds = retryAfter === null ? Number.NaN : Number(retryAfter);
    const base = Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : this.backoff(attempt);
    return base + Math.floor(this.random() * 1000);
  }

  private async send(
    method: string,
    url: string,
    body: unknown,
    headers: Record<string, string>,
    slots: number,
  ): Promise<Answer> {
    await this.acquire(slots);
    try {
      const token = await this.tokens.getToken();
      let response: Response;
      const { Prefer: prefer, ...others } = headers;
      try {
        response = await this.fetch(url, {
          method,
          headers: {
            Authorization: `Bearer ${token}`,
            Accept: "application/json",
            ...(body !== undefined && { "Content-Type": "application/json" }),
            ...others,
            Prefer: prefer === undefined ? BASE_PREFER : `${BASE_PREFER}, ${prefer}`,
          },
          ...(body !== undefined && { body: JSON.stringify(body) }),
        });
      } catch (error) {
        throw new NetworkLost(error instanceof Error ? error.message : String(error));
      }
      let text: string;
      try {
        text = await response.text();
      } catch (error) {
        throw new NetworkLost(error instanceof Error ? error.message : String(error));
      }
      let json: unknown = undefined;
      if (text !== "") {
        try {
          json = JSON.parse(text);
        } catch {
          throw new SyncError("mailboxServerError", { details: `${method} ${url}: the answer is not JSON` });
        }
      }
      return { status: response.status, retryAfter: response.headers.get("Retry-After"), body: json };
    } finally {
      this.release(slots);
    }
  }

  /** Takes `slots` of the mailbox budget, in arrival order. */
  private acquire(slots: number): Promise<void> {
    if (this.waiting.length === 0 && this.free >= slots) {
      this.free -= slots;
      return Promise.resolve();
    }
    return new Promise((resume) => this.waiting.push({ slots, resume }));
  }

  private release(slots: number): void {
    this.free += slots;
    for (let next = this.waiting[0]; next !== undefined && this.free >= next.slots; next = this.waiting[0]) {
      this.waiting.shift();
      this.free -= next.slots;
      next.resume();
    }
  }
}
