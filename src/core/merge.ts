/**
 * The three-way merge of SPEC §6. Each side is compared only with its own snapshot, in its own keys,
 * so a lossy mapping never creates a change by itself. Per rule, {@link MERGE_DECISIONS} says which side's
 * value is taken; the winner's value is converted and written to the other side where it differs.
 *
 * Rules that flow CRM→Outlook only (reminder time, company name) are recomputed from the merged CRM values
 * and written to Outlook when their CRM source changed since the CRM snapshot; they never produce CRM writes.
 * Rules that flow only when tracking (`onTrack`, e-mail) are not merged.
 *
 * A type that does not receive CRM changes (unchecked in the settings, SPEC §9) still sends Outlook's changes:
 * nothing is written to Outlook, and the CRM snapshot keeps its old values for every CRM change held back, so
 * that change is taken once the type receives CRM changes again.
 */
import { invariant, SyncError } from "./errors";
import { DEFAULT_FIELD_MAPS, type FieldMaps, type FieldRule } from "./field-maps";
import { pickWithValues, readValues, sameValue, sameValues } from "./field-values";
import { flowsToOutlook, ruleToCrm, ruleToOutlook, type MappingOptions } from "./mapping";
import type { EntityType, FieldValue, Fields, Side } from "./types";

/** One side's input: its current fields, its snapshot (null before the first sync) and its server-assigned modification time. */
export interface MergeSideInput {
  readonly current: Fields;
  /**
   * The last synchronized values in this side's keys. Null (first link of two existing objects) means every
   * field that has a value on this side counts as changed; a field without a value then never clears the other side.
   */
  readonly snapshot: Fields | null;
  /** Milliseconds since the epoch, assigned by Exchange or the CRM. */
  readonly modifiedAt: number;
}

/** Everything the merge needs; `outlook` is in Outlook keys, `crm` in CRM keys. */
export interface MergeInput {
  readonly type: EntityType;
  readonly outlook: MergeSideInput;
  readonly crm: MergeSideInput;
  readonly options: MappingOptions;
  readonly maps?: FieldMaps;
  /** False for a type that does not sync CRM→Outlook (SPEC §9): only Outlook's changes flow. Default true. */
  readonly outlookReceives?: boolean;
}

/** A value that the merge overwrote. Values are in CRM terms (the Outlook side's value converted to CRM keys). */
export interface ConflictEntry {
  /** The CRM key, e.g. "firstname" or "statecode"; a rule with several CRM keys gives one entry per differing key. */
  readonly field: string;
  readonly kept: FieldValue;
  readonly overwritten: FieldValue;
  readonly winner: Side;
}

/** The merge's outcome. Applying both write sets makes the two sides agree with the new snapshots. */
export interface MergeResult {
  /** Outlook keys whose value must change; `null` clears a field. Only fields that differ. */
  readonly outlookWrites: Fields;
  /** CRM keys whose value must change; `null` clears a field. Only fields that differ. */
  readonly crmWrites: Fields;
  /** The new snapshots: each side's mapped fields after the writes, listing only fields with a value. */
  readonly snapshot: { readonly outlook: Fields; readonly crm: Fields };
  readonly conflicts: ConflictEntry[];
  /** CRM keys whose change was held back because the type receives nothing from the CRM (SPEC §9). */
  readonly heldCrmKeys: readonly string[];
}

/** Which side was modified later; equal times are a tie. */
export type LaterSide = Side | "tie";

/** One row of the per-field decision table. `"any"` matches every value of that column. */
export interface MergeDecisionRow {
  /** Whether the type receives CRM changes in Outlook (SPEC §9). */
  readonly outlookReceives: boolean | "any";
  readonly outlookChanged: boolean;
  readonly crmChanged: boolean;
  /** Both values mean the same thing through the mapping (only asked when both sides changed). */
  readonly equivalent: boolean | "any";
  readonly later: LaterSide | "any";
  /**
   * Whose value both sides get; "none" leaves both as they are; "holdCrm" leaves both as they are and keeps
   * the CRM snapshot, so the CRM's change is still pending when the type receives CRM changes again.
   */
  readonly take: Side | "none" | "holdCrm";
  /** The loser's value is recorded in the conflict history. */
  readonly conflict: boolean;
}

/**
 * SPEC §6 as a table: first matching row wins. Later modification wins; the CRM wins a tie. For a type that
 * receives nothing from the CRM (SPEC §9) an Outlook change always goes to the CRM, and a CRM change is held.
 */
