/**
 * Turns scenario text into a checked scenario, or a SyncError("invalidScenario") whose details name the JSON
 * path of the first problem, e.g. `steps[3].ref: unknown ref "k9"` (docs/SCENARIOS.md exit status 2).
 */
import { findFieldProblem } from "../../core/field-kinds";
import { SyncError } from "../../core/errors";
import { headerFieldProblem, stepFieldProblem, type ScenarioFieldProblem } from "./scenario-fields";
import { isPackageStep, packageProblem } from "./scenario-packages";
import { ScenarioSchema } from "./scenario-schema";
import type { Scenario, ScenarioStep } from "./scenario-schema";

/** A scenario that passed every check, with each step's time resolved to ms since the epoch. */
export interface CheckedScenario {
  readonly scenario: Scenario;
  readonly startMs: number;
  readonly stepTimes: readonly number[];
}

/** Formats a JSON path the way docs/SCENARIOS.md shows it: `steps[3].ref`; the whole document is `$`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = "";
  for (const part of path) {
    if (typeof part === "number") text += `[${part}]`;
    else text += text === "" ? String(part) : `.${String(part)}`;
  }
  return text === "" ? "$" : text;
}

function invalid(path: readonly PropertyKey[], message: string): SyncError {
  return new SyncError("invalidScenario", { details: `${formatPath(path)}: ${message}` });
}

const OFFSET_UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

function resolveTime(at: string, startMs: number): number {
  const offset = /^\+(\d+)([mhd])$/.exec(at);
  if (offset) return startMs + Number(offset[1]) * OFFSET_UNIT_MS[offset[2] as keyof typeof OFFSET_UNIT_MS];
  return Date.parse(at);
}

/** The refs a step introduces and the refs it must find already known. */
function stepRefs(step: ScenarioStep): { creates: string[]; uses: [string, string][] } {
  if (isPackageStep(step)) return { creates: [], uses: [] };
  switch (step.do) {
    case "outlook.create":
    case "crm.create":
    case "compose":
      return { creates: [step.ref], uses: [] };
    case "outlook.updateOccurrence":
      return { creates: [step.ref], uses: [["series", step.series]] };
    case "outlook.cancelOccurrence":
      return { creates: [], uses: [["series", step.series]] };
    case "setRegarding":
      return {
        creates: [],
        uses: [
          ["ref", step.ref],
          ["regarding", step.regarding],
        ],
      };
    case "sync":
    case "reconcile":
    case "settings":
    case "privileges":
      return { creates: [], uses: [] };
    default:
      return { creates: [], uses: "ref" in step ? [["ref", step.ref]] : [] };
  }
}

/** Users a step names, with the key that names them. */
function stepUsers(step: ScenarioStep): [string, string][] {
  const users: [string, string][] = [];
  if (step.do === "crm.create" || step.do === "crm.assign") users.push(["owner", step.owner]);
  if (
    (step.do === "crm.create" || step.do === "crm.update" || step.do === "crm.delete") &&
    step.by !== undefined
  ) {
    users.push(["by", step.by]);
  }
  if (step.do === "privileges") users.push(["user", step.user]);
  return users;
}

function checkUnique(ids: readonly string[], path: string, key: string): void {
  const seen = new Set<string>();
  ids.forEach((id, index) => {
    if (seen.has(id)) throw invalid([path, index, key], `duplicate ${key} "${id}"`);
    seen.add(id);
  });
}

/**
 * Parses and checks a scenario. Guarantees on success: the shape matches docs/SCENARIOS.md; users, clients and
 * refs are unique and every step names only known users, clients and refs (a ref is known from the step that
 * creates it on); a ref used in both `crm` and `outlook` has one type there (an item already stamped with that
 * record's id); a contact's `parentaccount` names an account ref; every `fields` bag names only SPEC §2 keys of
 * its side with values of their kind (ISO 8601 dates, codes from their tables); step times never go backwards.
 */
