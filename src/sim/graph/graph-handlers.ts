import { SyncError } from "../../core/errors";
import type { EntityType, Fields } from "../../core/types";
import { isImmutableId, isRestId } from "../mailbox/exchange-ids";
import type { SimulatedFolder, SimulatedItem, SimulatedMailbox } from "../mailbox/simulated-mailbox";
import { deltaPage } from "./graph-delta";
import type { GraphMetadata } from "./graph-metadata";
import { error, isReply, nextPageLink, notSimulated, page, pageWindow, type Reply } from "./graph-reply";
import { checkBody, checkQuery, resolvePath, splitTop } from "./graph-request-check";
import { cancelledOccurrencesOf } from "./graph-series";
import {
  canonicalPropertyId,
  CONTACT_MAPI_FIELDS,
  GRAPH_TYPE,
  graphToMailboxFields,
  isDraft,
  itemToGraph,
  NotSimulated,
  type BodyType,
  type IdForm,
} from "./graph-shapes";
import { locate, type Target } from "./graph-routes";
import { newPart, partsValue, taskParts, type Entity, type TaskPart } from "./graph-todo";
import { translateExchangeIds } from "./translate-exchange-ids";

/**
 * One Graph request against the mailbox, after the HTTP layer (auth, faults, $batch) is done: the path is
 * resolved and the query and body checked against the metadata (graph-request-check.ts), then the served
 * resources are read or written. A path the metadata allows but the twin does not serve answers 501.
 */

export interface GraphContext {
  readonly mailbox: SimulatedMailbox;
  readonly metadata: GraphMetadata;
  /** e.g. http://127.0.0.1:PORT/v1.0 */
  readonly baseUrl: string;
  /** A new id for a linkedResource. */
  nextPartId(): string;
}

export interface RequestHeaders {
  readonly prefer?: string | undefined;
}

/** `Prefer: IdType="ImmutableId"` (graph/outlook-immutable-id): the header applies only to the request it is sent with. */
function idFormOf(prefer: string | undefined): IdForm {
  return /(^|[,;\s])IdType\s*=\s*"?ImmutableId"?/i.test(prefer ?? "") ? "immutable" : "rest";
}

/** `Prefer: outlook.body-content-type="text"` (message-get, event-get): bodies are HTML unless asked for text. */
function bodyTypeOf(prefer: string | undefined): BodyType {
  return /outlook\.body-content-type\s*=\s*"?text"?/i.test(prefer ?? "") ? "text" : "html";
}

const unquote = (value: string | undefined) => (value ?? "").replace(/''/g, "'");

const EXPANDABLE_PARTS: ReadonlySet<string> = new Set(["linkedResources", "extensions"]);

interface Expansion {
  readonly extendedIds: readonly string[] | undefined;
  readonly parts: readonly TaskPart[];
}

/**
 * graph/api/resources/mail-api-overview: "Mail API requests are performed on behalf of a user which can be
 * identified by the user's id property, email address, or the me shortcut alias": `/users/{address}/…` of the
 * twin's one mailbox is served as `/me/…`; another user's mailbox is unknown to the twin (404 ErrorInvalidUser,
 * as Exchange answers for an address without a mailbox).
 */
function asSignedInUser(mailbox: SimulatedMailbox, segments: readonly string[]): readonly string[] | Reply {
  const [first, key, ...rest] = segments;
  if (first !== "users" || key === undefined) return segments;
  const user = decodeURIComponent(key);
  if (user.toLowerCase() !== mailbox.owner.emailAddress.toLowerCase()) {
    return error(404, "ErrorInvalidUser", `The requested user '${user}' is invalid.`);
  }
  return ["me", ...rest];
}

