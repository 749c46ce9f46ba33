/**
 * Recurring appointments on the CRM side (SPEC §15). A series is an appointment with a `recurrencepattern`;
 * an exception is an appointment whose `seriesid` names a live series and whose `originalstart` is the start
 * the pattern gave the occurrence, one live exception per (series, original start). The pattern, the list of
 * cancelled occurrences and the original start are checked by the core's field kinds; `seriesid` and
 * `originalstart` are set when the exception is made and never change.
 */
import { findFieldProblem } from "../../core/field-kinds";
import type { CrmRecordType, Fields } from "../../core/types";
import type { SqlExecutor } from "../db/database";
import { readableBy } from "./record-access";
import { InputError, isUuid } from "./service-errors";

/** The CRM keys of SPEC §15. */
export const SERIES_KEYS = {
  pattern: "recurrencepattern",
  cancelled: "cancelledoccurrences",
  series: "seriesid",
  originalStart: "originalstart",
} as const;

const CHECKED_KEYS: readonly string[] = [
  SERIES_KEYS.pattern,
  SERIES_KEYS.cancelled,
  SERIES_KEYS.originalStart,
];

function given(fields: Fields, key: string): boolean {
  return fields[key] !== undefined && fields[key] !== null;
}

/** Refuses a bad pattern, cancelled-occurrence list or original start, naming the field. */
function checkValues(fields: Fields): void {
  for (const key of CHECKED_KEYS) {
    if (!given(fields, key)) continue;
    const problem = findFieldProblem("appointment", "crm", { [key]: fields[key] ?? null });
    if (problem !== null) throw new InputError(`fields.${key}`, problem.problem);
  }
}

/**
 * Checks the series fields of a new record: valid values, and for an exception a live series the user can
 * read, an original start, and no other live exception of that series at that start.
 */
export async function checkNewSeriesFields(
  tx: SqlExecutor,
  by: string,
  type: CrmRecordType,
  fields: Fields,
): Promise<void> {
  if (type !== "appointment") return;
  checkValues(fields);
  if (!given(fields, SERIES_KEYS.series)) {
    if (given(fields, SERIES_KEYS.originalStart))
      throw new InputError(
        `fields.${SERIES_KEYS.originalStart}`,
        "belongs to an exception, which names its seriesid",
      );
    return;
  }
  const seriesId = fields[SERIES_KEYS.series];
  if (typeof seriesId !== "string" || !isUuid(seriesId))
    throw new InputError(`fields.${SERIES_KEYS.series}`, "must be a record id");
  if (given(fields, SERIES_KEYS.pattern) || given(fields, SERIES_KEYS.cancelled))
    throw new InputError(`fields.${SERIES_KEYS.pattern}`, "an exception has no pattern of its own");
  if (!given(fields, SERIES_KEYS.originalStart))
    throw new InputError(
      `fields.${SERIES_KEYS.originalStart}`,
      "an exception needs the start the pattern gave it",
    );
  const series = await tx.query(
    `SELECT 1 FROM records r WHERE r.id = $1 AND NOT r.deleted AND r.type = 'appointment'
        AND r.fields->>'recurrencepattern' IS NOT NULL AND ${readableBy("$2")}`,
    [seriesId, by],
  );
  if (series.rows.length === 0)
    throw new InputError(
      `fields.${SERIES_KEYS.series}`,
      `no appointment series ${seriesId} that you can read`,
    );
  const originalStart = Date.parse(String(fields[SERIES_KEYS.originalStart]));
  const twins = await tx.query<{ fields: Fields }>(
    `SELECT fields FROM records WHERE type = 'appointment' AND NOT deleted AND fields->>'seriesid' = $1`,
    [seriesId],
  );
  if (twins.rows.some((row) => Date.parse(String(row.fields[SERIES_KEYS.originalStart])) === originalStart))
    throw new InputError(
      `fields.${SERIES_KEYS.originalStart}`,
      `series ${seriesId} already has an exception for ${String(fields[SERIES_KEYS.originalStart])}`,
    );
}

/** Checks a patch of an appointment: valid values; the series and original start of a record never change. */
export function checkSeriesPatch(type: CrmRecordType, current: Fields, patch: Fields): void {
  if (type !== "appointment") return;
  checkValues(patch);
  for (const key of [SERIES_KEYS.series, SERIES_KEYS.originalStart]) {
    if (key in patch && JSON.stringify(patch[key] ?? null) !== JSON.stringify(current[key] ?? null))
      throw new InputError(`fields.${key}`, "is set when the exception is made and cannot change");
  }
  const before = current[SERIES_KEYS.cancelled];
  if (SERIES_KEYS.cancelled in patch && Array.isArray(before)) {
    const after = patch[SERIES_KEYS.cancelled];
    const kept = new Set(
      (Array.isArray(after) ? (after as readonly string[]) : []).map((start) => Date.parse(start)),
    );
    const restored = (before as readonly string[]).filter((start) => !kept.has(Date.parse(start)));
    if (restored.length > 0)
      throw new InputError(
        `fields.${SERIES_KEYS.cancelled}`,
        `a cancelled occurrence cannot come back (${restored.join(", ")})`,
      );
  }
  const isException = given(current, SERIES_KEYS.series);
  if (isException && (given(patch, SERIES_KEYS.pattern) || given(patch, SERIES_KEYS.cancelled)))
    throw new InputError(`fields.${SERIES_KEYS.pattern}`, "an exception has no pattern of its own");
  if (!isException && given(current, SERIES_KEYS.pattern) && patch[SERIES_KEYS.pattern] === null)
    throw new InputError(
      `fields.${SERIES_KEYS.pattern}`,
      "a series keeps its pattern; delete the series to end it",
    );
}

/** The live exception records of a series, locked for the delete that takes them with it. */
export async function liveExceptionIds(tx: SqlExecutor, seriesId: string): Promise<string[]> {
  const result = await tx.query<{ id: string }>(
    `SELECT id FROM records WHERE type = 'appointment' AND NOT deleted AND fields->>'seriesid' = $1
      ORDER BY id FOR UPDATE`,
    [seriesId],
  );
  return result.rows.map((row) => row.id);
}
