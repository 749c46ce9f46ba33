/**
 * Recurring appointments (SPEC §15): the recurrence pattern of a series as one text value, its validation, the
 * dates it gives, and the list of cancelled occurrences. Both sides hold the pattern in the same canonical text,
 * so the merge treats it as one field, and a series is one appointment on each side.
 *
 * The parts and their names are those of Microsoft Graph's patternedRecurrence (a recurrencePattern and a
 * recurrenceRange, metadata types `graph.recurrencePattern` and `graph.recurrenceRange`). Which members a pattern
 * or range type uses is the table {@link PATTERN_MEMBERS} / {@link RANGE_MEMBERS}. Days are UTC days.
 *
 * Text form: `member=value` pairs joined by ";", pattern first (`pattern=<type>`, then its members), then the
 * range (`range=<type>`, then its members); lists are joined by ",". For example
 * `pattern=weekly;interval=1;daysOfWeek=monday,wednesday;firstDayOfWeek=sunday;range=endDate;startDate=2026-12-07;endDate=2027-02-22`.
 * {@link formatRecurrence} writes the members in that order, fills the defaults and sorts the days, so two texts
 * that mean the same series are the same text.
 */
import { SyncError } from "./errors";

/** graph.recurrencePatternType. */
export const PATTERN_TYPES = [
  "daily",
  "weekly",
  "absoluteMonthly",
  "relativeMonthly",
  "absoluteYearly",
  "relativeYearly",
] as const;
export type PatternType = (typeof PATTERN_TYPES)[number];

/** graph.recurrenceRangeType. */
export const RANGE_TYPES = ["endDate", "noEnd", "numbered"] as const;
export type RangeType = (typeof RANGE_TYPES)[number];

/** graph.dayOfWeek, in its own order (sunday = 0). */
export const DAYS_OF_WEEK = [
  "sunday",
  "monday",
  "tuesday",
  "wednesday",
  "thursday",
  "friday",
  "saturday",
] as const;
export type DayOfWeek = (typeof DAYS_OF_WEEK)[number];

/** graph.weekIndex. */
export const WEEK_INDEXES = ["first", "second", "third", "fourth", "last"] as const;
export type WeekIndex = (typeof WEEK_INDEXES)[number];

/** A recurrence pattern: how often; members a type does not use are absent. */
export interface RecurrencePattern {
  readonly type: PatternType;
  readonly interval: number;
  readonly daysOfWeek?: readonly DayOfWeek[];
  readonly firstDayOfWeek?: DayOfWeek;
  readonly index?: WeekIndex;
  readonly dayOfMonth?: number;
  readonly month?: number;
}

/** A recurrence range: from when, until when; dates are `YYYY-MM-DD`. */
export interface RecurrenceRange {
  readonly type: RangeType;
  readonly startDate: string;
  readonly endDate?: string;
  readonly numberOfOccurrences?: number;
}

/** A whole recurrence (graph.patternedRecurrence). */
export interface Recurrence {
  readonly pattern: RecurrencePattern;
  readonly range: RecurrenceRange;
}

type PatternMember = "interval" | "daysOfWeek" | "firstDayOfWeek" | "index" | "dayOfMonth" | "month";
type RangeMember = "startDate" | "endDate" | "numberOfOccurrences";

/**
 * Which members each pattern type needs and which it may leave out (with the default the text form fills in),
 * as the patternedRecurrence resource type page describes them. Any other member is refused.
 */
export const PATTERN_MEMBERS: Readonly<
  Record<
    PatternType,
    {
      readonly required: readonly PatternMember[];
      readonly defaults: Readonly<Partial<Record<PatternMember, string>>>;
    }
  >
> = {
  daily: { required: ["interval"], defaults: {} },
  weekly: { required: ["interval", "daysOfWeek"], defaults: { firstDayOfWeek: "sunday" } },
  absoluteMonthly: { required: ["interval", "dayOfMonth"], defaults: {} },
  relativeMonthly: { required: ["interval", "daysOfWeek"], defaults: { index: "first" } },
  absoluteYearly: { required: ["interval", "dayOfMonth", "month"], defaults: {} },
  relativeYearly: { required: ["interval", "daysOfWeek", "month"], defaults: { index: "first" } },
};

/** Which members each range type needs; any other member is refused. */
export const RANGE_MEMBERS: Readonly<Record<RangeType, readonly RangeMember[]>> = {
  endDate: ["startDate", "endDate"],
  noEnd: ["startDate"],
  numbered: ["startDate", "numberOfOccurrences"],
};