export function handleGraphRequest(
  ctx: GraphContext,
  method: string,
  url: string,
  body: unknown,
  headers: RequestHeaders,
): Reply {
  const { mailbox, metadata } = ctx;
  const parsedUrl = new URL(url, "http://graph.local");
  const path = parsedUrl.pathname.replace(/^\/v1\.0/, "");
  const segments = path.split("/").filter((segment) => segment !== "");
  if (segments[0] === "$batch") return error(400, "BadRequest", "a $batch cannot contain a $batch");
  const owned = asSignedInUser(mailbox, segments);
  if (isReply(owned)) return owned;
  const resolved = resolvePath(metadata, owned);
  if ("code" in resolved) return error(resolved.status, resolved.code, resolved.message);
  const query = parsedUrl.searchParams;
  if (resolved.target !== null && metadata.type(resolved.target.name)) {
    const failure = checkQuery(metadata, resolved.target.name, query);
    if (failure) return error(failure.status, failure.code, failure.message);
  }
  const idForm = idFormOf(headers.prefer);
  const bodyType = bodyTypeOf(headers.prefer);
  const target = locate(mailbox, resolved.shape, resolved.keys);
  if (isReply(target)) return target;
  if (target === null) return notSimulated(`${method} /${resolved.shape}`);
  const only = (allowed: string, run: () => Reply): Reply =>
    method === allowed
      ? run()
      : error(405, "ErrorInvalidRequest", `${method} is not allowed on /${resolved.shape}`);

  switch (target.kind) {
    case "translate":
      return only("POST", () => {
        const translated = translateExchangeIds(mailbox, body);
        return translated.ok
          ? { status: 200, body: translated.body }
          : error(400, translated.code, translated.message);
      });
    case "folder":
      if (method === "DELETE" && target.folder.wellKnownName === null) {
        // contactfolder-delete, todotasklist-delete: the folder goes with what it holds.
        mailbox.deleteFolder(target.folder.folderId, { notify: false, by: "client" });
        return { status: 204 };
      }
      return only("GET", () => ({ status: 200, body: select(target.json, query) }));
    case "folders": {
      const create = target.create;
      if (method === "POST" && create !== undefined) {
        if (typeof body !== "object" || body === null || Array.isArray(body))
          return error(400, "BadRequest", "The request body must be a JSON object.");
        const failure = checkBody(metadata, create.entityType, body);
        if (failure) return error(failure.status, failure.code, failure.message);
        const name = (body as { displayName?: unknown }).displayName;
        if (typeof name !== "string" || name.trim() === "")
          return error(400, "ErrorInvalidRequest", "displayName is required.");
        const made = mailbox.createFolder(create.parent, name);
        return { status: 201, body: create.render(made) };
      }
      return only("GET", () =>
        page(
          target.json.map((json) => select(json, query)),
          null,
          null,
        ),
      );
    }
    case "delta":
      return only("GET", () =>
        deltaPage(mailbox, {
          type: target.type,
          folder: target.folder,
          linkBase: `${ctx.baseUrl}${path}`,
          query,
          prefer: headers.prefer,
          idForm,
          bodyType,
        }),
      );
    case "parts":
      return handleParts(ctx, method, target, body);
    case "instances":
      return only("GET", () => {
        // event-list-instances: startDateTime and endDateTime are required query parameters.
        const from = Date.parse(query.get("startDateTime") ?? "");
        const to = Date.parse(query.get("endDateTime") ?? "");
        if (Number.isNaN(from) || Number.isNaN(to))
          return error(400, "ErrorInvalidParameter", "instances needs startDateTime and endDateTime");
        const window = pageWindow(query);
        if (isReply(window)) return window;
        const master = liveItem(mailbox, "appointment", null, target.itemId);
        if (isReply(master)) return master;
        // event-list-instances: a series master's occurrences and exceptions in the time range, paged.
        const instances = mailbox.instances(master.immutableId, from, to);
        const value = instances
          .slice(window.skip, window.skip + window.top)
          .map((item) =>
            select(renderItem(item, { extendedIds: undefined, parts: [] }, idForm, bodyType), query),
          );
        return page(value, nextPageLink(`${ctx.baseUrl}${path}`, query, window, instances.length), null);
      });
    case "collection":
    case "item":
      break;
  }
  const expansion = expansionOf(query.get("$expand"), target.type);
  if (isReply(expansion)) return expansion;
  const render = (item: SimulatedItem) => select(renderItem(item, expansion, idForm, bodyType), query);

  if (target.kind === "collection") {
    if (method === "GET") {
      if (query.has("$orderby")) return notSimulated("$orderby");
      const window = pageWindow(query);
      if (isReply(window)) return window;
      const filtered = filterItems(mailbox, target.type, query.get("$filter"));
      if (isReply(filtered)) return filtered;
      // user-list-events: the list holds single events and series masters, never an exception of a series.
      const listed = (item: SimulatedItem) =>
        (target.folder === null || item.folderId === target.folder.folderId) &&
        (target.type !== "appointment" || item.fields.originalStart === undefined);
      const exceptions = target.type !== "appointment";
      const ids =
        filtered !== null
          ? filtered.filter(listed).map((item) => item.immutableId)
          : (target.folder === null
              ? mailbox.folders().filter((f) => f.type === target.type)
              : [target.folder]
            ).flatMap((f) => mailbox.liveIds(f.folderId, { exceptions }));
      const slice = ids
        .slice(window.skip, window.skip + window.top)
        .map((id) => mailbox.get(id))
        .filter((item): item is SimulatedItem => item !== undefined)
        .map(render);
      return page(slice, nextPageLink(`${ctx.baseUrl}${path}`, query, window, ids.length), null);
    }
    if (method !== "POST")
      return error(405, "ErrorInvalidRequest", `${method} is not allowed on /${resolved.shape}`);
    const write = writeOf(ctx, target.type, body, "create");
    if (isReply(write)) return write;
    if (write.transactionId !== null) {
      const existing = mailbox.findByTransactionId(write.transactionId);
      if (existing !== undefined) return { status: 201, body: render(existing) };
    }
    const created = mailbox.createItem(
      {
        type: target.type,
        fields: Object.fromEntries(
          Object.entries(write.fields).filter(([, value]) => value !== null),
        ) as Fields,
        folder: target.createIn.folderId,
        ...(write.categories !== undefined && { categories: write.categories }),
        extendedProperties: Object.fromEntries(
          Object.entries(write.extended).filter((entry): entry is [string, string] => entry[1] !== null),
        ),
        transactionId: write.transactionId,
      },
      { notify: false, by: "client" },
    );
    return {
      status: 201,
      body: renderItem(created, { extendedIds: undefined, parts: write.parts }, idForm, bodyType),
    };
  }

  const occurrence = target.type === "appointment" ? mailbox.occurrence(target.itemId) : undefined;
  if (occurrence !== undefined) {
    const masterId = String(occurrence.fields.seriesMasterId);
    const originalStart = String(occurrence.fields.originalStart);
    if (method === "GET") return { status: 200, body: render(occurrence) };
    // event-delete: deleting an instance of a series cancels that occurrence.
    if (method === "DELETE") {
      mailbox.cancelOccurrence(masterId, originalStart, { notify: false });
      return { status: 204 };
    }
    if (method !== "PATCH")
      return error(405, "ErrorInvalidRequest", `${method} is not allowed on /${resolved.shape}`);
    const write = writeOf(ctx, "appointment", body, "update");
    if (isReply(write)) return write;
    // event-update on an instance makes it an exception of its series.
    const exception = mailbox.updateOccurrence(
      masterId,
      originalStart,
      {
        fields: write.fields as Fields,
        ...(write.categories !== undefined && { categories: write.categories }),
        extendedProperties: write.extended,
      },
      { notify: false, by: "client" },
    );
    return {
      status: 200,
      body: renderItem(exception, { extendedIds: undefined, parts: [] }, idForm, bodyType),
    };
  }
  const item = liveItem(mailbox, target.type, target.folder, target.itemId);
  if (isReply(item)) return item;
  if (method === "GET") return { status: 200, body: withSelectedCancellations(render(item), item, query) };
  if (method === "DELETE") {
    mailbox.deleteItem(item.itemId, { notify: false });
    return { status: 204 };
  }
  if (method !== "PATCH")
    return error(405, "ErrorInvalidRequest", `${method} is not allowed on /${resolved.shape}`);
  const sealed = target.type === "email" && !isDraft(item) ? sentMessageRefusal(body) : null;
  if (sealed) return sealed;
  const write = writeOf(ctx, target.type, body, "update");
  if (isReply(write)) return write;
  const updated = mailbox.updateItem(
    item.itemId,
    {
      fields: write.fields as Fields,
      ...(write.categories !== undefined && { categories: write.categories }),
      extendedProperties: write.extended,
    },
    { notify: false, by: "client" },
  );
  return { status: 200, body: renderItem(updated, { extendedIds: undefined, parts: [] }, idForm, bodyType) };
}

