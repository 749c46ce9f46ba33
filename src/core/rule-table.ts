/**
 * First-match decision tables over named boolean facts. A row lists only the facts it cares about;
 * a row with no conditions matches everything and ends a type's rows. Used by the deletion rules.
 */
import { BugError } from "./errors";

/** One row: the facts that must hold (missing facts are "any") and the outcome. */
export interface FactRow<Fact extends string, Outcome> {
  readonly when: Readonly<Partial<Record<Fact, boolean>>>;
  readonly outcome: Outcome;
}

/** The outcome of the first row whose conditions all hold. Throws a BugError when no row matches (a table gap). */
export function firstMatch<Fact extends string, Outcome>(
  table: string,
  rows: readonly FactRow<Fact, Outcome>[],
  facts: Readonly<Record<Fact, boolean>>,
): Outcome {
  const row = rows.find((candidate) =>
    Object.entries(candidate.when).every(([fact, expected]) => facts[fact as Fact] === expected),
  );
  if (row === undefined) throw new BugError(`${table} has no row for ${JSON.stringify(facts)}.`);
  return row.outcome;
}
