import { SyncError } from "../../core/errors";
import { canonicalOccurrenceList, canonicalRecurrence } from "../../core/recurrence";
import type { EntityType, FieldValue, Fields } from "../../core/types";

/**
 * The Outlook-side fields the simulated mailbox stores per item type (SPEC §2 keys plus the e-mail keys),
 * each with its value kind, and the one canonical form every stored value is kept in.
 */

type FieldKind =
  | { readonly kind: "text" }
  | { readonly kind: "date" }
  | { readonly kind: "dateTime" }
  | { readonly kind: "list" }
  | { readonly kind: "boolean" }
  | { readonly kind: "number" }
  | { readonly kind: "choice"; readonly values: readonly string[] }
  | { readonly kind: "recurrence" }
  | { readonly kind: "dateTimeList" };

const TEXT: FieldKind = { kind: "text" };
const DATE: FieldKind = { kind: "date" };
const DATE_TIME: FieldKind = { kind: "dateTime" };
const LIST: FieldKind = { kind: "list" };
const PRIORITY: FieldKind = { kind: "choice", values: ["low", "normal", "high"] };

const CONTACT_TEXT_KEYS = [
  "assistantName",
  "assistantTelephoneNumber",
  "body",
  "businessFaxNumber",
  "businessTelephoneNumber",
  "children",
  "companyName",
  "department",
  "email1Address",
  "email2Address",
  "email3Address",
  "firstName",
  "ftpSite",
  "governmentIdNumber",
  "homeTelephoneNumber",
  "jobTitle",
  "lastName",
  "mailingAddressCity",
  "mailingAddressCountry",
  "mailingAddressPostOfficeBox",
  "mailingAddressPostalCode",
  "mailingAddressState",
  "mailingAddressStreet",
  "managerName",
  "middleName",
  "mobileTelephoneNumber",
  "nickname",
  "otherTelephoneNumber",
  "pagerNumber",
  "spouse",
  "title",
  "webPage",
  "yomiFirstName",
  "yomiLastName",
] as const;

/** Every stored key per type with its kind. */
export const FIELD_CATALOG: Readonly<Record<EntityType, Readonly<Record<string, FieldKind>>>> = {
  contact: {
    ...Object.fromEntries(CONTACT_TEXT_KEYS.map((key) => [key, TEXT])),
    anniversary: DATE,
    birthday: DATE,
  },
  task: {
    subject: TEXT,
    body: TEXT,
    dueDate: DATE_TIME,
    startDate: DATE_TIME,
    reminderTime: DATE_TIME,
    priority: PRIORITY,
    status: {
      kind: "choice",
      values: ["notStarted", "inProgress", "waitingOnOthers", "deferred", "completed"],
    },
  },
  appointment: {
    subject: TEXT,
    body: TEXT,
    location: TEXT,
    organizer: TEXT,
    start: DATE_TIME,
    end: DATE_TIME,
    isAllDayEvent: { kind: "boolean" },
    duration: { kind: "number" },
    requiredAttendees: LIST,
    optionalAttendees: LIST,
    priority: PRIORITY,
    showTimeAs: { kind: "choice", values: ["free", "tentative", "busy", "oof", "workingElsewhere"] },
    iCalUId: TEXT,
    // "event resource type": a seriesMaster's recurrence and cancelledOccurrences, an exception's
    // originalStart and seriesMasterId (the series master's immutable id here).
    recurrence: { kind: "recurrence" },
    cancelledOccurrences: { kind: "dateTimeList" },
    originalStart: DATE_TIME,
    seriesMasterId: TEXT,
  },
  email: {
    subject: TEXT,
    body: TEXT,
    from: TEXT,
    to: LIST,
    cc: LIST,
    sentAt: DATE_TIME,
    receivedAt: DATE_TIME,
    internetMessageId: TEXT,
    direction: { kind: "choice", values: ["incoming", "outgoing"] },
  },
};