function liveItem(
  mailbox: SimulatedMailbox,
  type: EntityType,
  folder: SimulatedFolder | null,
  itemId: string,
): SimulatedItem | Reply {
  if (!isRestId(itemId) && !isImmutableId(itemId))
    return error(400, "ErrorInvalidIdMalformed", "Id is malformed.");
  const item = mailbox.get(itemId);
  return item !== undefined && item.type === type && (folder === null || item.folderId === folder.folderId)
    ? item
    : error(404, "ErrorItemNotFound", "The specified object was not found in the store.");
}

/**
 * message-update: subject, body, sender and recipients (and internetMessageId) are "updatable only if isDraft =
 * true"; a sent or received message takes categories, flag, importance, inferenceClassification, isRead and
 * extended properties. Exchange answers ErrorInvalidPropertyUpdateSentMessage.
 */
const DRAFT_ONLY = new Set([
  "bccRecipients",
  "body",
  "ccRecipients",
  "from",
  "internetMessageId",
  "replyTo",
  "sender",
  "subject",
  "toRecipients",
]);

function sentMessageRefusal(body: unknown): Reply | null {
  if (typeof body !== "object" || body === null) return null;
  const refused = Object.keys(body).find((key) => DRAFT_ONLY.has(key));
  return refused === undefined
    ? null
    : error(
        400,
        "ErrorInvalidPropertyUpdateSentMessage",
        `Update operation is invalid for property '${refused}' of a sent message.`,
      );
}

