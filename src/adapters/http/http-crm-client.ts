/**
 * CrmClient over the HTTP sync protocol (src/protocol). Every answer is validated with the protocol's schemas.
 * Failures become SyncError: the server's typed error code when it sent one (`noSyncPrivilege`,
 * `resyncRequired`, `packageUnavailable`, …), else one derived from the status; a failed fetch is `network`
 * and an answer that does not match the protocol is `serverError`. A 409 on update or delete is an outcome.
 */
import { SyncError, type ErrorCode } from "../../core/errors";
import { handedBackRetryAt } from "../../core/retry-policy";
import type { CrmRecordType, Fields } from "../../core/types";
import type { Clock, Disposable } from "../../ports/clock";
import type {
  BackgroundSyncStatus,
  ClientRegistration,
  CrmClient,
  CrmRecord,
  DeleteOutcome,
  LookupHit,
  PackageCheck,
  Registration,
  SpecificSyncData,
  SyncCounts,
  SyncPage,
  UpdateOutcome,
  WhoAmI,
} from "../../ports/crm-client";
import {
  ChangeHintSchema,
  ConflictBodySchema,
  ErrorBodySchema,
  OPERATIONS,
  PACKAGE_ROLE_HEADER,
  PACKAGE_VERSION_HEADER,
  type OperationId,
  type OperationResult,
} from "../../protocol";

/** How the client reaches the server. */
export interface HttpCrmClientOptions {
  /** Base URL of the server, e.g. `https://crm.example.com`. */
  readonly baseUrl: string;
  /** The bearer token for each request (opaque token or OIDC access token). */
  readonly getToken: () => Promise<string>;
  /** Injected so tests and the simulator can route requests; default the global fetch. */
  readonly fetch?: typeof fetch;
  /** Schedules reconnection of the change-hint stream. */
  readonly clock: Clock;
  /** Delay before the change-hint stream reconnects, ms; default 5,000. */
  readonly reconnectMs?: number;
}

/** Status → code when the server sent no typed body (a proxy answered, for example). */
const codeForStatus = (status: number): ErrorCode => {
  if (status === 400 || status === 413 || status === 415) return "invalidInput";
  if (status === 401) return "unauthorized";
  if (status === 403) return "forbidden";
  if (status === 404) return "notFound";
  if (status === 409) return "conflict";
  if (status === 410) return "resyncRequired";
  if (status === 429) return "rateLimited";
  return "serverError";
};

