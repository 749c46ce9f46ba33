import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";
import { graphToFields } from "../../adapters/graph/graph-fields";
import { SyncError } from "../../core/errors";
import type { EntityType, Fields } from "../../core/types";
import type { Clock } from "../../ports/clock";
import { overlapsWindow } from "../mailbox/calendar-window";
import { isImmutableId, isRestId } from "../mailbox/exchange-ids";
import type {
  DeltaEntry,
  SimulatedFolder,
  SimulatedItem,
  SimulatedMailbox,
} from "../mailbox/simulated-mailbox";
import { CONTACT_FIELD_PROPERTY_IDS, itemToGraph, type IdForm } from "./graph-resources";
import { translateExchangeIds } from "./translate-exchange-ids";

/**
 * The Microsoft Graph subset over HTTP on loopback (Node only), served from a SimulatedMailbox: contact
 * folders and contacts, calendar events and calendarView delta, To Do lists and tasks, mail folders and
 * messages; GET / POST / PATCH / DELETE by id, singleValueExtendedProperties, $batch (at most 20),
 * @odata.nextLink / @odata.deltaLink paging with `@removed` entries, Graph-style error bodies, and the
 * mailbox's HTTP fault switches (429 with Retry-After, slow answers, responses lost after the write) plus
 * 410 syncStateNotFound for expired delta tokens. Item ids are REST ids, or immutable ids for a request that
 * sends `Prefer: IdType="ImmutableId"` (graph/outlook-immutable-id: the header applies only to the request
 * it is sent with); either form is accepted in a URL. `POST /me/translateExchangeIds` converts between forms.
 */

export interface GraphSubsetServer {
  /** e.g. http://127.0.0.1:PORT/v1.0 */
  readonly baseUrl: string;
  /** Requests answered over HTTP (a $batch counts once) and body bytes sent and received. */
  stats(): { readonly requests: number; readonly bytesIn: number; readonly bytesOut: number };
  close(): Promise<void>;
}

interface Reply {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
}

const DEFAULT_PAGE = 50;
const MAX_BATCH = 20;

const extendedPropertySchema = z.object({ id: z.string().min(1), value: z.string() });
const commonWritable = {
  categories: z.array(z.string()).optional(),
  singleValueExtendedProperties: z.array(extendedPropertySchema).optional(),
};
const loose = z.unknown().optional();
const WRITABLE: Record<EntityType, z.ZodType<Record<string, unknown>>> = {
  contact: z.strictObject({
    ...commonWritable,
    ...Object.fromEntries(
      [
        "givenName",
        "middleName",
        "surname",
        "title",
        "nickName",
        "mobilePhone",
        "jobTitle",
        "department",
        "companyName",
        "assistantName",
        "manager",
        "spouseName",
        "businessHomePage",
        "yomiGivenName",
        "yomiSurname",
        "personalNotes",
        "emailAddresses",
        "businessPhones",
        "homePhones",
        "children",
        "birthday",
        "businessAddress",
        "displayName",
      ].map((key) => [key, loose]),
    ),
  }),
  appointment: z.strictObject({
    ...commonWritable,
    ...Object.fromEntries(
      [
        "subject",
        "body",
        "start",
        "end",
        "isAllDay",
        "location",
        "attendees",
        "organizer",
        "importance",
        "showAs",
      ].map((key) => [key, loose]),
    ),
    transactionId: z.string().min(1).max(255).nullable().optional(),
  }),
  task: z.strictObject({
    ...commonWritable,
    ...Object.fromEntries(
      [
        "title",
        "body",
        "dueDateTime",
        "startDateTime",
        "reminderDateTime",
        "isReminderOn",
        "importance",
        "status",
      ].map((key) => [key, loose]),
    ),
  }),
  email: z.strictObject({
    ...commonWritable,
    ...Object.fromEntries(
      ["subject", "body", "from", "toRecipients", "ccRecipients"].map((key) => [key, loose]),
    ),
  }),
};

const batchSchema = z.object({
  requests: z.array(
    z.object({
      id: z.string().min(1),
      method: z.enum(["GET", "POST", "PATCH", "DELETE"]),
      url: z.string().min(1),
      body: z.unknown().optional(),
      headers: z.record(z.string(), z.string()).optional(),
    }),
  ),
});

function error(status: number, code: string, message: string, headers?: Record<string, string>): Reply {
  return { status, ...(headers && { headers }), body: { error: { code, message } } };
}

