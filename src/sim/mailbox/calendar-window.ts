import { parseRecurrence, rangeEndDate } from "../../core/recurrence";
import type { Fields } from "../../core/types";

/**
 * True when an appointment with these fields overlaps [startMs, endMs) — the calendarView rule. An
 * appointment without a start lies outside every window. A series overlaps while its range does (from its
 * first start to the end of its range's last day; a range without an end never ends).
 */
export function overlapsWindow(fields: Fields, startMs: number, endMs: number): boolean {
  if (typeof fields.start !== "string") return false;
  const start = Date.parse(fields.start);
  const end = typeof fields.end === "string" ? Date.parse(fields.end) : start;
  if (typeof fields.recurrence === "string") {
    const last = rangeEndDate(parseRecurrence(fields.recurrence));
    return start < endMs && (last === null || Date.parse(`${last}T23:59:59Z`) >= startMs);
  }
  return start < endMs && end >= startMs;
}