export const MERGE_DECISIONS: readonly MergeDecisionRow[] = [
  {
    outlookReceives: false,
    outlookChanged: false,
    crmChanged: true,
    equivalent: "any",
    later: "any",
    take: "holdCrm",
    conflict: false,
  },
  {
    outlookReceives: false,
    outlookChanged: true,
    crmChanged: true,
    equivalent: false,
    later: "any",
    take: "outlook",
    conflict: true,
  },
  {
    outlookReceives: "any",
    outlookChanged: false,
    crmChanged: false,
    equivalent: "any",
    later: "any",
    take: "none",
    conflict: false,
  },
  {
    outlookReceives: "any",
    outlookChanged: true,
    crmChanged: false,
    equivalent: "any",
    later: "any",
    take: "outlook",
    conflict: false,
  },
  {
    outlookReceives: "any",
    outlookChanged: false,
    crmChanged: true,
    equivalent: "any",
    later: "any",
    take: "crm",
    conflict: false,
  },
  {
    outlookReceives: "any",
    outlookChanged: true,
    crmChanged: true,
    equivalent: true,
    later: "any",
    take: "none",
    conflict: false,
  },
  {
    outlookReceives: "any",
    outlookChanged: true,
    crmChanged: true,
    equivalent: false,
    later: "outlook",
    take: "outlook",
    conflict: true,
  },
  {
    outlookReceives: "any",
    outlookChanged: true,
    crmChanged: true,
    equivalent: false,
    later: "crm",
    take: "crm",
    conflict: true,
  },
  {
    outlookReceives: "any",
    outlookChanged: true,
    crmChanged: true,
    equivalent: false,
    later: "tie",
    take: "crm",
    conflict: true,
  },
];

/** The facts that select a {@link MERGE_DECISIONS} row. */
export interface MergeFacts {
  readonly outlookReceives: boolean;
  readonly outlookChanged: boolean;
  readonly crmChanged: boolean;
  readonly equivalent: boolean;
  readonly later: LaterSide;
}

/** The first {@link MERGE_DECISIONS} row that matches `facts`. The table covers every combination. */
export function decideField(facts: MergeFacts): MergeDecisionRow {
  const row = MERGE_DECISIONS.find(
    (candidate) =>
      (candidate.outlookReceives === "any" || candidate.outlookReceives === facts.outlookReceives) &&
      candidate.outlookChanged === facts.outlookChanged &&
      candidate.crmChanged === facts.crmChanged &&
      (candidate.equivalent === "any" || candidate.equivalent === facts.equivalent) &&
      (candidate.later === "any" || candidate.later === facts.later),
  );
  invariant(row !== undefined, `MERGE_DECISIONS has no row for ${JSON.stringify(facts)}.`);
  return row;
}

/** Changed since the snapshot; without a snapshot, every field that has a value counts as changed. */
function changedSince(current: Fields, snapshot: Fields | null, keys: readonly string[]): boolean {
  const values = readValues(current, keys);
  if (snapshot === null) return values.some((value) => value !== null);
  return !sameValues(values, readValues(snapshot, keys));
}

function laterSide(outlookAt: number, crmAt: number): LaterSide {
  for (const [side, at] of [
    ["outlook", outlookAt],
    ["crm", crmAt],
  ] as const) {
    if (!Number.isFinite(at)) {
      throw new SyncError("invalidInput", {
        details: `merge: ${side}.modifiedAt ${String(at)} is not a finite time.`,
      });
    }
  }
  if (outlookAt === crmAt) return "tie";
  return outlookAt > crmAt ? "outlook" : "crm";
}

function writeDiffering(
  keys: readonly string[],
  target: readonly FieldValue[],
  current: Fields,
  writes: Record<string, FieldValue>,
): void {
  const present = readValues(current, keys);
  keys.forEach((key, index) => {
    const value = target[index] ?? null;
    if (!sameValue(value, present[index] ?? null)) writes[key] = value;
  });
}

interface MergeState {
  readonly input: MergeInput;
  readonly later: LaterSide;
  readonly outlookWrites: Record<string, FieldValue>;
  readonly crmWrites: Record<string, FieldValue>;
  readonly conflicts: ConflictEntry[];
  /** CRM keys whose change was held back (`holdCrm`): their snapshot values stay. */
  readonly heldCrmKeys: Set<string>;
}

function equivalentValues(rule: FieldRule, input: MergeInput): boolean {
  const { outlook, crm, options } = input;
  const crmAsOutlook = ruleToOutlook(rule, crm.current, options);
  if (crmAsOutlook !== null && sameValues(crmAsOutlook, readValues(outlook.current, rule.outlook)))
    return true;
  return sameValues(ruleToCrm(rule, outlook.current), readValues(crm.current, rule.crm));
}

function recordConflicts(rule: FieldRule, winner: Side, state: MergeState): void {
  const crmValues = readValues(state.input.crm.current, rule.crm);
  const outlookValues = ruleToCrm(rule, state.input.outlook.current);
  rule.crm.forEach((field, index) => {
    const crmValue = crmValues[index] ?? null;
    const outlookValue = outlookValues[index] ?? null;
    if (sameValue(crmValue, outlookValue)) return;
    const [kept, overwritten] = winner === "crm" ? [crmValue, outlookValue] : [outlookValue, crmValue];
    state.conflicts.push({ field, kept, overwritten, winner });
  });
}

/**
 * Codecs whose values only ever grow (a cancelled occurrence never comes back, SPEC §15): when both sides
 * changed, both get the union, and nothing is overwritten.
 */
