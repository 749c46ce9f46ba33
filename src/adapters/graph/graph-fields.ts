import { SyncError } from "../../core/errors";
import { occurrenceStart, parseRecurrence, recurrenceFromParts } from "../../core/recurrence";
import type { EntityType, FieldValue, Fields } from "../../core/types";

/**
 * The Outlook keys of SPEC §2 ↔ Microsoft Graph resource JSON (contact, event, To Do task, message).
 * `fieldsToGraph` writes a complete representation (null for every absent property; extended properties only
 * for present values); `changedProperties` turns two of them into a PATCH body; `graphToFields` reads back only
 * what the JSON holds. Contact fields Graph has no plain
 * property for travel as single-value extended properties (MAPI tags). Date-times are UTC.
 */

/** Contact fields kept in MAPI properties, by their Graph extended property id. */
export const CONTACT_EXTENDED_FIELDS: Readonly<Record<string, string>> = {
  anniversary: "SystemTime 0x3A41",
  governmentIdNumber: "String 0x3A07",
  ftpSite: "String 0x3A4C",
  pagerNumber: "String 0x3A21",
  assistantTelephoneNumber: "String 0x3A2E",
  businessFaxNumber: "String 0x3A24",
  otherTelephoneNumber: "String 0x3A1F",
  mailingAddressPostOfficeBox: "String 0x3A2B",
};

