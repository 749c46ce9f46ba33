import type { EntityType, FieldValue } from "../../core/types";
import type { SimulatedItem } from "../mailbox/simulated-mailbox";
import { recurrenceFromBody, seriesToGraph } from "./graph-series";

/**
 * The Graph twin's own view of mailbox items as Graph resources (contact, event, todoTask, message) and of
 * Graph request bodies as mailbox fields. Written from the v1.0 metadata and the resource pages, independently
 * of the add-in's adapter: property names, complex types (dateTimeTimeZone, itemBody, emailAddress,
 * physicalAddress, attendee) and the MAPI tags of the contact fields Graph has no property for.
 */

/** Which id an answer names items by: the REST id, or the immutable id (`Prefer: IdType="ImmutableId"`). */
export type IdForm = "rest" | "immutable";

/** How bodies are answered (Prefer: outlook.body-content-type; message/event: HTML by default). */
export type BodyType = "html" | "text";

/** The Graph entity type that serves each mailbox item type (metadata: EntityType contact, event, todoTask, message). */
export const GRAPH_TYPE: Readonly<Record<EntityType, string>> = {
  contact: "microsoft.graph.contact",
  appointment: "microsoft.graph.event",
  task: "microsoft.graph.todoTask",
  email: "microsoft.graph.message",
};

/**
 * Contact fields without a contact property, by MAPI property tag (MS-OXPROPS: PidTagWeddingAnniversary,
 * PidTagGovernmentIdNumber, PidTagFtpSite, PidTagPagerTelephoneNumber, PidTagAssistantTelephoneNumber,
 * PidTagBusinessFaxNumber, PidTagOtherTelephoneNumber, PidTagPostOfficeBox), in Graph's extended property id
 * form "{type} {tag}" (graph/api/resources/extended-properties-overview).
 */
export const CONTACT_MAPI_FIELDS: Readonly<Record<string, string>> = {
  "SystemTime 0x3A41": "anniversary",
  "String 0x3A07": "governmentIdNumber",
  "String 0x3A4C": "ftpSite",
  "String 0x3A21": "pagerNumber",
  "String 0x3A2E": "assistantTelephoneNumber",
  "String 0x3A24": "businessFaxNumber",
  "String 0x3A1F": "otherTelephoneNumber",
  "String 0x3A2B": "mailingAddressPostOfficeBox",
};

/** Extended property ids compare without regard to case (extended-properties-overview: id formats). */
export function canonicalPropertyId(id: string): string {
  const tag = /^(\w+) (0x[0-9a-f]{1,4})$/i.exec(id);
  return tag ? `${tag[1] ?? ""} 0x${(tag[2] ?? "").slice(2).toUpperCase()}` : id;
}

/** Contact: Graph property → mailbox key, for Edm.String properties (metadata: EntityType contact). */
const CONTACT_STRINGS: Readonly<Record<string, string>> = {
  givenName: "firstName",
  middleName: "middleName",
  surname: "lastName",
  title: "title",
  nickName: "nickname",
  mobilePhone: "mobileTelephoneNumber",
  jobTitle: "jobTitle",
  department: "department",
  companyName: "companyName",
  assistantName: "assistantName",
  manager: "managerName",
  spouseName: "spouse",
  businessHomePage: "webPage",
  yomiGivenName: "yomiFirstName",
  yomiSurname: "yomiLastName",
  personalNotes: "body",
};

/** physicalAddress (metadata: ComplexType physicalAddress) → mailbox keys of the mailing address. */
const ADDRESS: Readonly<Record<string, string>> = {
  street: "mailingAddressStreet",
  city: "mailingAddressCity",
  state: "mailingAddressState",
  postalCode: "mailingAddressPostalCode",
  countryOrRegion: "mailingAddressCountry",
};

type Json = Record<string, unknown>;

function text(value: FieldValue | undefined): string | null {
  return typeof value === "string" ? value : null;
}

function list(value: FieldValue | undefined): readonly string[] {
  return Array.isArray(value) ? (value as readonly string[]) : [];
}