function encodeToken(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

function decodeToken(token: string): Record<string, unknown> | null {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    return typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The OData string literals of `id eq '…'` clauses (with '' unescaped). */
function idsIn(expression: string): string[] {
  return [...expression.matchAll(/id eq '((?:[^']|'')*)'/gi)].map((match) =>
    (match[1] ?? "").replace(/''/g, "'"),
  );
}

/** The id form a request asked for: `Prefer: IdType="ImmutableId"` (graph/outlook-immutable-id), else REST. */
function idFormOf(prefer: string | undefined): IdForm {
  return /(^|[,;\s])IdType\s*=\s*"?ImmutableId"?/i.test(prefer ?? "") ? "immutable" : "rest";
}

type Route =
  | { kind: "folders"; reply: () => Reply }
  | { kind: "translate" }
  | { kind: "collection"; type: EntityType; folder: SimulatedFolder | null }
  | { kind: "item"; type: EntityType; folder: SimulatedFolder | null; itemId: string }
  | { kind: "delta"; type: EntityType; folder: SimulatedFolder };

/** Starts the server on 127.0.0.1 with an OS-chosen port. `token` is the bearer token every request must carry. */
export async function startGraphSubsetServer(options: {
  readonly mailbox: SimulatedMailbox;
  readonly clock: Clock;
  readonly token: string;
}): Promise<GraphSubsetServer> {
  const { mailbox, clock, token } = options;
  const counters = { requests: 0, bytesIn: 0, bytesOut: 0 };
  let baseUrl = "";

  const folderOf = (name: string, type: EntityType): SimulatedFolder | undefined => {
    const folder = mailbox.folder(name);
    return folder?.type === type ? folder : undefined;
  };

  const route = (segments: string[]): Route | Reply => {
    const [me, a, b, c, d, e] = segments;
    if (me !== "me") return error(404, "UnknownResource", "only /me is served");
    if (a === "translateExchangeIds" && b === undefined) return { kind: "translate" };
    const notFound = error(404, "ErrorItemNotFound", "The specified object was not found in the store.");
    const calendar = mailbox.folder("calendar");
    const contacts = mailbox.folder("contacts");
    const tasks = mailbox.folder("tasks");
    if (!calendar || !contacts || !tasks) throw new Error("the mailbox lacks a default folder");
    if (a === "contactFolders" && b === undefined) {
      return {
        kind: "folders",
        reply: () => ({
          status: 200,
          body: { value: [{ id: contacts.folderId, displayName: contacts.name, parentFolderId: "root" }] },
        }),
      };
    }
    if (a === "calendar" && b === undefined) {
      return {
        kind: "folders",
        reply: () => ({ status: 200, body: { id: calendar.folderId, name: calendar.name } }),
      };
    }
    if (a === "todo" && b === "lists" && c === undefined) {
      return {
        kind: "folders",
        reply: () => ({
          status: 200,
          body: {
            value: [{ id: tasks.folderId, displayName: tasks.name, wellknownListName: "defaultList" }],
          },
        }),
      };
    }
    if (a === "mailFolders" && b !== undefined && c === undefined) {
      const folder = folderOf(b, "email");
      return folder === undefined
        ? notFound
        : {
            kind: "folders",
            reply: () => ({
              status: 200,
              body: { id: folder.folderId, displayName: folder.name, wellKnownName: folder.wellKnownName },
            }),
          };
    }
    const scoped = (
      type: EntityType,
      folder: SimulatedFolder | null,
      rest: (string | undefined)[],
    ): Route | Reply => {
      const [x, y] = rest;
      if (x === undefined) return { kind: "collection", type, folder };
      if (x === "delta" && y === undefined)
        return folder === null ? notFound : { kind: "delta", type, folder };
      return y === undefined ? { kind: "item", type, folder, itemId: decodeURIComponent(x) } : notFound;
    };
    if (a === "contacts") return scoped("contact", contacts, [b, c]);
    if (a === "contactFolders" && c === "contacts") {
      const folder = folderOf(b ?? "", "contact");
      return folder === undefined ? notFound : scoped("contact", folder, [d, e]);
    }
    if (a === "events") return b === "delta" ? notFound : scoped("appointment", calendar, [b, c]);
    if (a === "calendarView" && b === "delta" && c === undefined)
      return { kind: "delta", type: "appointment", folder: calendar };
    if (a === "todo" && b === "lists" && d === "tasks") {
      const folder = folderOf(c ?? "", "task");
      return folder === undefined ? notFound : scoped("task", folder, segments.slice(5));
    }
    if (a === "messages") return b === "delta" ? notFound : scoped("email", null, [b, c]);
    if (a === "mailFolders" && c === "messages") {
      const folder = folderOf(b ?? "", "email");
      return folder === undefined ? notFound : scoped("email", folder, [d, e]);
    }
    return error(400, "BadRequest", `Resource not found for the segment '${a ?? ""}'.`);
  };

  const expandIds = (query: URLSearchParams): string[] | Reply => {
    const expand = query.get("$expand");
    if (expand === null) return [];
    const match = /^singleValueExtendedProperties\(\$filter=(.+)\)$/i.exec(expand);
    const ids = match ? idsIn(match[1] ?? "") : [];
    return ids.length === 0 ? error(400, "BadRequest", `unsupported $expand "${expand}"`) : ids;
  };

  const live = (
    type: EntityType,
    folder: SimulatedFolder | null,
    itemId: string,
  ): SimulatedItem | undefined => {
    const item = mailbox.get(itemId);
    return item !== undefined && item.type === type && (folder === null || item.folderId === folder.folderId)
      ? item
      : undefined;
  };

  const writeBody = (
    type: EntityType,
    body: unknown,
  ):
    | {
        fields: Record<string, unknown>;
        categories?: string[];
        extended: Record<string, string>;
        transactionId: string | null;
      }
    | Reply => {
    const parsed = WRITABLE[type].safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.join(".") || (issue && "keys" in issue ? String(issue.keys) : "");
      return error(
        400,
        "ErrorInvalidProperty",
        `Invalid request body at "${where}": ${issue?.message ?? "invalid"}`,
      );
    }
    const data = parsed.data as Record<string, unknown> &
      z.infer<z.ZodObject<typeof commonWritable>> & { transactionId?: string | null };
    const fields = graphToFields(type, data);
    delete fields.iCalUId;
    const extended: Record<string, string> = {};
    for (const entry of data.singleValueExtendedProperties ?? []) {
      if (!(type === "contact" && CONTACT_FIELD_PROPERTY_IDS.has(entry.id))) extended[entry.id] = entry.value;
    }
    return {
      fields,
      ...(data.categories !== undefined && { categories: data.categories }),
      extended,
      transactionId: data.transactionId ?? null,
    };
  };

  const page = (entries: unknown[], next: string | null, delta: string | null): Reply => ({
    status: 200,
    body: {
      value: entries,
      ...(next !== null && { "@odata.nextLink": next }),
      ...(delta !== null && { "@odata.deltaLink": delta }),
    },
  });

  const delta = (
    r: Extract<Route, { kind: "delta" }>,
    path: string,
    query: URLSearchParams,
    prefer: string | undefined,
  ): Reply => {
    const size = Number(/odata\.maxpagesize=(\d+)/.exec(prefer ?? "")?.[1] ?? DEFAULT_PAGE);
    const idForm = idFormOf(prefer);
    const tokenText = query.get("$deltatoken") ?? query.get("$skiptoken");
    let state: { since: number; snap: number; after: string; epoch: number; window: [number, number] | null };
    if (tokenText === null) {
      let window: [number, number] | null = null;
      if (r.type === "appointment") {
        const start = Date.parse(query.get("startDateTime") ?? "");
        const end = Date.parse(query.get("endDateTime") ?? "");
        if (Number.isNaN(start) || Number.isNaN(end)) {
          return error(400, "ErrorInvalidParameter", "calendarView needs startDateTime and endDateTime");
        }
        window = [start, end];
      }
      state = {
        since: 0,
        snap: mailbox.currentSeq(),
        after: "",
        epoch: mailbox.deltaEpoch(r.folder.folderId),
        window,
      };
    } else {
      const decoded = decodeToken(tokenText);
      if (decoded === null || decoded.f !== r.folder.folderId)
        return error(400, "BadRequest", "the delta token is not valid for this folder");
      if (decoded.e !== mailbox.deltaEpoch(r.folder.folderId)) {
        return error(
          410,
          "syncStateNotFound",
          "The sync state generation is not found; restart the sync without a token.",
        );
      }
      const window = Array.isArray(decoded.w) ? (decoded.w as [number, number]) : null;
      const since = Number(decoded.s);
      state = query.has("$deltatoken")
        ? { since, snap: mailbox.currentSeq(), after: "", epoch: Number(decoded.e), window }
        : { since, snap: Number(decoded.n), after: String(decoded.a), epoch: Number(decoded.e), window };
    }
    const key = (entry: DeltaEntry) =>
      entry.kind === "changed" ? entry.item.immutableId : entry.immutableId;
    const entries = mailbox
      .changesSince(r.folder.folderId, state.since)
      .filter((entry) => key(entry) > state.after);
    const out: unknown[] = [];
    let last = state.after;
    let taken = 0;
    for (const entry of entries.slice(0, size)) {
      taken += 1;
      last = key(entry);
      if (entry.kind === "removed") {
        const id = idForm === "immutable" ? entry.immutableId : entry.itemId;
        out.push({ id, "@removed": { reason: "deleted" } });
      } else if (
        state.window !== null &&
        !overlapsWindow(entry.item.fields, state.window[0], state.window[1])
      ) {
        const id = idForm === "immutable" ? entry.item.immutableId : entry.item.itemId;
        if (state.since > 0) out.push({ id, "@removed": { reason: "changed" } });
      } else out.push(itemToGraph(entry.item, [], idForm));
    }
    const more = taken < entries.length;
    const common = { f: r.folder.folderId, e: state.epoch, w: state.window };
    if (more)
      return page(
        out,
        `${baseUrl}${path}?$skiptoken=${encodeToken({ ...common, s: state.since, n: state.snap, a: last })}`,
        null,
      );
    return page(out, null, `${baseUrl}${path}?$deltatoken=${encodeToken({ ...common, s: state.snap })}`);
  };

  const handle = (
    method: string,
    url: string,
    body: unknown,
    headers: Record<string, string | undefined>,
  ): Reply => {
    const parsedUrl = new URL(url, "http://graph.local");
    const path = parsedUrl.pathname.replace(/^\/v1\.0/, "");
    const segments = path.split("/").filter((segment) => segment !== "");
    if (segments[0] === "$batch") return error(400, "BadRequest", "a $batch cannot contain a $batch");
    const r = route(segments);
    if ("status" in r) return r;
    const idForm = idFormOf(headers.prefer);
    if (r.kind === "translate") {
      if (method !== "POST") return error(405, "ErrorInvalidRequest", "method not allowed");
      const translated = translateExchangeIds(mailbox, body);
      return translated.ok
        ? { status: 200, body: translated.body }
        : error(400, translated.code, translated.message);
    }
    if (r.kind === "folders")
      return method === "GET" ? r.reply() : error(405, "ErrorInvalidRequest", "method not allowed");
    if (r.kind === "delta")
      return method === "GET"
        ? delta(r, path, parsedUrl.searchParams, headers.prefer)
        : error(405, "ErrorInvalidRequest", "method not allowed");
    const expand = expandIds(parsedUrl.searchParams);
    if ("status" in expand) return expand;
    if (r.kind === "collection") {
      if (method === "GET") {
        const filter = parsedUrl.searchParams.get("$filter");
        let items: readonly SimulatedItem[];
        if (filter === null) {
          items =
            r.folder === null
              ? mailbox
                  .folders()
                  .filter((f) => f.type === r.type)
                  .flatMap((f) => mailbox.list(f.folderId))
              : mailbox.list(r.folder.folderId);
        } else {
          const byProperty =
            /^singleValueExtendedProperties\/Any\(ep: ep\/id eq '((?:[^']|'')*)' and ep\/value eq '((?:[^']|'')*)'\)$/i.exec(
              filter,
            );
          const byTransaction = /^transactionId eq '((?:[^']|'')*)'$/.exec(filter);
          const unquote = (value: string | undefined) => (value ?? "").replace(/''/g, "'");
          if (byProperty)
            items = mailbox.findByExtendedProperty(unquote(byProperty[1]), unquote(byProperty[2]), r.type);
          else if (byTransaction && r.type === "appointment") {
            const found = mailbox.findByTransactionId(unquote(byTransaction[1]));
            items = found === undefined ? [] : [found];
          } else return error(400, "ErrorInvalidUrlQueryFilter", `unsupported $filter "${filter}"`);
          if (r.folder !== null) items = items.filter((item) => item.folderId === r.folder?.folderId);
        }
        const top = Number(parsedUrl.searchParams.get("$top") ?? DEFAULT_PAGE);
        const skip = Number(parsedUrl.searchParams.get("$skip") ?? 0);
        const slice = items.slice(skip, skip + top).map((item) => itemToGraph(item, expand, idForm));
        const nextQuery = new URLSearchParams(parsedUrl.searchParams);
        nextQuery.set("$skip", String(skip + top));
        return page(
          slice,
          skip + top < items.length ? `${baseUrl}${path}?${nextQuery.toString()}` : null,
          null,
        );
      }
      if (method !== "POST") return error(405, "ErrorInvalidRequest", "method not allowed");
      const write = writeBody(r.type, body);
      if ("status" in write) return write;
      if (write.transactionId !== null) {
        const existing = mailbox.findByTransactionId(write.transactionId);
        if (existing !== undefined) return { status: 201, body: itemToGraph(existing, [], idForm) };
      }
      const created = mailbox.createItem(
        {
          type: r.type,
          fields: Object.fromEntries(
            Object.entries(write.fields).filter(([, value]) => value !== null),
          ) as Fields,
          folder: r.folder?.folderId ?? "drafts",
          ...(write.categories !== undefined && { categories: write.categories }),
          extendedProperties: write.extended,
          transactionId: write.transactionId,
        },
        { notify: false, by: "client" },
      );
      return { status: 201, body: itemToGraph(created, [], idForm) };
    }
    if (!isRestId(r.itemId) && !isImmutableId(r.itemId))
      return error(400, "ErrorInvalidIdMalformed", "Id is malformed.");
    const item = live(r.type, r.folder, r.itemId);
    if (item === undefined)
      return error(404, "ErrorItemNotFound", "The specified object was not found in the store.");
    if (method === "GET") return { status: 200, body: itemToGraph(item, expand, idForm) };
    if (method === "DELETE") {
      mailbox.deleteItem(item.itemId, { notify: false });
      return { status: 204 };
    }
    if (method !== "PATCH") return error(405, "ErrorInvalidRequest", "method not allowed");
    const write = writeBody(r.type, body);
    if ("status" in write) return write;
    const updated = mailbox.updateItem(
      item.itemId,
      {
        fields: write.fields as Fields,
        ...(write.categories !== undefined && { categories: write.categories }),
        extendedProperties: write.extended,
      },
      { notify: false, by: "client" },
    );
    return { status: 200, body: itemToGraph(updated, [], idForm) };
  };

  const safely = (run: () => Reply): Reply => {
    try {
      return run();
    } catch (cause) {
      if (cause instanceof SyncError && cause.code === "invalidInput")
        return error(400, "ErrorInvalidProperty", cause.message);
      if (cause instanceof SyncError && cause.code === "notFound")
        return error(404, "ErrorItemNotFound", cause.message);
      return error(500, "InternalServerError", cause instanceof Error ? cause.message : String(cause));
    }
  };

  const batch = (body: unknown): Reply => {
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
    const responses = parsed.data.requests.map((request) => {
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
          prefer: Object.entries(request.headers ?? {}).find(
            ([name]) => name.toLowerCase() === "prefer",
          )?.[1],
        }),
      );
      return {
        id: request.id,
        status: reply.status,
        headers: { "Content-Type": "application/json", ...reply.headers },
        ...(reply.body !== undefined && { body: reply.body }),
      };
    });
    return { status: 200, body: { responses } };
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
        const send = (reply: Reply) => {
          const text = reply.body === undefined ? "" : JSON.stringify(reply.body);
          counters.bytesOut += text.length;
          res.writeHead(reply.status, {
            ...(text !== "" && { "Content-Type": "application/json" }),
            ...reply.headers,
          });
          res.end(text);
        };
        const fault = path.endsWith("/$batch")
          ? null
          : mailbox.faults.takeHttpFault(method, path.replace(/^\/v1\.0/, ""));
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
        if (req.headers.authorization !== `Bearer ${token}`) {
          send(error(401, "InvalidAuthenticationToken", "Access token is empty or not valid."));
          return;
        }
        let body: unknown;
        if (raw !== "") {
          try {
            body = JSON.parse(raw);
          } catch {
            send(error(400, "BadRequest", "The request body is not valid JSON."));
            return;
          }
        }
        const prefer = req.headers.prefer;
        const headers = { prefer: Array.isArray(prefer) ? prefer.join(",") : prefer };
        const reply =
          path === "/v1.0/$batch" && method === "POST"
            ? batch(body)
            : safely(() => handle(method, url, body, headers));
        if (fault?.kind === "loseResponse") {
          res.socket?.destroy();
          return;
        }
        send(reply);
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1.0`;
  return {
    baseUrl,
    stats: () => ({ ...counters }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((cause) => (cause ? reject(cause) : resolve()));
      }),
  };
}