const CONTACT_TEXT: Readonly<Record<string, string>> = {
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

const ADDRESS: Readonly<Record<string, string>> = {
  street: "mailingAddressStreet",
  city: "mailingAddressCity",
  state: "mailingAddressState",
  postalCode: "mailingAddressPostalCode",
  countryOrRegion: "mailingAddressCountry",
};

type Json = Record<string, unknown>;

function str(value: FieldValue | undefined): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

function strings(value: FieldValue | undefined): readonly string[] {
  return Array.isArray(value) ? (value as readonly string[]) : [];
}

/** A Graph dateTimeTimeZone in UTC for an ISO instant, or null. */
function dateTimeZone(value: FieldValue | undefined): Json | null {
  const iso = str(value);
  return iso === null
    ? null
    : { dateTime: new Date(iso).toISOString().replace("Z", "0000"), timeZone: "UTC" };
}

/** The canonical ISO form of a Graph date-time (dateTimeTimeZone in UTC, or a DateTimeOffset string). */
function fromDateTime(value: unknown): string | null {
  if (typeof value === "string") {
    const ms = Date.parse(/[zZ]|[+-]\d\d:\d\d$/.test(value) ? value : `${value}Z`);
    return Number.isNaN(ms) ? null : new Date(ms).toISOString().replace(".000Z", "Z");
  }
  if (
    typeof value === "object" &&
    value !== null &&
    "dateTime" in value &&
    typeof value.dateTime === "string"
  ) {
    return fromDateTime(value.dateTime.replace(/(\.\d{3})\d*$/, "$1"));
  }
  return null;
}

/**
 * A recurrence text as Graph's patternedRecurrence ("patternedRecurrence resource type"): the members the
 * pattern and range types use, days read in UTC (recurrenceTimeZone "UTC"); null for no recurrence.
 */
function recurrenceToGraph(value: FieldValue | undefined): Json | null {
  const text = str(value);
  if (text === null) return null;
  const { pattern, range } = parseRecurrence(text);
  return { pattern: { ...pattern }, range: { ...range, recurrenceTimeZone: "UTC" } };
}

/**
 * Graph's patternedRecurrence as the recurrence text: only the members its pattern and range types use are
 * read (Graph answers every member, unused ones as 0, "first" or "0001-01-01").
 */
function recurrenceFromGraph(value: unknown): string | null {
  if (typeof value !== "object" || value === null) return null;
  const { pattern = {}, range = {} } = value as { pattern?: Json; range?: Json };
  return recurrenceFromParts(pattern, range);
}

/**
 * A master's cancelledOccurrences (occurrence ids "OID.<seriesMasterId>.<YYYY-MM-DD>", "event resource
 * type") as original starts: that day at the series' time of day.
 */
function cancelledFromGraph(value: unknown, start: string | null): readonly string[] | null {
  if (!Array.isArray(value) || start === null) return null;
  const days = value.flatMap((entry: unknown) => {
    const day = typeof entry === "string" ? /(\d{4}-\d{2}-\d{2})$/.exec(entry)?.[1] : undefined;
    return day === undefined ? [] : [occurrenceStart(start, day)];
  });
  return days.length === 0 ? null : [...new Set(days)].sort();
}

function body(value: FieldValue | undefined): Json {
  return { contentType: "text", content: str(value) ?? "" };
}

function recipients(value: FieldValue | undefined): Json[] {
  return strings(value).map((address) => ({ emailAddress: { address } }));
}

function addressesOf(value: unknown): string[] {
  return Array.isArray(value)
    ? value.map((entry: unknown) => {
        const email = (entry as { emailAddress?: { address?: unknown } } | null)?.emailAddress?.address;
        return typeof email === "string" ? email : "";
      })
    : [];
}

/** The complete Graph JSON for an item's Outlook fields (read-only keys and `duration` are left out). */
export function fieldsToGraph(type: EntityType, fields: Fields): Json {
  switch (type) {
    case "contact": {
      const json: Json = Object.fromEntries(
        Object.entries(CONTACT_TEXT).map(([graph, key]) => [graph, str(fields[key])]),
      );
      const emails = [fields.email1Address, fields.email2Address, fields.email3Address].map(
        (value) => str(value) ?? "",
      );
      while (emails.length > 0 && emails[emails.length - 1] === "") emails.pop();
      json.emailAddresses = emails.map((address) => ({ address, name: address }));
      json.businessPhones =
        str(fields.businessTelephoneNumber) === null ? [] : [fields.businessTelephoneNumber];
      json.homePhones = str(fields.homeTelephoneNumber) === null ? [] : [fields.homeTelephoneNumber];
      json.children = str(fields.children) === null ? [] : [fields.children];
      json.birthday = str(fields.birthday) === null ? null : `${String(fields.birthday)}T00:00:00Z`;
      json.businessAddress = Object.fromEntries(
        Object.entries(ADDRESS).map(([graph, key]) => [graph, str(fields[key])]),
      );
      // Only values that are present: Graph refuses an empty string for a SystemTime property.
      json.singleValueExtendedProperties = Object.entries(CONTACT_EXTENDED_FIELDS).flatMap(([key, id]) => {
        const value = str(fields[key]);
        if (value === null) return [];
        return [{ id, value: key === "anniversary" ? `${value}T00:00:00Z` : value }];
      });
      return json;
    }
    case "appointment":
      return {
        subject: str(fields.subject),
        body: body(fields.body),
        start: dateTimeZone(fields.start),
        end: dateTimeZone(fields.end),
        isAllDay: fields.isAllDayEvent === true,
        location: { displayName: str(fields.location) ?? "" },
        attendees: [
          ...recipients(fields.requiredAttendees).map((entry) => ({ ...entry, type: "required" })),
          ...recipients(fields.optionalAttendees).map((entry) => ({ ...entry, type: "optional" })),
        ],
        organizer: str(fields.organizer) === null ? null : { emailAddress: { address: fields.organizer } },
        importance: str(fields.priority) ?? "normal",
        showAs: str(fields.showTimeAs) ?? "busy",
        recurrence: recurrenceToGraph(fields.recurrence),
      };
    case "task":
      return {
        title: str(fields.subject),
        body: body(fields.body),
        dueDateTime: dateTimeZone(fields.dueDate),
        startDateTime: dateTimeZone(fields.startDate),
        reminderDateTime: dateTimeZone(fields.reminderTime),
        isReminderOn: str(fields.reminderTime) !== null,
        importance: str(fields.priority) ?? "normal",
        status: str(fields.status) ?? "notStarted",
      };
    case "email":
      return {
        subject: str(fields.subject),
        body: body(fields.body),
        from: str(fields.from) === null ? null : { emailAddress: { address: fields.from } },
        toRecipients: recipients(fields.to),
        ccRecipients: recipients(fields.cc),
      };
  }
}

/**
 * The Outlook fields a Graph JSON body or resource holds: only properties present in `json` are mapped
 * (null where the property is present but empty), so a partial PATCH body maps to a partial patch.
 */
export function graphToFields(type: EntityType, json: Json): Record<string, FieldValue> {
  const out: Record<string, FieldValue> = {};
  const has = (key: string) => key in json;
  const text = (value: unknown) => (typeof value === "string" && value !== "" ? value : null);
  const content = (value: unknown) => text((value as { content?: unknown } | null)?.content);
  switch (type) {
    case "contact": {
      for (const [graph, key] of Object.entries(CONTACT_TEXT)) if (has(graph)) out[key] = text(json[graph]);
      if (has("emailAddresses")) {
        const emails = Array.isArray(json.emailAddresses) ? json.emailAddresses : [];
        ["email1Address", "email2Address", "email3Address"].forEach((key, i) => {
          out[key] = text((emails[i] as { address?: unknown } | undefined)?.address);
        });
      }
      const first = (value: unknown) => (Array.isArray(value) ? text(value[0]) : null);
      if (has("businessPhones")) out.businessTelephoneNumber = first(json.businessPhones);
      if (has("homePhones")) out.homeTelephoneNumber = first(json.homePhones);
      if (has("children"))
        out.children =
          Array.isArray(json.children) && json.children.length > 0 ? json.children.join(", ") : null;
      if (has("birthday")) out.birthday = fromDateTime(json.birthday)?.slice(0, 10) ?? null;
      if (has("businessAddress")) {
        const address = (json.businessAddress ?? {}) as Json;
        for (const [graph, key] of Object.entries(ADDRESS)) out[key] = text(address[graph]);
      }
      const extended = Array.isArray(json.singleValueExtendedProperties)
        ? json.singleValueExtendedProperties
        : [];
      for (const [key, id] of Object.entries(CONTACT_EXTENDED_FIELDS)) {
        const entry = extended.find((candidate: unknown) => (candidate as { id?: unknown }).id === id) as
          { value?: unknown } | undefined;
        if (entry === undefined) continue;
        out[key] =
          key === "anniversary" ? (fromDateTime(entry.value)?.slice(0, 10) ?? null) : text(entry.value);
      }
      return out;
    }
    case "appointment": {
      if (has("subject")) out.subject = text(json.subject);
      if (has("body")) out.body = content(json.body);
      if (has("start")) out.start = fromDateTime(json.start);
      if (has("end")) out.end = fromDateTime(json.end);
      if (has("isAllDay")) out.isAllDayEvent = json.isAllDay === true;
      if (has("location"))
        out.location = text((json.location as { displayName?: unknown } | null)?.displayName);
      if (has("attendees")) {
        const attendees = Array.isArray(json.attendees) ? (json.attendees as Json[]) : [];
        const ofType = (kind: string) =>
          addressesOf(attendees.filter((entry) => (entry.type ?? "required") === kind));
        out.requiredAttendees = ofType("required");
        out.optionalAttendees = ofType("optional");
      }
      if (has("organizer")) out.organizer = addressesOf([json.organizer])[0] || null;
      if (has("importance")) out.priority = text(json.importance);
      if (has("showAs")) out.showTimeAs = json.showAs === "unknown" ? null : text(json.showAs);
      if (has("iCalUId")) out.iCalUId = text(json.iCalUId);
      if (has("recurrence")) out.recurrence = recurrenceFromGraph(json.recurrence);
      if (has("originalStart")) out.originalStart = fromDateTime(json.originalStart);
      if (has("cancelledOccurrences"))
        out.cancelledOccurrences = cancelledFromGraph(json.cancelledOccurrences, fromDateTime(json.start));
      return out;
    }
    case "task": {
      if (has("title")) out.subject = text(json.title);
      if (has("body")) out.body = content(json.body);
      if (has("dueDateTime")) out.dueDate = fromDateTime(json.dueDateTime);
      if (has("startDateTime")) out.startDate = fromDateTime(json.startDateTime);
      if (has("reminderDateTime"))
        out.reminderTime = json.isReminderOn === false ? null : fromDateTime(json.reminderDateTime);
      if (has("importance")) out.priority = text(json.importance);
      if (has("status")) out.status = text(json.status);
      return out;
    }
    case "email": {
      if (has("subject")) out.subject = text(json.subject);
      if (has("body")) out.body = content(json.body);
      if (has("from")) out.from = addressesOf([json.from])[0] || null;
      if (has("toRecipients")) out.to = addressesOf(json.toRecipients);
      if (has("ccRecipients")) out.cc = addressesOf(json.ccRecipients);
      if (has("sentDateTime")) out.sentAt = fromDateTime(json.sentDateTime);
      if (has("receivedDateTime")) out.receivedAt = fromDateTime(json.receivedDateTime);
      if (has("internetMessageId")) out.internetMessageId = text(json.internetMessageId);
      return out;
    }
  }
}

/** message-update: these are writable only while the message is a draft (isDraft). */
export const DRAFT_ONLY_MESSAGE_FIELDS: ReadonlySet<string> = new Set([
  "subject",
  "body",
  "from",
  "to",
  "cc",
]);

/**
 * The PATCH body that turns an item with `before` fields into one with `after`: only the properties whose
 * Graph JSON differs, and of the extended properties only the changed ones.
 */
export function changedProperties(type: EntityType, before: Fields, after: Fields): Json {
  const was = fieldsToGraph(type, before);
  const now = fieldsToGraph(type, after);
  const out: Json = {};
  for (const [key, value] of Object.entries(now)) {
    if (key === "singleValueExtendedProperties") {
      const old = new Map(
        ((was[key] ?? []) as { id: string; value: string }[]).map((entry) => [entry.id, entry.value]),
      );
      const next = value as { id: string; value: string }[];
      const changed = next.filter((entry) => old.get(entry.id) !== entry.value);
      // A cleared String property is written empty; a SystemTime one cannot be emptied (see docs/real-outlook.md).
      for (const id of old.keys()) {
        if (!next.some((entry) => entry.id === id) && id.startsWith("String "))
          changed.push({ id, value: "" });
      }
      if (changed.length > 0) out[key] = changed;
    } else if (JSON.stringify(was[key]) !== JSON.stringify(value)) out[key] = value;
  }
  return out;
}

const DATE_KEYS = new Set([
  "birthday",
  "anniversary",
  "start",
  "end",
  "dueDate",
  "startDate",
  "reminderTime",
  "sentAt",
  "receivedAt",
]);
const LIST_KEYS = new Set(["requiredAttendees", "optionalAttendees", "to", "cc"]);
const READ_ONLY: Readonly<Record<EntityType, readonly string[]>> = {
  contact: [],
  appointment: ["duration", "iCalUId", "cancelledOccurrences", "originalStart"],
  task: [],
  email: ["direction", "sentAt", "receivedAt", "internetMessageId"],
};

/**
 * Checks the keys and the shape of date and list values before anything is sent, throwing
 * SyncError("invalidInput") naming the field. Choice values (status, showAs, …) are checked by Graph.
 */
export function checkFields(type: EntityType, fields: Fields): void {
  const known = new Set([
    ...Object.keys(graphToFields(type, fieldsToGraph(type, {}))),
    ...(type === "contact" ? Object.keys(CONTACT_EXTENDED_FIELDS) : []),
    ...READ_ONLY[type],
  ]);
  for (const [key, value] of Object.entries(fields)) {
    const fail = (problem: string) =>
      new SyncError("invalidInput", { details: `${type} field "${key}": ${problem}` });
    if (!known.has(key)) throw fail(`not an Outlook ${type} field`);
    if (value === null) continue;
    if (DATE_KEYS.has(key) && (typeof value !== "string" || Number.isNaN(Date.parse(value))))
      throw fail("expected an ISO 8601 date");
    if (LIST_KEYS.has(key) && !(Array.isArray(value) && value.every((entry) => typeof entry === "string"))) {
      throw fail("expected an array of strings");
    }
  }
}