export function validateScenario(text: string): CheckedScenario {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw invalid([], `not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const parsed = ScenarioSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalid(issue?.path ?? [], issue?.message ?? "invalid");
  }
  const scenario = parsed.data;
  checkUnique(
    scenario.users.map((u) => u.id),
    "users",
    "id",
  );
  checkUnique(
    scenario.clients.map((c) => c.id),
    "clients",
    "id",
  );
  const users = new Set(scenario.users.map((u) => u.id));
  const clients = new Set(scenario.clients.map((c) => c.id));
  if (!users.has(scenario.mailbox)) throw invalid(["mailbox"], `unknown user "${scenario.mailbox}"`);
  const packages = packageProblem(scenario, users);
  if (packages !== null) throw invalid(packages.path, packages.message);

  const refTypes = new Map<string, string>();
  checkUnique(
    scenario.crm.map((r) => r.ref),
    "crm",
    "ref",
  );
  checkUnique(
    scenario.outlook.map((r) => r.ref),
    "outlook",
    "ref",
  );
  scenario.crm.forEach((record, index) => {
    if (!users.has(record.owner)) throw invalid(["crm", index, "owner"], `unknown user "${record.owner}"`);
    refTypes.set(record.ref, record.type);
  });
  scenario.outlook.forEach((item, index) => {
    const crmType = refTypes.get(item.ref);
    if (crmType !== undefined && crmType !== item.type) {
      throw invalid(["outlook", index, "type"], `ref "${item.ref}" is a ${crmType} in crm`);
    }
    refTypes.set(item.ref, item.type);
  });
  scenario.crm.forEach((record, index) => checkReferences(record.fields, refTypes, ["crm", index, "fields"]));
  throwFieldProblem(headerFieldProblem(scenario));

  const startMs = Date.parse(scenario.start);
  const stepTimes: number[] = [];
  let previous = startMs;
  scenario.steps.forEach((step, index) => {
    const path = ["steps", index];
    const time = step.at === undefined ? previous + 1000 : resolveTime(step.at, startMs);
    if (time < previous)
      throw invalid([...path, "at"], `time goes backwards (${new Date(time).toISOString()})`);
    stepTimes.push(time);
    previous = time;
    if ("client" in step && !clients.has(step.client)) {
      throw invalid([...path, "client"], `unknown client "${step.client}"`);
    }
    for (const [key, user] of stepUsers(step)) {
      if (!users.has(user)) throw invalid([...path, key], `unknown user "${user}"`);
    }
    const { creates, uses } = stepRefs(step);
    for (const [key, ref] of uses) {
      if (!refTypes.has(ref)) throw invalid([...path, key], `unknown ref "${ref}"`);
    }
    if (step.do === "send" && refTypes.get(step.ref) !== "draft") {
      throw invalid([...path, "ref"], `ref "${step.ref}" is not a composed draft`);
    }
    if (step.do === "crm.create" || step.do === "crm.update")
      checkReferences(step.fields, refTypes, [...path, "fields"]);
    if (step.do === "outlook.updateOccurrence" || step.do === "outlook.cancelOccurrence") {
      if (refTypes.get(step.series) !== "appointment")
        throw invalid([...path, "series"], `ref "${step.series}" is not an appointment`);
      const problem = findFieldProblem("appointment", "outlook", { originalStart: step.originalStart });
      if (problem !== null) throw invalid([...path, "originalStart"], problem.problem);
    }
    throwFieldProblem(stepFieldProblem(step, path, (ref) => refTypes.get(ref)));
    for (const ref of creates) {
      if (refTypes.has(ref)) throw invalid([...path, "ref"], `ref "${ref}" is already used`);
      refTypes.set(
        ref,
        step.do === "compose"
          ? "draft"
          : step.do === "outlook.updateOccurrence"
            ? "appointment"
            : "type" in step
              ? step.type
              : "email",
      );
    }
  });
  return { scenario, startMs, stepTimes };
}

function throwFieldProblem(problem: ScenarioFieldProblem | null): void {
  if (problem !== null) throw invalid(problem.path, problem.message);
}

function checkReferences(
  fields: Readonly<Record<string, unknown>>,
  refTypes: Map<string, string>,
  path: PropertyKey[],
): void {
  for (const [key, type, name] of REFERENCE_KEYS) {
    const value = fields[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== "string" || refTypes.get(value) !== type)
      throw invalid([...path, key], `unknown ${name} ref ${JSON.stringify(value)}`);
  }
}

/** CRM keys that name another record by its ref: a contact's account, an exception's series (SPEC §15). */
const REFERENCE_KEYS: readonly (readonly [string, string, string])[] = [
  ["parentaccount", "account", "account"],
  ["seriesid", "appointment", "appointment series"],
];
