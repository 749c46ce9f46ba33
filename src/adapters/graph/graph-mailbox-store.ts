import { SyncError, type ErrorCode } from "../../core/errors";
import type { EntityType, FieldValue, Fields } from "../../core/types";
import type { Clock, Disposable } from "../../ports/clock";
import type { ItemIdTranslator } from "../../ports/item-ids";
import {
  customPropertiesPropertyId,
  customPropertiesWithLink,
  DEFAULT_CALENDAR_WINDOW,
  IDEMPOTENCY_PROPERTY_ID,
  linkFromCustomProperties,
  parseCustomProperties,
  type CalendarWindow,
  type FolderCheckpoint,
  type FolderScan,
  type MailboxChangeFeed,
  type MailboxChangeNotice,
  type MailboxFolder,
  type MailboxItem,
  type MailboxItemPatch,
  type NewMailboxItem,
  type MailboxStore,
} from "../../ports/mailbox-store";
import { checkFields, CONTACT_EXTENDED_FIELDS, fieldsToGraph, graphToFields } from "./graph-fields";
import {
  batchResponseSchema,
  collectionSchema,
  errorSchema,
  folderListSchema,
  folderSchema,
  removedSchema,
  resourceSchema,
  translateResultSchema,
  type GraphResource,
} from "./graph-schemas";
import type { TokenProvider } from "./token-provider";

/**
 * MailboxStore over Microsoft Graph with an injected `fetch` and token provider. Guarantees:
 * - at most 4 requests in flight; getItems goes through $batch (20 per batch);
 * - 429 / 503 / 504 wait Retry-After (or an exponential backoff) plus up to 1 s of jitter, through the
 *   injected clock, up to `maxAttempts` tries; then SyncError("rateLimited" / "serverError");
 * - a create stamps its idempotency key in the same POST (events: transactionId; others: an extended
 *   property) and looks the key up before every attempt, so a create whose answer was lost is found, not repeated;
 * - delta scans report `@removed` entries as removals, except events that still exist (they left the
 *   calendarView window); 410 / syncStateNotFound restarts the folder from scratch with `fullRescan: true`;
 * - the link stamp is read from and written into the Office.js custom properties (`cecp-<add-in id>`);
 * - every call asks for immutable ids (`Prefer: IdType="ImmutableId"`), so an item keeps its id when it moves
 *   to another folder; `storeIdsFor` turns REST ids (what Office.js gives after convertToRestId) into them.
 */

const GRAPH_URL = "https://graph.microsoft.com/v1.0";
const MAX_IN_FLIGHT = 4;
const BATCH_SIZE = 20;
const DAY_MS = 86_400_000;
const TYPES: readonly EntityType[] = ["contact", "appointment", "task", "email"];
/** graph/outlook-immutable-id: the header applies only to the request it is sent with, so every call sends it. */
const IMMUTABLE_IDS = 'IdType="ImmutableId"';
/** user-translateexchangeids: "Maximum size of this collection is 1000 strings." */
const TRANSLATE_LIMIT = 1000;

interface Folders {
  readonly contacts: string;
  readonly calendar: string;
  readonly tasks: string;
  readonly inbox: string;
  readonly sent: string;
}

interface Answer {
  readonly status: number;
  readonly retryAfter: string | null;
  readonly body: unknown;
}

/** Thrown inside the store for a failed attempt that a caller may want to see (network loss). */
class NetworkLost extends Error {}

function codeFor(status: number): ErrorCode {
  if (status === 400 || status === 422) return "invalidInput";
  if (status === 401) return "unauthorized";
  if (status === 403) return "forbidden";
  if (status === 404) return "notFound";
  if (status === 409 || status === 412) return "conflict";
  if (status === 410) return "resyncRequired";
  if (status === 429) return "rateLimited";
  return "serverError";
}

function describe(body: unknown): string {
  const parsed = errorSchema.safeParse(body);
  return parsed.success ? `${parsed.data.error.code}: ${parsed.data.error.message}` : "no error body";
}