/** The members in the order the text form writes them. */
const PATTERN_ORDER: readonly PatternMember[] = [
  "interval",
  "daysOfWeek",
  "firstDayOfWeek",
  "index",
  "dayOfMonth",
  "month",
];
const RANGE_ORDER: readonly RangeMember[] = ["startDate", "endDate", "numberOfOccurrences"];

/** Bounds of the number members (Outlook offers at most 999 occurrences and an interval below 1000). */
const NUMBER_BOUNDS: Readonly<
  Record<"interval" | "dayOfMonth" | "month" | "numberOfOccurrences", [number, number]>
> = { interval: [1, 999], dayOfMonth: [1, 31], month: [1, 12], numberOfOccurrences: [1, 999] };

function invalid(details: string): SyncError {
  return new SyncError("invalidInput", { details: `Recurrence: ${details}` });
}

function oneOf<T extends string>(values: readonly T[], value: string, member: string): T {
  const found = values.find((candidate) => candidate === value);
  if (found === undefined) throw invalid(`${member} "${value}" is not one of ${values.join(", ")}.`);
  return found;
}

function boundedNumber(member: keyof typeof NUMBER_BOUNDS, value: string): number {
  const [low, high] = NUMBER_BOUNDS[member];
  const number = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(number) || number < low || number > high)
    throw invalid(`${member} "${value}" is not a whole number from ${low} to ${high}.`);
  return number;
}

function calendarDate(member: string, value: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const day = match === null ? null : Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  if (day === null || formatDay(day) !== value)
    throw invalid(`${member} "${value}" is not a date such as 2026-12-07.`);
  return value;
}

/** Splits the text into its pattern part and its range part, each a member → value map in text order. */
function members(text: string): { pattern: Map<string, string>; range: Map<string, string> } {
  const pattern = new Map<string, string>();
  const range = new Map<string, string>();
  let current: Map<string, string> | null = null;
  for (const part of text.split(";")) {
    const equals = part.indexOf("=");
    if (equals <= 0) throw invalid(`"${part}" is not a member=value pair.`);
    const key = part.slice(0, equals).trim();
    const value = part.slice(equals + 1).trim();
    if (key === "pattern") current = pattern;
    else if (key === "range") current = range;
    if (current === null) throw invalid(`the text must start with pattern=, found "${part}".`);
    if (current.has(key)) throw invalid(`${key} is given twice.`);
    current.set(key, value);
  }
  if (!pattern.has("pattern")) throw invalid("pattern= is missing.");
  if (!range.has("range")) throw invalid("range= is missing.");
  return { pattern, range };
}

function parsePattern(given: Map<string, string>): RecurrencePattern {
  const type = oneOf(PATTERN_TYPES, given.get("pattern") ?? "", "pattern");
  const rule = PATTERN_MEMBERS[type];
  const allowed = new Set<string>(["pattern", ...rule.required, ...Object.keys(rule.defaults)]);
  for (const key of given.keys())
    if (!allowed.has(key)) throw invalid(`a ${type} pattern has no member ${key}.`);
  for (const key of rule.required) if (!given.has(key)) throw invalid(`a ${type} pattern needs ${key}.`);
  const value = (member: PatternMember): string | undefined => given.get(member) ?? rule.defaults[member];
  const days = value("daysOfWeek");
  const first = value("firstDayOfWeek");
  const index = value("index");
  const dayOfMonth = value("dayOfMonth");
  const month = value("month");
  const daysOfWeek =
    days === undefined
      ? undefined
      : [...new Set(days.split(",").map((day) => oneOf(DAYS_OF_WEEK, day.trim(), "daysOfWeek")))].sort(
          (a, b) => DAYS_OF_WEEK.indexOf(a) - DAYS_OF_WEEK.indexOf(b),
        );
  if (daysOfWeek !== undefined && daysOfWeek.length === 0) throw invalid("daysOfWeek names no day.");
  return {
    type,
    interval: boundedNumber("interval", value("interval") ?? ""),
    ...(daysOfWeek === undefined ? {} : { daysOfWeek }),
    ...(first === undefined ? {} : { firstDayOfWeek: oneOf(DAYS_OF_WEEK, first, "firstDayOfWeek") }),
    ...(index === undefined ? {} : { index: oneOf(WEEK_INDEXES, index, "index") }),
    ...(dayOfMonth === undefined ? {} : { dayOfMonth: boundedNumber("dayOfMonth", dayOfMonth) }),
    ...(month === undefined ? {} : { month: boundedNumber("month", month) }),
  };
}

