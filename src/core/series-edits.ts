/**
 * A series edit and the series' exceptions (SPEC §15). An exception keeps the master's value of a field until
 * that field is edited on the exception; a new value written on the master reaches each exception that still
 * holds the master's old value, and an exception that has a value of its own keeps it.
 */
import { readValue, sameValue } from "./field-values";
import type { Fields } from "./types";

/**
 * Outlook appointment keys no exception takes from its master, each with why: every occurrence has its own
 * times, and the series keys belong to the master (or, `originalStart`, to the exception) alone.
 */
export const OWN_OCCURRENCE_KEYS: Readonly<Record<string, string>> = {
  start: "each occurrence starts at its own date",
  end: "each occurrence ends at its own date",
  duration: "derived from the occurrence's own start and end",
  isAllDayEvent: "part of the occurrence's times",
  recurrence: "the master's pattern",
  cancelledOccurrences: "the master's list",
  iCalUId: "each event's own identity",
  originalStart: "the exception's place in the pattern",
};

/** The writes of a series master that its exceptions may take: those of keys an occurrence shares with it. */
export function sharedSeriesWrites(writes: Fields): Fields {
  return Object.fromEntries(Object.entries(writes).filter(([key]) => !(key in OWN_OCCURRENCE_KEYS)));
}

/**
 * What one exception takes when its master goes from `master` (its fields before the write) to `writes`: each
 * shared field whose value on the exception equals the master's old value (a missing key is null).
 */
export function exceptionFollowWrites(master: Fields, writes: Fields, exception: Fields): Fields {
  return Object.fromEntries(
    Object.entries(sharedSeriesWrites(writes)).filter(
      ([key, value]) =>
        sameValue(readValue(exception, key), readValue(master, key)) &&
        !sameValue(readValue(exception, key), value),
    ),
  );
}
