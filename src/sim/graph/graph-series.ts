import { parseRecurrence, recurrenceFromParts } from "../../core/recurrence";
import { occurrenceId } from "../mailbox/exchange-ids";
import { isCancelled, occurrenceStarts } from "../mailbox/series";
import type { DeltaEntry, SimulatedItem, SimulatedMailbox } from "../mailbox/simulated-mailbox";

/**
 * Recurring series as Graph shows them (SPEC §15), over the mailbox's series: the event properties of
 * "event resource type" (type, seriesMasterId, originalStart, cancelledOccurrences, recurrence as a
 * patternedRecurrence), a series in a calendar view as its occurrences, and "List instances".
 */

type Json = Record<string, unknown>;

/** An occurrence view of the mailbox (not an item of its own) is named by its occurrence id, in both id forms. */
function isOccurrenceView(item: SimulatedItem): boolean {
  return typeof item.fields.seriesMasterId === "string" && item.itemId === item.immutableId;
}

/**
 * The series properties of an event ("event resource type"): `type` singleInstance, seriesMaster, occurrence or
 * exception; an instance's `seriesMasterId` and `originalStart`; a master's `recurrence` (patternedRecurrence,
 * days in UTC). A master is named by its immutable id, which Graph URLs take as well. `cancelledOccurrences` is
 * not among them: see {@link cancelledOccurrencesOf}.
 */
export function seriesToGraph(item: SimulatedItem): Json {
  const { seriesMasterId, originalStart, recurrence } = item.fields;
  const type =
    typeof seriesMasterId === "string"
      ? isOccurrenceView(item)
        ? "occurrence"
        : "exception"
      : typeof recurrence === "string"
        ? "seriesMaster"
        : "singleInstance";
  const parsed = typeof recurrence === "string" ? parseRecurrence(recurrence) : null;
  return {
    type,
    seriesMasterId: typeof seriesMasterId === "string" ? seriesMasterId : null,
    originalStart: typeof originalStart === "string" ? originalStart : null,
    recurrence:
      parsed === null
        ? null
        : { pattern: { ...parsed.pattern }, range: { ...parsed.range, recurrenceTimeZone: "UTC" } },
  };
}

/**
 * A series master's `cancelledOccurrences`, occurrence ids "OID.<seriesMasterId>.<YYYY-MM-DD>"; null for any
 * other event. "event resource type": it is "returned only on $select in a Get operation which specifies the ID
 * (seriesMasterId property value) of a series master event".
 */
export function cancelledOccurrencesOf(item: SimulatedItem): string[] | null {
  const { seriesMasterId, cancelledOccurrences, recurrence } = item.fields;
  if (typeof seriesMasterId === "string" || typeof recurrence !== "string") return null;
  const cancelled = Array.isArray(cancelledOccurrences) ? (cancelledOccurrences as readonly string[]) : [];
  return cancelled.map((start) => `OID.${item.immutableId}.${start.slice(0, 10)}`);
}

/** A patternedRecurrence written in a body, as the mailbox's pattern text (only the members its types use). */
export function recurrenceFromBody(value: unknown): string | null {
  if (typeof value !== "object" || value === null) return null;
  const { pattern = {}, range = {} } = value as { pattern?: Json; range?: Json };
  return recurrenceFromParts(pattern, range);
}

/**
 * "Get incremental changes to events in a calendar view": the view holds a series' occurrences and exceptions,
 * never its master. A changed master stands for its plain occurrences in the window and, after the first
 * round, for its cancelled ones as `@removed`; a deleted master for all of them as `@removed`. Null for an
 * entry that is not a series master.
 */
export function seriesInView(
  mailbox: SimulatedMailbox,
  entry: DeltaEntry,
  [from, to]: readonly [number, number],
  incremental: boolean,
  render: (item: SimulatedItem) => unknown,
): unknown[] | null {
  const masterId = entry.kind === "changed" ? entry.item.immutableId : entry.immutableId;
  const fields =
    entry.kind === "changed"
      ? entry.item.fields
      : mailbox.allItems().find((item) => item.immutableId === masterId)?.fields;
  if (fields === undefined || typeof fields.recurrence !== "string") return null;
  const removed = (start: string) => ({
    id: occurrenceId(masterId, Date.parse(start)),
    "@removed": { reason: "deleted" },
  });
  const starts = occurrenceStarts(fields, to).filter((start) => Date.parse(start) >= from);
  if (entry.kind === "removed") return incremental ? starts.map(removed) : [];
  const live = mailbox.instances(masterId, from, to).filter(isOccurrenceView).map(render);
  return [...live, ...(incremental ? starts.filter((start) => isCancelled(fields, start)).map(removed) : [])];
}