function parseRange(given: Map<string, string>): RecurrenceRange {
  const type = oneOf(RANGE_TYPES, given.get("range") ?? "", "range");
  const needed = RANGE_MEMBERS[type];
  for (const key of given.keys())
    if (key !== "range" && !needed.includes(key as RangeMember))
      throw invalid(`a ${type} range has no member ${key}.`);
  for (const key of needed) if (!given.has(key)) throw invalid(`a ${type} range needs ${key}.`);
  const startDate = calendarDate("startDate", given.get("startDate") ?? "");
  const endText = given.get("endDate");
  const endDate = endText === undefined ? undefined : calendarDate("endDate", endText);
  if (endDate !== undefined && endDate < startDate)
    throw invalid(`endDate ${endDate} is before startDate ${startDate}.`);
  const count = given.get("numberOfOccurrences");
  return {
    type,
    startDate,
    ...(endDate === undefined ? {} : { endDate }),
    ...(count === undefined ? {} : { numberOfOccurrences: boundedNumber("numberOfOccurrences", count) }),
  };
}

/** Reads a recurrence text; throws `SyncError("invalidInput")` naming the member that is wrong. */
export function parseRecurrence(text: string): Recurrence {
  const { pattern, range } = members(text);
  return { pattern: parsePattern(pattern), range: parseRange(range) };
}

function render(recurrence: Recurrence): string {
  const { pattern, range } = recurrence;
  const parts = [`pattern=${pattern.type}`];
  for (const member of PATTERN_ORDER) {
    const value = pattern[member];
    if (value !== undefined)
      parts.push(`${member}=${Array.isArray(value) ? value.join(",") : String(value)}`);
  }
  parts.push(`range=${range.type}`);
  for (const member of RANGE_ORDER) {
    const value = range[member];
    if (value !== undefined) parts.push(`${member}=${String(value)}`);
  }
  return parts.join(";");
}

/** The canonical text of a recurrence (validated: a recurrence that {@link parseRecurrence} refuses throws). */
export function formatRecurrence(recurrence: Recurrence): string {
  return render(parseRecurrence(render(recurrence)));
}

/**
 * The canonical text of a recurrence given as loose pattern and range objects that may carry every member
 * (as patternedRecurrence JSON does, unused members as 0 or a default): only the members {@link PATTERN_MEMBERS}
 * and {@link RANGE_MEMBERS} give the types are read. Throws `SyncError("invalidInput")` as parseRecurrence does.
 */
export function recurrenceFromParts(
  pattern: Readonly<Record<string, unknown>>,
  range: Readonly<Record<string, unknown>>,
): string {
  const patternType = oneOf(PATTERN_TYPES, String(pattern.type), "pattern");
  const rangeType = oneOf(RANGE_TYPES, String(range.type), "range");
  const rule = PATTERN_MEMBERS[patternType];
  const pick = (source: Readonly<Record<string, unknown>>, keys: readonly string[]) =>
    Object.fromEntries(keys.filter((key) => source[key] != null).map((key) => [key, source[key]]));
  return formatRecurrence({
    pattern: { type: patternType, ...pick(pattern, [...rule.required, ...Object.keys(rule.defaults)]) },
    range: { type: rangeType, ...pick(range, RANGE_MEMBERS[rangeType]) },
  } as unknown as Recurrence);
}

/** The canonical form of a recurrence text; throws on a text {@link parseRecurrence} refuses. */
export function canonicalRecurrence(text: string): string {
  return formatRecurrence(parseRecurrence(text));
}

/** What is wrong with a recurrence text, or null. */
export function recurrenceProblem(text: string): string | null {
  try {
    parseRecurrence(text);
    return null;
  } catch (error) {
    if (error instanceof SyncError) return error.details ?? error.message;
    throw error;
  }
}

const DAY_MS = 86_400_000;
/** The last day a JavaScript date can hold (8.64e15 ms after the epoch), as a bound for counting. */
const LAST_DAY = 8.64e15 - DAY_MS;

function formatDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function dayMs(date: string): number {
  return Date.parse(`${date}T00:00:00Z`);
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** The day of a month on which an absolute pattern falls: a day past the month's end falls on its last day. */
function absoluteDay(year: number, month: number, dayOfMonth: number): number {
  return Date.UTC(year, month - 1, Math.min(dayOfMonth, daysInMonth(year, month)));
}

/** The `index`-th day of the month that is one of `days` (`last`: the last such day). */
function relativeDay(year: number, month: number, days: readonly DayOfWeek[], index: WeekIndex): number {
  const matching: number[] = [];
  for (let day = 1; day <= daysInMonth(year, month); day += 1) {
    const at = Date.UTC(year, month - 1, day);
    if (days.includes(DAYS_OF_WEEK[new Date(at).getUTCDay()] as DayOfWeek)) matching.push(at);
  }
  const position = index === "last" ? matching.length - 1 : WEEK_INDEXES.indexOf(index);
  return matching[Math.min(position, matching.length - 1)] as number;
}

/** Candidate days of one period (a day, a week, a month or a year) of the pattern, in order. */
function periodDays(pattern: RecurrencePattern, start: number, period: number): number[] {
  const startDate = new Date(start);
  const year = startDate.getUTCFullYear();
  const month = startDate.getUTCMonth() + 1;
  const days = pattern.daysOfWeek ?? [];
  switch (pattern.type) {
    case "daily":
      return [start + period * pattern.interval * DAY_MS];
    case "weekly": {
      const first = DAYS_OF_WEEK.indexOf(pattern.firstDayOfWeek ?? "sunday");
      const weekStart = start - ((startDate.getUTCDay() - first + 7) % 7) * DAY_MS;
      const base = weekStart + period * pattern.interval * 7 * DAY_MS;
      return [0, 1, 2, 3, 4, 5, 6]
        .map((offset) => base + offset * DAY_MS)
        .filter((at) => days.includes(DAYS_OF_WEEK[new Date(at).getUTCDay()] as DayOfWeek));
    }
    case "absoluteMonthly":
    case "relativeMonthly": {
      const months = month - 1 + period * pattern.interval;
      const y = year + Math.floor(months / 12);
      const m = (months % 12) + 1;
      return [
        pattern.type === "absoluteMonthly"
          ? absoluteDay(y, m, pattern.dayOfMonth ?? 1)
          : relativeDay(y, m, days, pattern.index ?? "first"),
      ];
    }
    case "absoluteYearly":
    case "relativeYearly": {
      const y = year + period * pattern.interval;
      const m = pattern.month ?? 1;
      return [
        pattern.type === "absoluteYearly"
          ? absoluteDay(y, m, pattern.dayOfMonth ?? 1)
          : relativeDay(y, m, days, pattern.index ?? "first"),
      ];
    }
  }
}

/**
 * The dates (`YYYY-MM-DD`) of a recurrence's occurrences, in order, from the range's start date up to and
 * including `until` (null: no bound but the range's own end), at most `max` of them, and none past the
 * calendar's last representable day. Cancelled occurrences are not removed here.
 */
export function occurrenceDates(recurrence: Recurrence, until: string | null, max: number): string[] {
  const start = dayMs(recurrence.range.startDate);
  const end = Math.min(
    until === null ? LAST_DAY : dayMs(until),
    recurrence.range.endDate === undefined ? Infinity : dayMs(recurrence.range.endDate),
  );
  const count = Math.min(max, recurrence.range.numberOfOccurrences ?? Infinity);
  const dates: string[] = [];
  for (let period = 0; dates.length < count; period += 1) {
    const candidates = periodDays(recurrence.pattern, start, period);
    if (candidates.every((at) => !(at <= end))) break;
    for (const at of candidates) {
      if (at >= start && at <= end && dates.length < count) dates.push(formatDay(at));
    }
  }
  return dates;
}

/**
 * The last day of the series' range: the end date, the date of the last counted occurrence, or null when the
 * series never ends. Counting is bounded: a numbered range has at most 999 occurrences.
 */
export function rangeEndDate(recurrence: Recurrence): string | null {
  const { range } = recurrence;
  if (range.type === "noEnd") return null;
  if (range.type === "endDate") return range.endDate ?? range.startDate;
  const dates = occurrenceDates(recurrence, null, range.numberOfOccurrences ?? 1);
  return dates[dates.length - 1] ?? range.startDate;
}

/** The start of an occurrence on `date`: the series' first start's time of day on that date (UTC). */
export function occurrenceStart(seriesStart: string, date: string): string {
  const time = new Date(Date.parse(seriesStart)).toISOString().slice(10);
  return `${date}${time}`.replace(/\.000Z$/, "Z");
}

/**
 * The canonical list of cancelled occurrences: their original starts, canonical UTC date-times, sorted, once
 * each. Throws `SyncError("invalidInput")` naming an entry that is not a date-time.
 */
export function canonicalOccurrenceList(starts: readonly string[]): string[] {
  const canonical = starts.map((start) => {
    const at = Date.parse(start);
    if (!/T\d{2}:\d{2}/.test(start) || Number.isNaN(at))
      throw invalid(`cancelled occurrence "${start}" is not a date and time such as 2026-12-09T09:00:00Z.`);
    return new Date(at).toISOString().replace(/\.000Z$/, "Z");
  });
  return [...new Set(canonical)].sort();
}