/**
 * A Get of one series master by id adds `cancelledOccurrences` when `$select` names it ("event resource type":
 * "returned only on $select in a Get operation which specifies the ID … of a series master event").
 */
function withSelectedCancellations(
  json: Record<string, unknown>,
  item: SimulatedItem,
  query: URLSearchParams,
): Record<string, unknown> {
  const cancelled = item.type === "appointment" ? cancelledOccurrencesOf(item) : null;
  if (cancelled === null || !splitTop(query.get("$select") ?? "").includes("cancelledOccurrences"))
    return json;
  return { ...json, cancelledOccurrences: cancelled };
}

/** Keeps only `$select`ed properties (and the id) when the request has one (graph/query-parameters: select). */
function select(json: Record<string, unknown>, query: URLSearchParams): Record<string, unknown> {
  const chosen = query.get("$select");
  if (chosen === null) return json;
  const keep = new Set([
    "id",
    ...splitTop(chosen),
    ...splitTop(query.get("$expand") ?? "").map((e) => e.split("(")[0] ?? ""),
  ]);
  return Object.fromEntries(Object.entries(json).filter(([key]) => keep.has(key) || key.startsWith("@")));
}

/** What $expand asks for, of what the twin carries out: extended properties by id, and To Do task parts. */
function expansionOf(expand: string | null, type: EntityType): Expansion | Reply {
  let extendedIds: string[] | undefined;
  const parts: TaskPart[] = [];
  for (const item of splitTop(expand ?? "")) {
    const name = item.split("(")[0]?.trim() ?? "";
    if (name === "singleValueExtendedProperties") {
      // extended-properties-overview: expanded by id, "$expand=singleValueExtendedProperties($filter=id eq '…')".
      const filter = /^singleValueExtendedProperties\(\$filter=(.+)\)$/is.exec(item)?.[1] ?? "";
      const ids = [...filter.matchAll(/id eq '((?:[^']|'')*)'/gi)].map((match) => unquote(match[1]));
      if (ids.length === 0) return notSimulated(`$expand=${item}`);
      extendedIds = [...(extendedIds ?? []), ...ids];
    } else if (type === "task" && EXPANDABLE_PARTS.has(name) && name === item) parts.push(name as TaskPart);
    else return notSimulated(`$expand=${item}`);
  }
  return { extendedIds, parts };
}

function renderItem(
  item: SimulatedItem,
  expansion: Expansion,
  idForm: IdForm,
  bodyType: BodyType,
): Record<string, unknown> {
  const json = itemToGraph(item, {
    idForm,
    bodyType,
    ...(expansion.extendedIds !== undefined && { expandIds: expansion.extendedIds }),
  });
  for (const part of expansion.parts) json[part] = taskParts(item, part);
  return json;
}

