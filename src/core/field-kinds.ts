/**
 * The values of SPEC §2 fields, per record type and side: which keys a side has (those its field-map rules
 * name, plus an account's name), what kind of value each key takes, and which codes a code field allows (the
 * rules' own value tables). Dates and times are ISO 8601 strings, lists arrays of strings, CRM codes numbers
 * and Outlook codes names from the same tables. Whoever accepts field values from people (the scenario
 * runner, an admin tool) checks them here, so a bad value is refused before anything tries to sync it.
 */
import { DEFAULT_FIELD_MAPS, type FieldMaps, type LookupScalar, type LookupTable } from "./field-maps";
import { describeValue, sameValues } from "./field-values";
import { recurrenceProblem } from "./recurrence";
import type { CrmRecordType, FieldValue, Fields, Side } from "./types";

/**
 * The kind of value a field takes:
 * - `text`: a string;
 * - `date`: an ISO 8601 calendar date (`2026-03-10`), or a date and time with a time zone;
 * - `dateTime`: an ISO 8601 date and time with a time zone (`2026-03-10T09:30:00Z`, `…T09:30+01:00`);
 * - `list`: an array of strings;
 * - `boolean`, `number`: a JSON boolean, a finite number;
 * - `code`: a value of the rule's value table (numbers on the CRM side, names on the Outlook side);
 * - `recurrence`: a recurrence pattern in the text form of recurrence.ts;
 * - `dateTimeList`: an array of ISO 8601 dates and times with a time zone (cancelled occurrences).
 */
export type ValueKind =
  "text" | "date" | "dateTime" | "list" | "boolean" | "number" | "code" | "recurrence" | "dateTimeList";

/** The kinds a key can be given directly; codes come from the value tables and everything else is text. */
type GivenKind = Exclude<ValueKind, "text" | "code">;

/** Keys whose values are not text, per record type and side (SPEC §2). Every other key of a side takes text. */
export const NON_TEXT_FIELDS: Readonly<
  Record<CrmRecordType, Readonly<Record<Side, Readonly<Record<string, GivenKind>>>>>
> = {
  contact: {
    outlook: { birthday: "date", anniversary: "date" },
    crm: { birthdate: "date", anniversary: "date" },
  },
  task: {
    outlook: { dueDate: "dateTime", startDate: "dateTime", reminderTime: "dateTime" },
    crm: { scheduledend: "dateTime", scheduledstart: "dateTime" },
  },
  appointment: {
    outlook: {
      start: "dateTime",
      end: "dateTime",
      duration: "number",
      isAllDayEvent: "boolean",
      requiredAttendees: "list",
      optionalAttendees: "list",
      recurrence: "recurrence",
      cancelledOccurrences: "dateTimeList",
      originalStart: "dateTime",
    },
    crm: {
      scheduledstart: "dateTime",
      scheduledend: "dateTime",
      scheduleddurationminutes: "number",
      isalldayevent: "boolean",
      requiredattendees: "list",
      optionalattendees: "list",
      recurrencepattern: "recurrence",
      cancelledoccurrences: "dateTimeList",
      originalstart: "dateTime",
    },
  },
  email: {
    outlook: { sentAt: "dateTime", receivedAt: "dateTime", to: "list", cc: "list" },
    crm: { senton: "dateTime", receivedon: "dateTime", to: "list", cc: "list" },
  },
  account: { outlook: {}, crm: {} },
};

/**
 * CRM fields that no mapping rule names: an account's name (SPEC §2 company), and the series an exception
 * record belongs to (`seriesid`, SPEC §15), which the engine sets when it creates the exception.
 */
export const CRM_ONLY_FIELDS: Readonly<Partial<Record<CrmRecordType, readonly string[]>>> = {
  account: ["name"],
  appointment: ["seriesid"],
};

/** One field as its side knows it: the kind, and for a code its table and the values of its column. */
export type FieldSpec =
  | { readonly kind: Exclude<ValueKind, "code"> }
  | { readonly kind: "code"; readonly table: LookupTable; readonly codes: readonly LookupScalar[] };

/** Every key of one side of a record type, with its spec. An entity type's keys come from `maps`. */
export function fieldSpecs(
  type: CrmRecordType,
  side: Side,
  maps: FieldMaps = DEFAULT_FIELD_MAPS,
): ReadonlyMap<string, FieldSpec> {
  const specs = new Map<string, FieldSpec>();
  if (side === "crm") for (const key of CRM_ONLY_FIELDS[type] ?? []) specs.set(key, { kind: "text" });
  if (type === "account") return specs;
  for (const rule of maps[type]) {
    const keys = side === "outlook" ? rule.outlook : rule.crm;
    keys.forEach((key, index) => {
      const table = rule.lookup;
      if (table === undefined) {
        if (!specs.has(key)) specs.set(key, { kind: NON_TEXT_FIELDS[type][side][key] ?? "text" });
        return;
      }
      const column = table.rows.map((row) => (side === "outlook" ? row.outlook : row.crm[index]));
      const codes = [...new Set(column.filter((value): value is LookupScalar => value !== undefined))];
      specs.set(key, { kind: "code", table, codes });
    });
  }
  return specs;
}

/** The first problem of a field bag: the key (null: the combination of several keys), and what is wrong. */
export interface FieldProblem {
  readonly key: string | null;
  readonly problem: string;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2}))$/;