interface Call {
  readonly params?: Readonly<Record<string, string>>;
  readonly query?: Readonly<Record<string, string | number | undefined>>;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export class HttpCrmClient implements CrmClient {
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: HttpCrmClientOptions) {
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  whoAmI(): Promise<WhoAmI> {
    return this.json("whoAmI", {});
  }

  registerClient(clientId: string): Promise<Registration> {
    return this.json("registerClient", { body: { clientId } });
  }

  async setPrimaryClient(clientId: string): Promise<readonly ClientRegistration[]> {
    return (await this.json("setPrimaryClient", { params: { clientId } })).clients;
  }

  prepareSync(clientId: string): Promise<SyncCounts> {
    return this.json("prepareSync", { query: { clientId } });
  }

  getSyncData(request: { clientId: string; after?: number; limit?: number }): Promise<SyncPage> {
    return this.json("getSyncData", { query: request });
  }

  getSpecificSyncData(ids: readonly string[]): Promise<SpecificSyncData> {
    return this.json("getSpecificSyncData", { body: { ids } });
  }

  async postSync(request: {
    clientId: string;
    version: number;
    removedFromOutlook?: readonly string[];
  }): Promise<number> {
    return (await this.json("postSync", { body: request })).ackedVersion;
  }

  createRecord(request: {
    idempotencyKey: string;
    type: CrmRecordType;
    fields: Fields;
    trackedByHand?: boolean;
  }): Promise<CrmRecord> {
    return this.json("createRecord", { body: request });
  }

  async updateRecord(request: {
    id: string;
    expectedVersion: number;
    fields: Fields;
  }): Promise<UpdateOutcome> {
    const response = await this.send("updateRecord", {
      params: { id: request.id },
      body: { expectedVersion: request.expectedVersion, fields: request.fields },
    });
    if (response.status === 409) return { status: "conflict", current: await this.conflictRecord(response) };
    return { status: "updated", record: await this.parse("updateRecord", response) };
  }

  async deleteRecord(request: { id: string; expectedVersion?: number }): Promise<DeleteOutcome> {
    const response = await this.send("deleteRecord", {
      params: { id: request.id },
      query: { expectedVersion: request.expectedVersion },
    });
    if (response.status === 409) return { status: "conflict", current: await this.conflictRecord(response) };
    return { status: "deleted", version: (await this.parse("deleteRecord", response)).version };
  }

  async setTrackedByHand(id: string, tracked: boolean): Promise<void> {
    await this.json(tracked ? "markTrackedByHand" : "unmarkTrackedByHand", { params: { id } });
  }

  async lookup(request: {
    text: string;
    types?: readonly ("account" | "contact")[];
    limit?: number;
  }): Promise<readonly LookupHit[]> {
    const query = { text: request.text, types: request.types?.join(","), limit: request.limit };
    return (await this.json("lookup", { query })).hits;
  }

  async checkPackage(etag: string | null): Promise<PackageCheck> {
    const response = await this.send(
      "downloadPackage",
      etag === null ? {} : { headers: { "if-none-match": etag } },
    );
    if (response.status !== 304 && !response.ok) throw await this.failure(response);
    const tag = response.headers.get("etag");
    const version = response.headers.get(PACKAGE_VERSION_HEADER);
    const role = response.headers.get(PACKAGE_ROLE_HEADER);
    if (!tag || !version || role === null)
      throw new SyncError("serverError", {
        details: "the package answer lacks its ETag, version or role header",
      });
    const facts = { etag: tag, version, role: decodeURIComponent(role) };
    if (response.status === 304) return { status: "unchanged", ...facts };
    return { status: "changed", ...facts, zip: new Uint8Array(await response.arrayBuffer()) };
  }

  backgroundSyncStatus(): Promise<BackgroundSyncStatus> {
    return this.json("backgroundSyncStatus", {});
  }

  requestBackgroundRun(): Promise<BackgroundSyncStatus> {
    return this.json("requestBackgroundRun", {});
  }

  releaseToBackgroundSync(clientId: string): Promise<BackgroundSyncStatus> {
    return this.json("releaseToBackgroundSync", { body: { clientId } });
  }

  watchChanges(listener: (latestVersion: number) => void): Disposable {
    let disposed = false;
    let controller: AbortController | undefined;
    let retry: Disposable | undefined;
    const connect = (): void => {
      controller = new AbortController();
      this.readHints(controller.signal, listener).then(reconnect, reconnect);
    };
    const reconnect = (): void => {
      if (!disposed) retry = this.options.clock.setTimeout(connect, this.options.reconnectMs ?? 5_000);
    };
    connect();
    return {
      dispose: () => {
        disposed = true;
        retry?.dispose();
        controller?.abort();
      },
    };
  }

  /** Reads one event stream until it ends, calling `listener` for each `changes` event. */
  private async readHints(signal: AbortSignal, listener: (latestVersion: number) => void): Promise<void> {
    const response = await this.send("watchChanges", {}, signal);
    if (!response.ok || !response.body) throw await this.failure(response);
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += value;
      let end = buffer.indexOf("\n\n");
      while (end >= 0) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = /^data: (.*)$/m.exec(event)?.[1];
        if (/^event: changes$/m.test(event) && data !== undefined) {
          const hint = ChangeHintSchema.safeParse(JSON.parse(data));
          if (hint.success) listener(hint.data.latestVersion);
        }
        end = buffer.indexOf("\n\n");
      }
    }
  }

  private async json<K extends OperationId>(operation: K, call: Call): Promise<OperationResult<K>> {
    return this.parse(operation, await this.send(operation, call));
  }

  private async parse<K extends OperationId>(operation: K, response: Response): Promise<OperationResult<K>> {
    if (!response.ok) throw await this.failure(response);
    const spec = OPERATIONS[operation].response;
    if (spec.kind !== "json")
      throw new SyncError("serverError", { details: `${operation} does not answer JSON` });
    const body: unknown = await response.json().catch(() => undefined);
    const parsed = spec.schema.safeParse(body);
    if (!parsed.success) {
      throw new SyncError("serverError", { details: `${operation}: the answer does not match the protocol` });
    }
    return parsed.data as OperationResult<K>;
  }

  private async conflictRecord(response: Response): Promise<CrmRecord> {
    const parsed = ConflictBodySchema.safeParse(await response.json().catch(() => undefined));
    if (!parsed.success)
      throw new SyncError("serverError", { details: "a 409 answer without the current record" });
    return parsed.data.current;
  }

  private async failure(response: Response): Promise<SyncError> {
    const parsed = ErrorBodySchema.safeParse(await response.json().catch(() => undefined));
    const code: ErrorCode = parsed.success ? parsed.data.error.code : codeForStatus(response.status);
    const retryAfter = response.headers.get("retry-after");
    const details = [
      `HTTP ${response.status}`,
      parsed.success ? parsed.data.error.details : undefined,
      parsed.success && parsed.data.error.field ? `field ${parsed.data.error.field}` : undefined,
      retryAfter ? `retry after ${retryAfter} s` : undefined,
    ].filter((part) => part !== undefined);
    // A throttled answer is handed back with its retry time (SPEC §5); the engine calls again then.
    const retryAt =
      code === "rateLimited" ? handedBackRetryAt(retryAfter, this.options.clock.now()) : undefined;
    return new SyncError(code, { details: details.join("; "), ...(retryAt !== undefined && { retryAt }) });
  }

  private async send(operation: OperationId, call: Call, signal?: AbortSignal): Promise<Response> {
    const spec = OPERATIONS[operation];
    const path = spec.path.replace(/\{(\w+)\}/g, (_match, name: string) =>
      encodeURIComponent(call.params?.[name] ?? ""),
    );
    const url = new URL(path, this.options.baseUrl);
    for (const [key, value] of Object.entries(call.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = {
      ...call.headers,
      authorization: `Bearer ${await this.options.getToken()}`,
    };
    if (call.body !== undefined) headers["content-type"] = "application/json";
    try {
      return await this.fetchImpl(url, {
        method: spec.method,
        headers,
        // The package check revalidates with its own If-None-Match; the browser's cache must not answer it.
        ...(operation === "downloadPackage" ? { cache: "no-store" as const } : {}),
        ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      throw new SyncError("network", { details: `${spec.method} ${spec.path} got no answer.`, cause: error });
    }
  }
}