/**
 * The $filter forms the twin evaluates (each checked against the metadata first): an extended property value
 * (extended-properties-overview: "singleValueExtendedProperties/any(ep: ep/id eq '…' and ep/value eq '…')"),
 * an event's transactionId, and a To Do task's linked resource by externalId (and applicationName). Null: no
 * $filter.
 */
function filterItems(
  mailbox: SimulatedMailbox,
  type: EntityType,
  filter: string | null,
): readonly SimulatedItem[] | null | Reply {
  if (filter === null) return null;
  const literal = "'((?:[^']|'')*)'";
  const byProperty = new RegExp(
    `^singleValueExtendedProperties/any\\((\\w+): \\1/id eq ${literal} and \\1/value eq ${literal}\\)$`,
    "i",
  ).exec(filter);
  if (byProperty && type !== "task") {
    const id = canonicalPropertyId(unquote(byProperty[2]));
    const value = unquote(byProperty[3]);
    const field = type === "contact" ? CONTACT_MAPI_FIELDS[id] : undefined;
    if (field !== undefined)
      return mailbox
        .folders()
        .filter((f) => f.type === "contact")
        .flatMap((f) => mailbox.list(f.folderId))
        .filter((item) => item.fields[field] === value);
    return mailbox.findByExtendedProperty(id, value, type);
  }
  const byTransaction = new RegExp(`^transactionId eq ${literal}$`).exec(filter);
  if (byTransaction && type === "appointment") {
    const found = mailbox.findByTransactionId(unquote(byTransaction[1]));
    return found === undefined ? [] : [found];
  }
  const byLink = new RegExp(
    `^linkedResources/any\\((\\w+): (?:\\1/applicationName eq ${literal} and )?\\1/externalId eq ${literal}\\)$`,
    "i",
  ).exec(filter);
  if (byLink && type === "task") {
    const application = byLink[2] === undefined ? undefined : unquote(byLink[2]);
    const externalId = unquote(byLink[3]);
    return mailbox
      .folders()
      .filter((f) => f.type === "task")
      .flatMap((f) => mailbox.list(f.folderId))
      .filter((item) =>
        taskParts(item, "linkedResources").some(
          (entry) =>
            entry.externalId === externalId &&
            (application === undefined || entry.applicationName === application),
        ),
      );
  }
  return notSimulated(`$filter=${filter}`);
}

/**
 * A value in the textual form of the property's MAPI type (extended-properties-overview: the id begins with the
 * type; MS-OXCDATA 2.11.1 property data types): SystemTime an ISO 8601 date-time, Integer and Long whole
 * numbers, Boolean true/false. An empty string is no date-time.
 */
function validPropertyValue(id: string, value: string | null): boolean {
  if (value === null) return true;
  const type = /^(\w+)\s/.exec(id)?.[1]?.toLowerCase();
  if (type === "systemtime") return /^\d{4}-\d{2}-\d{2}T/.test(value) && !Number.isNaN(Date.parse(value));
  if (type === "integer" || type === "long" || type === "short") return /^-?\d+$/.test(value);
  if (type === "boolean") return value === "true" || value === "false";
  return true;
}

interface Write {
  readonly fields: Record<string, unknown>;
  readonly categories?: string[];
  readonly extended: Record<string, string | null>;
  readonly transactionId: string | null;
  readonly parts: readonly TaskPart[];
}

