/**
 * The value converters that field-map rules name. Each codec turns a rule's Outlook values into its CRM
 * values and back, position by position with the rule's keys. Codecs are pure and throw
 * `SyncError("invalidInput")` naming the rule's keys and the value when a value cannot be converted.
 */
import { BugError, SyncError } from "./errors";
import type { CodecName, FieldRule, LookupRow, LookupTable } from "./field-maps";
import { describeValue, sameValue, sameValues } from "./field-values";
import { canonicalOccurrenceList, canonicalRecurrence } from "./recurrence";
import type { FieldValue } from "./types";

/** What the CRM→Outlook direction needs besides the record's own fields. */
export interface MappingOptions {
  /** The user's "Update the Company Field" setting (SPEC §9): when off, `companyName` is never written. */
  readonly updateCompanyField: boolean;
  /**
   * The parent account's name. Absent: not known, so `companyName` is left as it is.
   * `null`: the account has no name, so `companyName` is cleared.
   */
  readonly parentAccountName?: string | null;
}

/** One codec: `toCrm` returns one value per CRM key; `toOutlook` one per Outlook key, or `null` for "leave untouched". */
export interface Codec {
  toCrm(rule: FieldRule, outlook: readonly FieldValue[]): readonly FieldValue[];
  toOutlook(
    rule: FieldRule,
    crm: readonly FieldValue[],
    options: MappingOptions,
  ): readonly FieldValue[] | null;
}

function ruleName(rule: FieldRule): string {
  return `${rule.outlook.join("+")} ↔ ${rule.crm.join("+")}`;
}

function invalid(rule: FieldRule, details: string): SyncError {
  return new SyncError("invalidInput", { details: `Field ${ruleName(rule)}: ${details}` });
}

function expectText(rule: FieldRule, value: FieldValue): string | null {
  if (value === null || typeof value === "string") return value;
  throw invalid(rule, `expected text, found ${describeValue(value)}.`);
}

function oneWay(rule: FieldRule): never {
  throw new BugError(`Rule ${ruleName(rule)} flows CRM→Outlook only and has no Outlook→CRM conversion.`);
}

function tableOf(rule: FieldRule): LookupTable {
  if (rule.lookup === undefined) throw invalid(rule, "the lookup codec needs a value table.");
  return rule.lookup;
}

function rowsFor(table: LookupTable, excluded: LookupRow["direction"]): LookupRow[] {
  return table.rows.filter((row) => row.direction !== excluded);
}

const plainCodec: Codec = {
  toCrm: (_rule, outlook) => outlook,
  toOutlook: (_rule, crm) => crm,
};

const street3Codec: Codec = {
  toCrm(rule, [street = null]) {
    const text = expectText(rule, street);
    if (text === null) return [null, null, null];
    const [line1 = "", line2 = "", ...rest] = text.split(/\r\n|\n|\r/);
    return [line1, line2, rest.join(", ")].map((line) => (line === "" ? null : line));
  },
  toOutlook(rule, lines) {
    const texts = lines.map((line) => expectText(rule, line) ?? "");
    while (texts.length > 0 && texts[texts.length - 1] === "") texts.pop();
    return [texts.length === 0 ? null : texts.join("\n")];
  },
};

const lookupCodec: Codec = {
  toCrm(rule, [value = null]) {
    if (value === null) return rule.crm.map(() => null);
    const table = tableOf(rule);
    const row = rowsFor(table, "crmToOutlook").find((candidate) => sameValue(candidate.outlook, value));
    if (row === undefined) {
      throw invalid(rule, `Outlook value ${describeValue(value)} is not in the ${table.name} table.`);
    }
    return row.crm;
  },
  toOutlook(rule, crm) {
    if (crm.every((value) => value === null)) return [null];
    const table = tableOf(rule);
    const row = rowsFor(table, "outlookToCrm").find((candidate) => sameValues(candidate.crm, crm));
    if (row === undefined) {
      throw invalid(
        rule,
        `CRM values (${crm.map(describeValue).join(", ")}) are not in the ${table.name} table.`,
      );
    }
    return [row.outlook];
  },
};

const TIME_PART = /T\d{2}:\d{2}/;

const reminderFromDueCodec: Codec = {
  toCrm: oneWay,
  toOutlook(rule, [due = null]) {
    const text = expectText(rule, due);
    return [text !== null && TIME_PART.test(text) ? text : null];
  },
};

const companyFromParentCodec: Codec = {
  toCrm: oneWay,
  toOutlook(_rule, [parent = null], options) {
    if (!options.updateCompanyField) return null;
    if (parent === null) return [null];
    if (options.parentAccountName === undefined) return null;
    return [options.parentAccountName];
  },
};

function expectList(rule: FieldRule, value: FieldValue): readonly string[] | null {
  if (value === null || typeof value === "object") return value;
  throw invalid(rule, `expected a list of date-times, found ${describeValue(value)}.`);
}

/** Both sides hold one canonical text, so equal series compare equal whichever side wrote them. */
const recurrenceCodec: Codec = {
  toCrm: (rule, [text = null]) => [canonicalText(rule, text)],
  toOutlook: (rule, [text = null]) => [canonicalText(rule, text)],
};

function canonicalText(rule: FieldRule, value: FieldValue): string | null {
  const text = expectText(rule, value);
  if (text === null) return null;
  try {
    return canonicalRecurrence(text);
  } catch (error) {
    if (error instanceof SyncError) throw invalid(rule, error.details ?? error.message);
    throw error;
  }
}

/** A list of original starts, sorted and canonical on both sides; an empty list is no value. */
const occurrenceListCodec: Codec = {
  toCrm: (rule, [list = null]) => [canonicalList(rule, list)],
  toOutlook: (rule, [list = null]) => [canonicalList(rule, list)],
};

function canonicalList(rule: FieldRule, value: FieldValue): readonly string[] | null {
  const list = expectList(rule, value);
  if (list === null || list.length === 0) return null;
  try {
    return canonicalOccurrenceList(list);
  } catch (error) {
    if (error instanceof SyncError) throw invalid(rule, error.details ?? error.message);
    throw error;
  }
}

/** Every codec by the name that rules use. */
export const CODECS: Readonly<Record<CodecName, Codec>> = {
  plain: plainCodec,
  street3: street3Codec,
  lookup: lookupCodec,
  reminderFromDue: reminderFromDueCodec,
  companyFromParent: companyFromParentCodec,
  recurrence: recurrenceCodec,
  occurrenceList: occurrenceListCodec,
};