const GROWING_CODECS: ReadonlySet<FieldRule["codec"]> = new Set(["occurrenceList"]);

function unionOf(rule: FieldRule, state: MergeState): readonly string[] {
  const { outlook, crm } = state.input;
  const lists = [ruleToCrm(rule, outlook.current)[0] ?? null, readValues(crm.current, rule.crm)[0] ?? null];
  return [...new Set(lists.flatMap((list) => (Array.isArray(list) ? (list as readonly string[]) : [])))];
}

function mergeRule(rule: FieldRule, state: MergeState): void {
  const { outlook, crm, options } = state.input;
  const outlookChanged = changedSince(outlook.current, outlook.snapshot, rule.outlook);
  const crmChanged = changedSince(crm.current, crm.snapshot, rule.crm);
  const equivalent = outlookChanged && crmChanged && equivalentValues(rule, state.input);
  if (outlookChanged && crmChanged && !equivalent && GROWING_CODECS.has(rule.codec)) {
    const target = ruleToOutlook(rule, { [rule.crm[0] ?? ""]: unionOf(rule, state) }, options) ?? [];
    const asOutlook = Object.fromEntries(rule.outlook.map((key, index) => [key, target[index] ?? null]));
    writeDiffering(rule.outlook, target, outlook.current, state.outlookWrites);
    writeDiffering(rule.crm, ruleToCrm(rule, asOutlook), crm.current, state.crmWrites);
    return;
  }
  const outlookReceives = state.input.outlookReceives ?? true;
  const decision = decideField({
    outlookReceives,
    outlookChanged,
    crmChanged,
    equivalent,
    later: state.later,
  });
  if (decision.take === "none") return;
  if (decision.take === "holdCrm") {
    for (const key of rule.crm) state.heldCrmKeys.add(key);
    return;
  }
  if (decision.conflict) recordConflicts(rule, decision.take, state);
  if (decision.take === "outlook") {
    writeDiffering(rule.crm, ruleToCrm(rule, outlook.current), crm.current, state.crmWrites);
    return;
  }
  const target = ruleToOutlook(rule, crm.current, options);
  if (target !== null) writeDiffering(rule.outlook, target, outlook.current, state.outlookWrites);
}

function deriveRule(rule: FieldRule, mergedCrm: Fields, state: MergeState): void {
  const { outlook, crm, options } = state.input;
  if (!changedSince(crm.current, crm.snapshot, rule.crm)) return;
  if (state.input.outlookReceives === false) {
    for (const key of rule.crm) state.heldCrmKeys.add(key);
    return;
  }
  const target = ruleToOutlook(rule, mergedCrm, options);
  if (target !== null) writeDiffering(rule.outlook, target, outlook.current, state.outlookWrites);
}

/** The snapshot values of the held-back CRM keys that no write of this merge replaced (null: no value). */
function heldSnapshotValues(state: MergeState, snapshot: Fields | null): Fields {
  const held: Record<string, FieldValue> = {};
  for (const key of state.heldCrmKeys) {
    if (!(key in state.crmWrites)) held[key] = snapshot?.[key] ?? null;
  }
  return held;
}

/**
 * Merges one linked pair (SPEC §6). Deterministic and pure. Guarantees:
 * - a field that neither side changed since its own snapshot is never written;
 * - only one side changed: that side's value is taken; both changed to values that differ through the mapping:
 *   the later `modifiedAt` wins and the CRM wins a tie, and the overwritten value is a {@link ConflictEntry};
 * - merging again after applying the writes, with the returned snapshots, produces no writes.
 * Throws `SyncError("invalidInput")` when a value cannot be converted or a time is not finite.
 */
export function merge(input: MergeInput): MergeResult {
  const rules = (input.maps ?? DEFAULT_FIELD_MAPS)[input.type];
  const state: MergeState = {
    input,
    later: laterSide(input.outlook.modifiedAt, input.crm.modifiedAt),
    outlookWrites: {},
    crmWrites: {},
    conflicts: [],
    heldCrmKeys: new Set(),
  };
  for (const rule of rules) if (rule.direction === "both") mergeRule(rule, state);
  const mergedCrm: Fields = { ...input.crm.current, ...state.crmWrites };
  for (const rule of rules) if (rule.direction === "crmToOutlook") deriveRule(rule, mergedCrm, state);

  const synced = rules.filter(flowsToOutlook);
  return {
    outlookWrites: state.outlookWrites,
    crmWrites: state.crmWrites,
    snapshot: {
      outlook: pickWithValues(
        { ...input.outlook.current, ...state.outlookWrites },
        synced.flatMap((rule) => rule.outlook),
      ),
      crm: pickWithValues(
        { ...mergedCrm, ...heldSnapshotValues(state, input.crm.snapshot) },
        synced.flatMap((rule) => rule.crm),
      ),
    },
    conflicts: state.conflicts,
    heldCrmKeys: [...state.heldCrmKeys],
  };
}