/** dateTimeTimeZone (metadata: ComplexType dateTimeTimeZone), answered in UTC ("Prefer: outlook.timezone" absent). */
function dateTimeZone(value: FieldValue | undefined): Json | null {
  const iso = text(value);
  return iso === null
    ? null
    : { dateTime: new Date(iso).toISOString().replace("Z", "0000"), timeZone: "UTC" };
}

function escapeHtml(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Plain text as the HTML document Exchange answers for a body (message/event `body`: HTML by default). */
export function textToHtml(value: string): string {
  const lines = value.split("\n").map(escapeHtml).join("<br>\r\n");
  return `<html><head>\r\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head><body>${lines}</body></html>`;
}

/** The text of an HTML body, as Exchange converts it for `Prefer: outlook.body-content-type="text"`. */
export function htmlToText(html: string): string {
  const inner = /<body[^>]*>([\s\S]*)<\/body>/i.exec(html)?.[1] ?? html;
  return inner
    .replace(/\r?\n/g, "")
    .replace(/<br\s*\/?>/gi, "\n")
    .replace(/<\/(p|div)>/gi, "\n")
    .replace(/<[^>]+>/g, "")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&nbsp;/g, " ")
    .replace(/&amp;/g, "&")
    .replace(/\n+$/, "");
}

/** itemBody (metadata: ComplexType itemBody) of stored text, in the content type the request asked for. */
function itemBody(value: FieldValue | undefined, bodyType: BodyType): Json {
  const content = text(value) ?? "";
  return bodyType === "text"
    ? { contentType: "text", content }
    : { contentType: "html", content: content === "" ? "" : textToHtml(content) };
}