/** Keys that the server assigns or derives: a store's writes ignore them; the world may set them. */
export const READ_ONLY_KEYS: ReadonlySet<string> = new Set([
  "direction",
  "iCalUId",
  "cancelledOccurrences",
  "originalStart",
  "seriesMasterId",
]);

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A date-time in the canonical form `YYYY-MM-DDTHH:mm:ssZ` (milliseconds kept only when non-zero). */
export function canonicalDateTime(ms: number): string {
  return new Date(ms).toISOString().replace(".000Z", "Z");
}

function invalid(type: EntityType, key: string, problem: string): SyncError {
  return new SyncError("invalidInput", { details: `${type} field "${key}": ${problem}` });
}

function canonicalValue(type: EntityType, key: string, kind: FieldKind, value: FieldValue): FieldValue {
  if (value === null) return null;
  switch (kind.kind) {
    case "text":
      if (typeof value !== "string") throw invalid(type, key, "expected a string");
      return value;
    case "number":
      if (typeof value !== "number" || !Number.isFinite(value)) throw invalid(type, key, "expected a number");
      return value;
    case "boolean":
      if (typeof value !== "boolean") throw invalid(type, key, "expected true or false");
      return value;
    case "list":
      if (!Array.isArray(value) || !value.every((entry) => typeof entry === "string")) {
        throw invalid(type, key, "expected an array of strings");
      }
      return [...(value as readonly string[])];
    case "choice":
      if (typeof value !== "string" || !kind.values.includes(value)) {
        throw invalid(type, key, `expected one of ${kind.values.join(", ")}`);
      }
      return value;
    case "dateTime":
      if (typeof value !== "string" || !ISO_DATE_TIME.test(value) || Number.isNaN(Date.parse(value))) {
        throw invalid(type, key, "expected an ISO 8601 date and time with a time zone");
      }
      return canonicalDateTime(Date.parse(value));
    case "date":
      if (typeof value !== "string") throw invalid(type, key, "expected an ISO 8601 date");
      if (ISO_DATE.test(value) && !Number.isNaN(Date.parse(value))) return value;
      if (ISO_DATE_TIME.test(value) && !Number.isNaN(Date.parse(value))) {
        return new Date(Date.parse(value)).toISOString().slice(0, 10);
      }
      throw invalid(type, key, "expected an ISO 8601 date");
    case "recurrence":
    case "dateTimeList":
      return canonicalSeriesValue(type, key, kind.kind, value);
  }
}

function canonicalSeriesValue(
  type: EntityType,
  key: string,
  kind: "recurrence" | "dateTimeList",
  value: FieldValue,
): FieldValue {
  try {
    if (kind === "recurrence") {
      if (typeof value !== "string") throw invalid(type, key, "expected a recurrence pattern text");
      return canonicalRecurrence(value);
    }
    if (!Array.isArray(value) || !value.every((entry) => typeof entry === "string"))
      throw invalid(type, key, "expected an array of date-times");
    return canonicalOccurrenceList(value);
  } catch (error) {
    if (error instanceof SyncError && error.code === "invalidInput" && !error.details?.startsWith(type))
      throw invalid(type, key, error.details ?? error.message);
    throw error;
  }
}

/**
 * Checks every key and value of `fields` for `type` and returns them in canonical form; `null` stays (it
 * clears a field). Throws SyncError("invalidInput") naming the first bad field; never returns partly checked data.
 */
export function canonicalFields(type: EntityType, fields: Fields): Record<string, FieldValue> {
  const catalog = FIELD_CATALOG[type];
  const out: Record<string, FieldValue> = {};
  for (const [key, value] of Object.entries(fields)) {
    const kind = catalog[key];
    if (kind === undefined) throw invalid(type, key, `not an Outlook ${type} field`);
    out[key] = canonicalValue(type, key, kind, value);
  }
  return out;
}
