import { occurrenceDates, occurrenceStart, parseRecurrence } from "../../core/recurrence";
import type { FieldValue, Fields } from "../../core/types";
import { canonicalDateTime } from "./field-catalog";

/**
 * Recurring series in the simulated mailbox, after Graph's "event resource type" and "patternedRecurrence
 * resource type": a series master holds `recurrence` and the start and end of its first occurrence; every
 * occurrence starts at the master's time of day on a date of the pattern and lasts as long as the master.
 */

/** Keys only a series master has; an occurrence made from it leaves them out (and has its own iCalUId). */
const MASTER_ONLY_KEYS: readonly string[] = ["recurrence", "cancelledOccurrences", "iCalUId", "duration"];

/** Most occurrences the simulator lists for one series (Outlook offers at most 999 per numbered range). */
export const MAX_OCCURRENCES = 999;

/** True when the fields are those of a series master. */
export function isSeriesMaster(fields: Fields): boolean {
  return typeof fields.recurrence === "string";
}

/** The starts of a series' occurrences up to `untilMs`, cancelled ones included, in order. */
export function occurrenceStarts(master: Fields, untilMs: number): string[] {
  if (typeof master.recurrence !== "string" || typeof master.start !== "string") return [];
  const until = new Date(untilMs).toISOString().slice(0, 10);
  const first = master.start;
  return occurrenceDates(parseRecurrence(master.recurrence), until, MAX_OCCURRENCES).map((date) =>
    canonicalDateTime(Date.parse(occurrenceStart(first, date))),
  );
}

/** The canonical start of the series' occurrence at `originalStart`, or null when the pattern gives none. */
export function occurrenceAt(master: Fields, originalStart: string): string | null {
  const at = Date.parse(originalStart);
  if (Number.isNaN(at)) return null;
  const wanted = canonicalDateTime(at);
  return occurrenceStarts(master, at).includes(wanted) ? wanted : null;
}

/** True when the occurrence at `start` (canonical) was cancelled. */
export function isCancelled(master: Fields, start: string): boolean {
  const cancelled = master.cancelledOccurrences;
  return Array.isArray(cancelled) && (cancelled as readonly string[]).includes(start);
}

/** The fields of the occurrence at `start`: the master's, moved to that start, without the master's own keys. */
export function occurrenceFields(master: Fields, start: string): Record<string, FieldValue> {
  const fields: Record<string, FieldValue> = {};
  for (const [key, value] of Object.entries(master)) if (!MASTER_ONLY_KEYS.includes(key)) fields[key] = value;
  const length =
    typeof master.start === "string" && typeof master.end === "string"
      ? Date.parse(master.end) - Date.parse(master.start)
      : 0;
  fields.start = start;
  fields.end = canonicalDateTime(Date.parse(start) + length);
  return fields;
}