function recipients(value: FieldValue | undefined): Json[] {
  return list(value).map((address) => ({ emailAddress: { name: address, address } }));
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** The MAPI-tag contact fields as extended property values (SystemTime in ISO 8601 UTC). */
function contactMapiValues(item: SimulatedItem): Map<string, string> {
  const values = new Map<string, string>();
  for (const [id, key] of Object.entries(CONTACT_MAPI_FIELDS)) {
    const value = text(item.fields[key]);
    if (value !== null) values.set(id, id.startsWith("SystemTime") ? `${value}T00:00:00Z` : value);
  }
  return values;
}

/** The extended property values an item has, by canonical id (contact MAPI fields included). */
export function extendedValues(item: SimulatedItem): Map<string, string> {
  const values = new Map(
    Object.entries(item.extendedProperties).map(([id, value]) => [canonicalPropertyId(id), value]),
  );
  if (item.type === "contact") for (const [id, value] of contactMapiValues(item)) values.set(id, value);
  return values;
}

/**
 * A mailbox item as its Graph resource JSON. Extended properties appear only when expanded by id
 * (extended-properties-overview: "$expand=singleValueExtendedProperties($filter=id eq '…')"); To Do
 * linkedResources and extensions come from the twin's own store (see graph-todo.ts) and are added by the caller.
 */
export function itemToGraph(
  item: SimulatedItem,
  options: { idForm: IdForm; bodyType: BodyType; expandIds?: readonly string[] },
): Json {
  const f = item.fields;
  const id = options.idForm === "immutable" ? item.immutableId : item.itemId;
  const common = {
    // contact-get, event-get, message-get, todotask-get: every item answers with its @odata.etag.
    "@odata.etag": `W/"${item.changeKey}"`,
    id,
    createdDateTime: iso(item.createdAt),
    lastModifiedDateTime: iso(item.modifiedAt),
    categories: [...item.categories],
  };
  let json: Json;
  switch (item.type) {
    case "contact": {
      const emails = [f.email1Address, f.email2Address, f.email3Address].map((value) => text(value) ?? "");
      while (emails.length > 0 && emails[emails.length - 1] === "") emails.pop();
      json = {
        ...common,
        changeKey: item.changeKey,
        parentFolderId: item.folderId,
        ...Object.fromEntries(Object.entries(CONTACT_STRINGS).map(([graph, key]) => [graph, text(f[key])])),
        emailAddresses: emails.map((address) => ({ name: address, address })),
        businessPhones: text(f.businessTelephoneNumber) === null ? [] : [f.businessTelephoneNumber],
        homePhones: text(f.homeTelephoneNumber) === null ? [] : [f.homeTelephoneNumber],
        children: text(f.children) === null ? [] : [f.children],
        birthday: text(f.birthday) === null ? null : `${String(f.birthday)}T00:00:00Z`,
        businessAddress: Object.fromEntries(
          Object.entries(ADDRESS).map(([graph, key]) => [graph, text(f[key])]),
        ),
      };
      break;
    }
    case "appointment":
      json = {
        ...common,
        changeKey: item.changeKey,
        subject: text(f.subject),
        body: itemBody(f.body, options.bodyType),
        start: dateTimeZone(f.start),
        end: dateTimeZone(f.end),
        isAllDay: f.isAllDayEvent === true,
        location: { displayName: text(f.location) ?? "" },
        attendees: [
          ...recipients(f.requiredAttendees).map((entry) => ({ ...entry, type: "required" })),
          ...recipients(f.optionalAttendees).map((entry) => ({ ...entry, type: "optional" })),
        ],
        organizer:
          text(f.organizer) === null ? null : { emailAddress: { name: f.organizer, address: f.organizer } },
        importance: text(f.priority) ?? "normal",
        showAs: text(f.showTimeAs) ?? "busy",
        iCalUId: text(f.iCalUId),
        transactionId: item.transactionId,
        ...seriesToGraph(item),
      };
      break;
    case "task":
      // todoTask has no changeKey (metadata: EntityType todoTask); its body is answered as stored text.
      json = {
        ...common,
        title: text(f.subject),
        body: { contentType: "text", content: text(f.body) ?? "" },
        dueDateTime: dateTimeZone(f.dueDate),
        startDateTime: dateTimeZone(f.startDate),
        reminderDateTime: dateTimeZone(f.reminderTime),
        isReminderOn: text(f.reminderTime) !== null,
        importance: text(f.priority) ?? "normal",
        status: text(f.status) ?? "notStarted",
      };
      break;
    case "email":
      json = {
        ...common,
        changeKey: item.changeKey,
        parentFolderId: item.folderId,
        subject: text(f.subject),
        body: itemBody(f.body, options.bodyType),
        from: text(f.from) === null ? null : { emailAddress: { name: f.from, address: f.from } },
        toRecipients: recipients(f.to),
        ccRecipients: recipients(f.cc),
        sentDateTime: text(f.sentAt),
        receivedDateTime: text(f.receivedAt),
        internetMessageId: text(f.internetMessageId),
        isDraft: isDraft(item),
      };
      break;
  }
  if (options.expandIds !== undefined && item.type !== "task") {
    const values = extendedValues(item);
    json.singleValueExtendedProperties = options.expandIds
      .map(canonicalPropertyId)
      .filter((wanted) => values.has(wanted))
      .map((wanted) => ({ id: wanted, value: values.get(wanted) }));
  }
  return json;
}

/** A message is a draft until it is sent or received (metadata: message.isDraft). */
export function isDraft(item: SimulatedItem): boolean {
  return item.fields.sentAt === undefined && item.fields.receivedAt === undefined;
}

function bodyText(value: unknown): string | null {
  const body = value as { contentType?: unknown; content?: unknown } | null;
  if (typeof body?.content !== "string" || body.content === "") return null;
  return body.contentType === "html" ? htmlToText(body.content) : body.content;
}

/** The UTC instant of a dateTimeTimeZone; undefined when its time zone is not UTC. */
function fromDateTimeZone(value: unknown): string | null | undefined {
  if (value === null) return null;
  const zone = value as { dateTime?: unknown; timeZone?: unknown };
  if (typeof zone.dateTime !== "string") return null;
  if (zone.timeZone !== undefined && zone.timeZone !== "UTC") return undefined;
  const ms = Date.parse(`${zone.dateTime.replace(/(\.\d{3})\d*$/, "$1").replace(/Z$/, "")}Z`);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString().replace(".000Z", "Z");
}

function addresses(value: unknown): string[] {
  return Array.isArray(value)
    ? value.map((entry: unknown) => {
        const address = (entry as { emailAddress?: { address?: unknown } } | null)?.emailAddress?.address;
        return typeof address === "string" ? address : "";
      })
    : [];
}

/** Thrown for a value the twin does not convert (a non-UTC time zone); the server answers 501. */
export class NotSimulated extends Error {}

/**
 * The mailbox fields a Graph body writes: only properties present in `json` (null or empty clears), so a
 * PATCH body maps to a partial patch. Server-owned properties (id, iCalUId, …) are not mapped.
 */
export function graphToMailboxFields(type: EntityType, json: Json): Record<string, FieldValue> {
  const out: Record<string, FieldValue> = {};
  const has = (key: string) => key in json;
  const str = (value: unknown) => (typeof value === "string" && value !== "" ? value : null);
  const when = (key: string, target: string) => {
    if (!has(key)) return;
    const value = fromDateTimeZone(json[key]);
    if (value === undefined) throw new NotSimulated(`the twin converts only UTC times (${key}.timeZone)`);
    out[target] = value;
  };
  switch (type) {
    case "contact": {
      for (const [graph, key] of Object.entries(CONTACT_STRINGS)) if (has(graph)) out[key] = str(json[graph]);
      if (has("emailAddresses")) {
        const emails = Array.isArray(json.emailAddresses) ? (json.emailAddresses as Json[]) : [];
        ["email1Address", "email2Address", "email3Address"].forEach((key, i) => {
          out[key] = str(emails[i]?.address);
        });
      }
      const first = (value: unknown) => (Array.isArray(value) ? str(value[0]) : null);
      if (has("businessPhones")) out.businessTelephoneNumber = first(json.businessPhones);
      if (has("homePhones")) out.homeTelephoneNumber = first(json.homePhones);
      if (has("children"))
        out.children =
          Array.isArray(json.children) && json.children.length > 0 ? json.children.join(", ") : null;
      if (has("birthday"))
        out.birthday = typeof json.birthday === "string" ? json.birthday.slice(0, 10) : null;
      if (has("businessAddress")) {
        const address = (json.businessAddress ?? {}) as Json;
        for (const [graph, key] of Object.entries(ADDRESS))
          if (graph in address) out[key] = str(address[graph]);
      }
      return out;
    }
    case "appointment": {
      if (has("subject")) out.subject = str(json.subject);
      if (has("body")) out.body = bodyText(json.body);
      when("start", "start");
      when("end", "end");
      if (has("isAllDay")) out.isAllDayEvent = json.isAllDay === true;
      if (has("location")) out.location = str((json.location as Json | null)?.displayName);
      if (has("attendees")) {
        const attendees = Array.isArray(json.attendees) ? (json.attendees as Json[]) : [];
        const ofType = (kind: string) =>
          addresses(attendees.filter((entry) => (entry.type ?? "required") === kind));
        out.requiredAttendees = ofType("required");
        out.optionalAttendees = ofType("optional");
      }
      if (has("organizer")) out.organizer = addresses([json.organizer])[0] || null;
      if (has("importance")) out.priority = str(json.importance);
      if (has("showAs")) out.showTimeAs = json.showAs === "unknown" ? null : str(json.showAs);
      if (has("recurrence")) out.recurrence = recurrenceFromBody(json.recurrence);
      return out;
    }
    case "task": {
      if (has("title")) out.subject = str(json.title);
      if (has("body")) out.body = bodyText(json.body);
      when("dueDateTime", "dueDate");
      when("startDateTime", "startDate");
      when("reminderDateTime", "reminderTime");
      if (json.isReminderOn === false) out.reminderTime = null;
      if (has("importance")) out.priority = str(json.importance);
      if (has("status")) out.status = str(json.status);
      return out;
    }
    case "email": {
      if (has("subject")) out.subject = str(json.subject);
      if (has("body")) out.body = bodyText(json.body);
      if (has("from")) out.from = addresses([json.from])[0] || null;
      if (has("toRecipients")) out.to = addresses(json.toRecipients);
      if (has("ccRecipients")) out.cc = addresses(json.ccRecipients);
      return out;
    }
  }
}