/** A POST or PATCH body as a mailbox write, after the metadata check. */
function writeOf(
  ctx: GraphContext,
  type: EntityType,
  body: unknown,
  mode: "create" | "update",
): Write | Reply {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    return error(400, "BadRequest", "The request body must be a JSON object.");
  const failure = checkBody(ctx.metadata, GRAPH_TYPE[type], body);
  if (failure) return error(failure.status, failure.code, failure.message);
  const json = body as Record<string, unknown>;
  let fields: Record<string, unknown>;
  try {
    fields = graphToMailboxFields(type, json);
  } catch (cause) {
    if (cause instanceof NotSimulated) return notSimulated(cause.message);
    throw cause;
  }
  const extended: Record<string, string | null> = {};
  const properties = (json.singleValueExtendedProperties ?? []) as { id: string; value: string | null }[];
  const badValue = properties.find((entry) => !validPropertyValue(entry.id, entry.value));
  if (badValue)
    return error(
      400,
      "ErrorInvalidExtendedPropertyValue",
      `The value ${JSON.stringify(badValue.value)} is not valid for extended property '${badValue.id}'.`,
    );
  for (const entry of properties) {
    const id = canonicalPropertyId(entry.id);
    const field = type === "contact" ? CONTACT_MAPI_FIELDS[id] : undefined;
    if (field === undefined) extended[id] = entry.value;
    else
      fields[field] =
        entry.value === null || entry.value === ""
          ? null
          : id.startsWith("SystemTime")
            ? entry.value.slice(0, 10)
            : entry.value;
  }
  const parts: TaskPart[] = [];
  for (const part of ["linkedResources", "extensions"] as const) {
    if (!(part in json)) continue;
    // todotask-post-tasks: linked resources (and extensions) may be created with the task; later through their own paths.
    if (mode === "update") return notSimulated(`a deep update of ${part}`);
    const made: Entity[] = [];
    for (const entry of json[part] as Record<string, unknown>[]) {
      const entity = newPart(part, entry, made, () => ctx.nextPartId());
      if ("conflict" in entity)
        return error(409, "NameAlreadyExists", `An extension named '${entity.conflict}' already exists.`);
      made.push(entity.entity);
    }
    Object.assign(extended, partsValue(part, made));
    parts.push(part);
  }
  return {
    fields,
    ...(Array.isArray(json.categories) && { categories: json.categories as string[] }),
    extended,
    transactionId:
      type === "appointment" && typeof json.transactionId === "string" ? json.transactionId : null,
    parts,
  };
}

/** linkedResources and open extensions of a To Do task, through their own paths. */
function handleParts(
  ctx: GraphContext,
  method: string,
  target: Extract<Target, { kind: "parts" }>,
  body: unknown,
): Reply {
  const item = liveItem(ctx.mailbox, "task", target.folder, target.itemId);
  if (isReply(item)) return item;
  const entities = taskParts(item, target.part);
  const entityType =
    target.part === "linkedResources" ? "microsoft.graph.linkedResource" : "microsoft.graph.extension";
  const save = (next: Entity[]) =>
    ctx.mailbox.updateItem(
      item.itemId,
      { extendedProperties: partsValue(target.part, next) },
      { notify: false, by: "client" },
    );
  const checked = (): Record<string, unknown> | Reply => {
    if (typeof body !== "object" || body === null || Array.isArray(body))
      return error(400, "BadRequest", "The request body must be a JSON object.");
    const failure = checkBody(ctx.metadata, entityType, body);
    return failure ? error(failure.status, failure.code, failure.message) : (body as Record<string, unknown>);
  };
  if (target.partId === null) {
    if (method === "GET") return page(entities, null, null);
    if (method !== "POST") return error(405, "ErrorInvalidRequest", `${method} is not allowed here`);
    const json = checked();
    if (isReply(json)) return json;
    const made = newPart(target.part, json, entities, () => ctx.nextPartId());
    if ("conflict" in made)
      return error(409, "NameAlreadyExists", `An extension named '${made.conflict}' already exists.`);
    save([...entities, made.entity]);
    return { status: 201, body: made.entity };
  }
  const index = entities.findIndex((entry) => entry.id === target.partId);
  if (index < 0) return error(404, "ErrorItemNotFound", "The specified object was not found in the store.");
  const current = entities[index] as Entity;
  if (method === "GET") return { status: 200, body: current };
  if (method === "DELETE") {
    save(entities.filter((_, i) => i !== index));
    return { status: 204 };
  }
  if (method !== "PATCH") return error(405, "ErrorInvalidRequest", `${method} is not allowed here`);
  const json = checked();
  if (isReply(json)) return json;
  const { id: _id, "@odata.type": _type, extensionName: _name, ...data } = json;
  const next = { ...current, ...data } as Entity;
  save(entities.map((entry, i) => (i === index ? next : entry)));
  return { status: 200, body: next };
}

/** A mailbox SyncError as Graph's answer (bad input 400, missing 404); anything else is a 500. */
export function replyForThrown(cause: unknown): Reply {
  if (cause instanceof SyncError && cause.code === "invalidInput")
    return error(400, "ErrorInvalidProperty", cause.message);
  if (cause instanceof SyncError && cause.code === "notFound")
    return error(404, "ErrorItemNotFound", cause.message);
  return error(500, "InternalServerError", cause instanceof Error ? cause.message : String(cause));
}
