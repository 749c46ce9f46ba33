import type { Fields } from "../../core/types";

/**
 * True when an appointment with these fields overlaps [startMs, endMs) — the calendarView rule. An
 * appointment without a start lies outside every window.
 */
export function overlapsWindow(fields: Fields, startMs: number, endMs: number): boolean {
  if (typeof fields.start !== "string") return false;
  const start = Date.parse(fields.start);
  const end = typeof fields.end === "string" ? Date.parse(fields.end) : start;
  return start < endMs && end >= startMs;
}