function quote(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export class GraphMailboxStore implements MailboxStore, ItemIdTranslator {
  private readonly fetch: typeof fetch;
  private readonly baseUrl: string;
  private readonly tokens: TokenProvider;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly window: CalendarWindow;
  private readonly feed: MailboxChangeFeed | null;
  private readonly maxAttempts: number;
  private readonly pageSize: number;
  private readonly cecpId: string;
  private readonly typeOf = new Map<string, EntityType>();
  private folderIds: Promise<Folders> | null = null;
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(options: {
    readonly fetch: typeof fetch;
    readonly tokens: TokenProvider;
    readonly clock: Clock;
    /** The add-in id whose custom properties hold the link stamp. */
    readonly addinId: string;
    /** Default https://graph.microsoft.com/v1.0. */
    readonly baseUrl?: string;
    /** A number in [0, 1) for jitter; default Math.random. */
    readonly random?: () => number;
    readonly calendarWindow?: CalendarWindow;
    /** What the add-in observed (Office.js events) or the simulator's notices; without it `watch` reports nothing. */
    readonly changeFeed?: MailboxChangeFeed;
    /** Tries per request, default 5. */
    readonly maxAttempts?: number;
    /** Delta page size asked with Prefer: odata.maxpagesize, default 100. */
    readonly pageSize?: number;
  }) {
    this.fetch = options.fetch;
    this.baseUrl = (options.baseUrl ?? GRAPH_URL).replace(/\/$/, "");
    this.tokens = options.tokens;
    this.clock = options.clock;
    this.random = options.random ?? Math.random;
    this.window = options.calendarWindow ?? DEFAULT_CALENDAR_WINDOW;
    this.feed = options.changeFeed ?? null;
    this.maxAttempts = options.maxAttempts ?? 5;
    this.pageSize = options.pageSize ?? 100;
    this.cecpId = customPropertiesPropertyId(options.addinId);
  }

  async listFolders(types: readonly EntityType[]): Promise<readonly MailboxFolder[]> {
    const folders = await this.folders();
    const byType: Record<EntityType, MailboxFolder> = {
      contact: { folderId: folders.contacts, type: "contact", name: "Contacts" },
      appointment: { folderId: folders.calendar, type: "appointment", name: "Calendar" },
      task: { folderId: folders.tasks, type: "task", name: "Tasks" },
      email: { folderId: folders.sent, type: "email", name: "Sent Items" },
    };
    return [...new Set(types)].map((type) => byType[type]);
  }

  async scanFolder(folderId: string, checkpoint: FolderCheckpoint | null): Promise<FolderScan> {
    const folders = await this.folders();
    const type = this.folderType(folders, folderId);
    let fullRescan = false;
    let url = checkpoint?.deltaLink ?? this.firstDeltaUrl(type, folderId);
    const seen = new Map<string, "changed" | "removed">();
    let deltaLink: string | null = null;
    while (deltaLink === null) {
      let page: unknown;
      try {
        page = await this.request("GET", url, undefined, { Prefer: `odata.maxpagesize=${this.pageSize}` });
      } catch (error) {
        if (!(error instanceof SyncError && error.code === "resyncRequired") || fullRescan) throw error;
        fullRescan = true;
        seen.clear();
        url = this.firstDeltaUrl(type, folderId);
        continue;
      }
      const parsed = this.parse(collectionSchema, page, "delta page");
      for (const entry of parsed.value) {
        const removed = removedSchema.safeParse(entry);
        const id = removed.success ? removed.data.id : this.parse(resourceSchema, entry, "delta entry").id;
        seen.set(id, removed.success ? "removed" : "changed");
        this.typeOf.set(id, type);
      }
      const next = parsed["@odata.nextLink"];
      deltaLink = next === undefined ? (parsed["@odata.deltaLink"] ?? null) : null;
      if (next === undefined && deltaLink === null)
        throw new SyncError("serverError", { details: "Graph delta page without a next or delta link" });
      if (next !== undefined) url = next;
    }
    const ids = [...seen.keys()];
    const items = await this.getItems(ids, new Map(ids.map((id) => [id, type])));
    const changed: MailboxItem[] = [];
    const removed: string[] = [];
    for (const [id, kind] of seen) {
      const item = items.get(id) ?? null;
      if (item === null) {
        if (kind === "removed" || !fullRescan) removed.push(id);
      } else if (kind === "changed" || type === "appointment") changed.push(item);
      else removed.push(id);
    }
    const watermark = changed.reduce<number | null>(
      (max, item) => (max === null || item.modifiedAt > max ? item.modifiedAt : max),
      fullRescan ? null : (checkpoint?.watermark ?? null),
    );
    return { changed, removed: fullRescan ? [] : removed, fullRescan, checkpoint: { deltaLink, watermark } };
  }

  async getItems(
    itemIds: readonly string[],
    types?: ReadonlyMap<string, EntityType>,
  ): Promise<ReadonlyMap<string, MailboxItem | null>> {
    const folders = await this.folders();
    const result = new Map<string, MailboxItem | null>(itemIds.map((id) => [id, null]));
    const requests: { id: string; itemId: string; type: EntityType; url: string }[] = [];
    for (const itemId of new Set(itemIds)) {
      const known = types?.get(itemId) ?? this.typeOf.get(itemId);
      for (const type of known === undefined ? TYPES : [known]) {
        requests.push({
          id: String(requests.length),
          itemId,
          type,
          url: this.itemPath(folders, type, itemId, true),
        });
      }
    }
    const chunks: (typeof requests)[] = [];
    for (let i = 0; i < requests.length; i += BATCH_SIZE) chunks.push(requests.slice(i, i + BATCH_SIZE));
    await Promise.all(
      chunks.map(async (chunk) => {
        const answers = await this.batch(
          chunk.map(({ id, url }) => ({ id, method: "GET", url, headers: { Prefer: IMMUTABLE_IDS } })),
        );
        for (const request of chunk) {
          const answer = answers.get(request.id);
          if (answer === undefined || answer.status === 404) continue;
          if (answer.status !== 200)
            throw new SyncError(codeFor(answer.status), {
              details: `GET ${request.url}: ${describe(answer.body)}`,
            });
          result.set(request.itemId, this.toItem(folders, request.type, answer.body));
        }
      }),
    );
    return result;
  }

  async createItem(input: NewMailboxItem): Promise<MailboxItem> {
    checkFields(input.type, input.fields);
    const folders = await this.folders();
    const fields = withDuration(input.type, input.fields, {});
    const body = fieldsToGraph(input.type, fields);
    const extended =
      (body.singleValueExtendedProperties as { id: string; value: string }[] | undefined) ?? [];
    if (input.type !== "appointment")
      extended.push({ id: IDEMPOTENCY_PROPERTY_ID, value: input.idempotencyKey });
    if (input.link != null)
      extended.push({ id: this.cecpId, value: JSON.stringify(customPropertiesWithLink({}, input.link)) });
    const payload = {
      ...body,
      categories: [...(input.categories ?? [])],
      ...(extended.length > 0 && { singleValueExtendedProperties: extended }),
      ...(input.type === "appointment" && { transactionId: input.idempotencyKey }),
    };
    for (let attempt = 1; ; attempt += 1) {
      const existing = await this.findByIdempotencyKey(input.type, input.idempotencyKey);
      if (existing !== null) return existing;
      try {
        const created = await this.request(
          "POST",
          this.collectionPath(folders, input.type),
          payload,
          {},
          false,
        );
        return this.toItem(folders, input.type, {
          ...(created as object),
          singleValueExtendedProperties: extended,
        });
      } catch (error) {
        if (!(error instanceof NetworkLost) || attempt >= this.maxAttempts) {
          throw error instanceof NetworkLost
            ? new SyncError("network", { details: error.message, cause: error })
            : error;
        }
        await this.wait(this.backoff(attempt));
      }
    }
  }

  async findByIdempotencyKey(type: EntityType, idempotencyKey: string): Promise<MailboxItem | null> {
    const folders = await this.folders();
    const filter =
      type === "appointment"
        ? `transactionId eq ${quote(idempotencyKey)}`
        : `singleValueExtendedProperties/Any(ep: ep/id eq ${quote(IDEMPOTENCY_PROPERTY_ID)} and ep/value eq ${quote(idempotencyKey)})`;
    const url = `${this.collectionPath(folders, type)}?$filter=${encodeURIComponent(filter)}&${this.expandQuery(type)}`;
    const page = this.parse(collectionSchema, await this.request("GET", url), "filtered list");
    const first = page.value[0];
    return first === undefined ? null : this.toItem(folders, type, first);
  }

  async updateItem(itemId: string, patch: MailboxItemPatch, type?: EntityType): Promise<MailboxItem> {
    const folders = await this.folders();
    const itemType = type ?? (await this.resolveType(itemId));
    checkFields(itemType, patch.fields ?? {});
    const current = this.parse(
      resourceSchema,
      await this.request("GET", this.itemPath(folders, itemType, itemId, true)),
      itemType,
    );
    const currentFields = this.toItem(folders, itemType, current).fields;
    const merged = withDuration(itemType, { ...currentFields, ...patch.fields }, patch.fields ?? {});
    const body = fieldsToGraph(itemType, merged);
    const extended = new Map(
      (current.singleValueExtendedProperties ?? []).map((entry) => [entry.id, entry.value]),
    );
    for (const entry of (body.singleValueExtendedProperties as { id: string; value: string }[] | undefined) ??
      [])
      extended.set(entry.id, entry.value);
    const written: { id: string; value: string }[] = [
      ...((body.singleValueExtendedProperties as { id: string; value: string }[] | undefined) ?? []),
    ];
    if (patch.link !== undefined) {
      const value = JSON.stringify(
        customPropertiesWithLink(parseCustomProperties(extended.get(this.cecpId)), patch.link),
      );
      extended.set(this.cecpId, value);
      written.push({ id: this.cecpId, value });
    }
    const payload = {
      ...body,
      ...(patch.categories !== undefined && { categories: [...patch.categories] }),
      ...(written.length > 0 && { singleValueExtendedProperties: written }),
    };
    const updated = await this.request("PATCH", this.itemPath(folders, itemType, itemId, false), payload);
    const all = [...extended].map(([id, value]) => ({ id, value }));
    return this.toItem(folders, itemType, { ...(updated as object), singleValueExtendedProperties: all });
  }

  async deleteItem(itemId: string, type?: EntityType): Promise<void> {
    const folders = await this.folders();
    let itemType = type ?? this.typeOf.get(itemId);
    if (itemType === undefined) {
      const found = (await this.getItems([itemId])).get(itemId);
      if (found == null) return;
      itemType = found.type;
    }
    try {
      await this.request("DELETE", this.itemPath(folders, itemType, itemId, false));
    } catch (error) {
      if (!(error instanceof SyncError && error.code === "notFound")) throw error;
    }
  }

  watch(listener: (notice: MailboxChangeNotice) => void): Disposable {
    return this.feed?.subscribe(listener) ?? { dispose: () => undefined };
  }

  async storeIdsFor(restIds: readonly string[]): Promise<ReadonlyMap<string, string | null>> {
    const result = new Map<string, string | null>(restIds.map((id) => [id, null]));
    const unique = [...new Set(restIds)];
    const chunks: string[][] = [];
    for (let i = 0; i < unique.length; i += TRANSLATE_LIMIT)
      chunks.push(unique.slice(i, i + TRANSLATE_LIMIT));
    await Promise.all(
      chunks.map(async (inputIds) => {
        const answer = await this.request("POST", "/me/translateExchangeIds", {
          inputIds,
          sourceIdType: "restId",
          targetIdType: "restImmutableEntryId",
        });
        for (const entry of this.parse(translateResultSchema, answer, "translateExchangeIds answer").value) {
          if (result.has(entry.sourceId)) result.set(entry.sourceId, entry.targetId ?? null);
        }
      }),
    );
    return result;
  }

  private async resolveType(itemId: string): Promise<EntityType> {
    const known = this.typeOf.get(itemId);
    if (known !== undefined) return known;
    const found = (await this.getItems([itemId])).get(itemId);
    if (found == null) throw new SyncError("notFound", { details: `mailbox item ${itemId} does not exist` });
    return found.type;
  }

  private folders(): Promise<Folders> {
    this.folderIds ??= (async () => {
      const [contacts, calendar, lists, inbox, sent] = await Promise.all([
        this.request("GET", "/me/contactFolders"),
        this.request("GET", "/me/calendar"),
        this.request("GET", "/me/todo/lists"),
        this.request("GET", "/me/mailFolders/inbox"),
        this.request("GET", "/me/mailFolders/sentitems"),
      ]);
      const contactFolder = this.parse(folderListSchema, contacts, "contact folders").value[0];
      const list = this.parse(folderListSchema, lists, "To Do lists").value.find(
        (entry) => entry.wellknownListName === "defaultList",
      );
      if (contactFolder === undefined || list === undefined)
        throw new SyncError("serverError", {
          details: "the mailbox has no contacts folder or default task list",
        });
      return {
        contacts: contactFolder.id,
        calendar: this.parse(folderSchema, calendar, "calendar").id,
        tasks: list.id,
        inbox: this.parse(folderSchema, inbox, "inbox").id,
        sent: this.parse(folderSchema, sent, "sent items").id,
      };
    })();
    this.folderIds.catch(() => (this.folderIds = null));
    return this.folderIds;
  }

  private folderType(folders: Folders, folderId: string): EntityType {
    if (folderId === folders.contacts) return "contact";
    if (folderId === folders.calendar) return "appointment";
    if (folderId === folders.tasks) return "task";
    if (folderId === folders.sent || folderId === folders.inbox) return "email";
    throw new SyncError("notFound", { details: `folder ${folderId} is not a synced folder` });
  }

  private firstDeltaUrl(type: EntityType, folderId: string): string {
    const id = encodeURIComponent(folderId);
    switch (type) {
      case "contact":
        return `/me/contactFolders/${id}/contacts/delta`;
      case "appointment": {
        const now = this.clock.now();
        const start = new Date(now - this.window.pastDays * DAY_MS).toISOString();
        const end = new Date(now + this.window.futureDays * DAY_MS).toISOString();
        return `/me/calendarView/delta?startDateTime=${encodeURIComponent(start)}&endDateTime=${encodeURIComponent(end)}`;
      }
      case "task":
        return `/me/todo/lists/${id}/tasks/delta`;
      case "email":
        return `/me/mailFolders/${id}/messages/delta`;
    }
  }

  private collectionPath(folders: Folders, type: EntityType): string {
    switch (type) {
      case "contact":
        return `/me/contactFolders/${encodeURIComponent(folders.contacts)}/contacts`;
      case "appointment":
        return "/me/events";
      case "task":
        return `/me/todo/lists/${encodeURIComponent(folders.tasks)}/tasks`;
      case "email":
        return "/me/messages";
    }
  }

  private itemPath(folders: Folders, type: EntityType, itemId: string, expand: boolean): string {
    const base =
      type === "contact"
        ? "/me/contacts"
        : type === "appointment"
          ? "/me/events"
          : type === "task"
            ? `/me/todo/lists/${encodeURIComponent(folders.tasks)}/tasks`
            : "/me/messages";
    return `${base}/${encodeURIComponent(itemId)}${expand ? `?${this.expandQuery(type)}` : ""}`;
  }

  private expandQuery(type: EntityType): string {
    const ids = [
      this.cecpId,
      ...(type === "appointment" ? [] : [IDEMPOTENCY_PROPERTY_ID]),
      ...(type === "contact" ? Object.values(CONTACT_EXTENDED_FIELDS) : []),
    ];
    const filter = ids.map((id) => `id eq ${quote(id)}`).join(" or ");
    return `$expand=${encodeURIComponent(`singleValueExtendedProperties($filter=${filter})`)}`;
  }

  private toItem(folders: Folders, type: EntityType, json: unknown): MailboxItem {
    const resource: GraphResource = this.parse(resourceSchema, json, type);
    const raw = graphToFields(type, resource);
    const fields: Record<string, FieldValue> = {};
    for (const [key, value] of Object.entries(raw)) {
      if (value !== null && !(Array.isArray(value) && value.length === 0)) fields[key] = value;
    }
    if (type === "appointment" && typeof fields.start === "string" && typeof fields.end === "string") {
      fields.duration = Math.round((Date.parse(fields.end) - Date.parse(fields.start)) / 60_000);
    }
    if (type === "email")
      fields.direction = resource.parentFolderId === folders.inbox ? "incoming" : "outgoing";
    const extended = new Map(
      (resource.singleValueExtendedProperties ?? []).map((entry) => [entry.id, entry.value]),
    );
    const folderId =
      type === "appointment"
        ? folders.calendar
        : type === "task"
          ? folders.tasks
          : (resource.parentFolderId ?? (type === "contact" ? folders.contacts : folders.sent));
    this.typeOf.set(resource.id, type);
    return {
      itemId: resource.id,
      type,
      folderId,
      fields,
      modifiedAt: Date.parse(resource.lastModifiedDateTime),
      changeKey: resource.changeKey ?? resource["@odata.etag"] ?? resource.lastModifiedDateTime,
      categories: resource.categories ?? [],
      link: extended.has(this.cecpId)
        ? linkFromCustomProperties(parseCustomProperties(extended.get(this.cecpId)))
        : null,
      idempotencyKey:
        type === "appointment"
          ? (resource.transactionId ?? null)
          : (extended.get(IDEMPOTENCY_PROPERTY_ID) ?? null),
    };
  }

  private parse<T>(
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
    throw new SyncError("serverError", {
      details: `Graph answered a ${what} not as expected at "${issue?.path.map(String).join(".") ?? ""}": ${issue?.message ?? ""}`,
    });
  }

  /** Sends sub-requests in one $batch, retrying the ones Graph throttled; answers by sub-request id. */
  private async batch(
    requests: readonly { id: string; method: string; url: string; headers: Record<string, string> }[],
  ): Promise<Map<string, Answer>> {
    const answers = new Map<string, Answer>();
    let pending = [...requests];
    for (let attempt = 1; pending.length > 0; attempt += 1) {
      const parsed = this.parse(
        batchResponseSchema,
        await this.request("POST", "/$batch", { requests: pending }),
        "$batch answer",
      );
      const throttled: typeof pending = [];
      let retryAfter: string | null = null;
      for (const response of parsed.responses) {
        const request = pending.find((candidate) => candidate.id === response.id);
        if (request === undefined) continue;
        const header =
          Object.entries(response.headers ?? {}).find(
            ([name]) => name.toLowerCase() === "retry-after",
          )?.[1] ?? null;
        if ((response.status === 429 || response.status === 503) && attempt < this.maxAttempts) {
          throttled.push(request);
          retryAfter = header ?? retryAfter;
        } else answers.set(response.id, { status: response.status, retryAfter: header, body: response.body });
      }
      pending = throttled;
      if (pending.length > 0) await this.wait(this.retryDelay(retryAfter, attempt));
    }
    return answers;
  }

  /**
   * One Graph call with retries: 429/503/504 wait and retry; a lost connection is retried when
   * `retryNetwork` (every call but a create's POST, which the caller replays by key). Returns the JSON body.
   */
  private async request(
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
        answer = await this.send(method, target, body, headers);
      } catch (error) {
        if (!(error instanceof NetworkLost)) throw error;
        if (!retryNetwork) throw error;
        if (attempt >= this.maxAttempts)
          throw new SyncError("network", { details: `${method} ${url}: ${error.message}`, cause: error });
        await this.wait(this.backoff(attempt));
        continue;
      }
      if (answer.status >= 200 && answer.status < 300) return answer.body;
      const transient = answer.status === 429 || answer.status === 503 || answer.status === 504;
      if (transient && attempt < this.maxAttempts) {
        await this.wait(this.retryDelay(answer.retryAfter, attempt));
        continue;
      }
      throw new SyncError(codeFor(answer.status), {
        details: `${method} ${url}: ${answer.status} ${describe(answer.body)}`,
      });
    }
  }

  private async send(
    method: string,
    url: string,
    body: unknown,
    headers: Record<string, string>,
  ): Promise<Answer> {
    await this.acquire();
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
            Prefer: prefer === undefined ? IMMUTABLE_IDS : `${IMMUTABLE_IDS}, ${prefer}`,
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
          throw new SyncError("serverError", { details: `${method} ${url}: the answer is not JSON` });
        }
      }
      return { status: response.status, retryAfter: response.headers.get("Retry-After"), body: json };
    } finally {
      this.release();
    }
  }

  private retryDelay(retryAfter: string | null, attempt: number): number {
    const seconds = retryAfter === null ? Number.NaN : Number(retryAfter);
    const base = Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : this.backoff(attempt);
    return base + Math.floor(this.random() * 1000);
  }

  private backoff(attempt: number): number {
    return Math.min(30_000, 500 * 2 ** (attempt - 1));
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => this.clock.setTimeout(resolve, ms));
  }

  private acquire(): Promise<void> {
    if (this.inFlight < MAX_IN_FLIGHT) {
      this.inFlight += 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next === undefined) this.inFlight -= 1;
    else next();
  }
}

/** Keeps an appointment's end in step when only `duration` is written (end = start + duration). */
function withDuration(type: EntityType, fields: Fields, written: Fields): Fields {
  const duration = written.duration ?? fields.duration;
  if (type !== "appointment" || typeof duration !== "number" || written.end !== undefined) return fields;
  if (written.duration === undefined && fields.end !== undefined) return fields;
  if (typeof fields.start !== "string")
    throw new SyncError("invalidInput", { details: 'appointment field "duration": needs a start' });
  return {
    ...fields,
    end: new Date(Date.parse(fields.start) + duration * 60_000).toISOString().replace(".000Z", "Z"),
  };
}
