/**
 * The field check of a scenario file (docs/SCENARIOS.md "What the runner checks before it runs"): every
 * `fields` bag may name only keys that SPEC §2 gives its side (Outlook keys on Outlook items, CRM keys on
 * records), with values of their kind: ISO 8601 dates and times, codes from their tables. The core's field
 * tables decide (src/core/field-kinds.ts); this module only finds the bags of a file and the path to them.
 */
import { findFieldProblem } from "../../core/field-kinds";
import type { CrmRecordType, Fields, Side } from "../../core/types";
import type { Scenario, ScenarioStep } from "./scenario-schema";

/** The first bad field of a bag: the JSON path to it and what is wrong. */
export interface ScenarioFieldProblem {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/** A `fields` bag of the file, with the side and record type its keys belong to. */
interface FieldBag {
  readonly type: string | undefined;
  readonly side: Side;
  readonly fields: Fields;
}

const RECORD_TYPES: ReadonlySet<string> = new Set(["contact", "appointment", "task", "email", "account"]);

function problemOf(bag: FieldBag, path: readonly PropertyKey[]): ScenarioFieldProblem | null {
  // A ref's type is known once validation checked the ref; a composed draft is an e-mail.
  const type = bag.type === "draft" ? "email" : bag.type;
  if (type === undefined || !RECORD_TYPES.has(type)) return null;
  const found = findFieldProblem(type as CrmRecordType, bag.side, bag.fields);
  if (found === null) return null;
  return { path: found.key === null ? path : [...path, found.key], message: found.problem };
}

/** The first bad field of the header's `crm` records and `outlook` items, in file order, or null. */
export function headerFieldProblem(scenario: Scenario): ScenarioFieldProblem | null {
  for (const [index, record] of scenario.crm.entries()) {
    const problem = problemOf({ type: record.type, side: "crm", fields: record.fields }, [
      "crm",
      index,
      "fields",
    ]);
    if (problem !== null) return problem;
  }
  for (const [index, item] of scenario.outlook.entries()) {
    const problem = problemOf({ type: item.type, side: "outlook", fields: item.fields }, [
      "outlook",
      index,
      "fields",
    ]);
    if (problem !== null) return problem;
  }
  return null;
}

/** The bag a step carries, if any; `typeOfRef` gives the type of the ref an update names. */
function stepBag(step: ScenarioStep, typeOfRef: (ref: string) => string | undefined): FieldBag | null {
  switch (step.do) {
    case "outlook.create":
      return { type: step.type, side: "outlook", fields: step.fields };
    case "outlook.update":
      return { type: typeOfRef(step.ref), side: "outlook", fields: step.fields };
    case "outlook.updateOccurrence":
      return { type: "appointment", side: "outlook", fields: step.fields };
    case "crm.create":
      return { type: step.type, side: "crm", fields: step.fields };
    case "crm.update":
      return { type: typeOfRef(step.ref), side: "crm", fields: step.fields };
    case "compose":
      return { type: "email", side: "outlook", fields: step.fields };
    default:
      return null;
  }
}

/** The first bad field of one step (at `path`), or null. */
export function stepFieldProblem(
  step: ScenarioStep,
  path: readonly PropertyKey[],
  typeOfRef: (ref: string) => string | undefined,
): ScenarioFieldProblem | null {
  const bag = stepBag(step, typeOfRef);
  return bag === null ? null : problemOf(bag, [...path, "fields"]);
}