/** True when the numbers name a real day (no 30 February, no month 13). */
function realDay(year: number, month: number, day: number): boolean {
  const at = new Date(Date.UTC(year, month - 1, day));
  return at.getUTCFullYear() === year && at.getUTCMonth() === month - 1 && at.getUTCDate() === day;
}

/** The numbers of a match's groups; an absent optional group (seconds, a zone offset) counts as 0. */
function groups(match: RegExpExecArray): number[] {
  return match.slice(1).map((group) => Number(group ?? "0"));
}

function isDateTime(value: string): boolean {
  const match = DATE_TIME.exec(value);
  if (match === null) return false;
  const [year, month, day, hour, minute, second, zoneHour, zoneMinute] = groups(match) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return (
    realDay(year, month, day) &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59 &&
    zoneHour <= 23 &&
    zoneMinute <= 59
  );
}

function isDate(value: string): boolean {
  const match = DATE.exec(value);
  if (match === null) return isDateTime(value);
  const [year, month, day] = groups(match) as [number, number, number];
  return realDay(year, month, day);
}

/** What is wrong with one value of a known field, or null. `null` (clear the field) is always allowed. */
function valueProblem(spec: FieldSpec, value: FieldValue): string | null {
  if (value === null) return null;
  const found = describeValue(value);
  switch (spec.kind) {
    case "text":
      return typeof value === "string" ? null : `expected text, found ${found}`;
    case "number":
      return typeof value === "number" && Number.isFinite(value) ? null : `expected a number, found ${found}`;
    case "boolean":
      return typeof value === "boolean" ? null : `expected true or false, found ${found}`;
    case "list":
      return Array.isArray(value) && value.every((entry) => typeof entry === "string")
        ? null
        : `expected an array of strings, found ${found}`;
    case "date":
      return typeof value === "string" && isDate(value)
        ? null
        : `expected an ISO 8601 date such as 2026-03-10, found ${found}`;
    case "dateTime":
      return typeof value === "string" && isDateTime(value)
        ? null
        : `expected an ISO 8601 date and time with a time zone such as 2026-03-10T09:30:00Z, found ${found}`;
    case "recurrence": {
      if (typeof value !== "string") return `expected a recurrence pattern text, found ${found}`;
      return recurrenceProblem(value);
    }
    case "dateTimeList":
      return Array.isArray(value) && value.every((entry) => typeof entry === "string" && isDateTime(entry))
        ? null
        : `expected an array of ISO 8601 dates and times such as ["2026-03-10T09:30:00Z"], found ${found}`;
    case "code":
      return spec.codes.some((code) => code === value)
        ? null
        : `${found} is not in the ${spec.table.name} table (${spec.codes.map(describeValue).join(", ")})`;
  }
}

/** Where a key that this side does not have belongs: the other side's name for it, as a hint. */
function otherSideHint(type: CrmRecordType, side: Side, key: string, maps: FieldMaps): string {
  if (type === "account") return "";
  const rule = maps[type].find((candidate) =>
    (side === "outlook" ? candidate.crm : candidate.outlook).includes(key),
  );
  if (rule === undefined) return "";
  const own = side === "outlook" ? rule.outlook : rule.crm;
  return ` (it is the ${side === "outlook" ? "CRM" : "Outlook"} key; ${side === "outlook" ? "Outlook" : "the CRM"} uses ${own.map((k) => `"${k}"`).join(", ")})`;
}

/** A code pair (task status, free/busy) given whole must be a row of its table, not just two known codes. */
function tupleProblem(type: CrmRecordType, fields: Fields, maps: FieldMaps): FieldProblem | null {
  if (type === "account") return null;
  for (const rule of maps[type]) {
    if (rule.lookup === undefined || rule.crm.length < 2) continue;
    const values = rule.crm.map((key) => fields[key] ?? null);
    if (values.some((value) => value === null)) continue;
    if (rule.lookup.rows.some((row) => sameValues(row.crm, values))) continue;
    const pair = values
      .map((value, index) => `${String(rule.crm[index])} ${describeValue(value)}`)
      .join(" with ");
    return { key: null, problem: `${pair} is not a row of the ${rule.lookup.name} table` };
  }
  return null;
}

/**
 * The first problem of `fields` as values of one side of a record type (SPEC §2), in the bag's key order, or
 * null when every key is a field of that side and every value has its field's kind. A CRM code tuple given
 * whole (statecode with statuscode) must be a row of its table.
 */
export function findFieldProblem(
  type: CrmRecordType,
  side: Side,
  fields: Fields,
  maps: FieldMaps = DEFAULT_FIELD_MAPS,
): FieldProblem | null {
  const specs = fieldSpecs(type, side, maps);
  const sideName = side === "outlook" ? "an Outlook" : "a CRM";
  for (const [key, value] of Object.entries(fields)) {
    const spec = specs.get(key);
    if (spec === undefined) {
      return {
        key,
        problem: `"${key}" is not a field of ${sideName} ${type}${otherSideHint(type, side, key, maps)}`,
      };
    }
    const problem = valueProblem(spec, value);
    if (problem !== null) return { key, problem };
  }
  return side === "crm" ? tupleProblem(type, fields, maps) : null;
}
