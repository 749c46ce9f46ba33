/**
 * Converts whole field bags between Outlook keys and CRM keys with a {@link FieldMaps} table (SPEC §2).
 * Only keys named by a rule cross; everything else (never-synced fields, unknown keys) is dropped.
 */
import { CODECS, type MappingOptions } from "./codecs";
import { DEFAULT_FIELD_MAPS, type FieldMaps, type FieldRule } from "./field-maps";
import { readValues } from "./field-values";
import type { EntityType, FieldValue, Fields } from "./types";

export type { MappingOptions } from "./codecs";

/** True when the rule sends Outlook values to the CRM when a record is created from an item. */
export function flowsToCrm(rule: FieldRule): boolean {
  return rule.direction !== "crmToOutlook";
}

/** True when the rule writes CRM values to Outlook. */
export function flowsToOutlook(rule: FieldRule): boolean {
  return rule.direction !== "onTrack";
}

/** The rule's CRM values converted from `outlook` (Outlook keys), one per `rule.crm` key. */
export function ruleToCrm(rule: FieldRule, outlook: Fields | null): readonly FieldValue[] {
  return CODECS[rule.codec].toCrm(rule, readValues(outlook, rule.outlook));
}

/** The rule's Outlook values converted from `crm` (CRM keys), one per `rule.outlook` key, or null for "leave untouched". */
export function ruleToOutlook(
  rule: FieldRule,
  crm: Fields | null,
  options: MappingOptions,
): readonly FieldValue[] | null {
  return CODECS[rule.codec].toOutlook(rule, readValues(crm, rule.crm), options);
}

function collect(
  keys: readonly string[],
  values: readonly FieldValue[],
  into: Record<string, FieldValue>,
): void {
  keys.forEach((key, index) => {
    const value = values[index] ?? null;
    if (value !== null) into[key] = value;
  });
}

/**
 * The CRM fields for an Outlook item of `type`: every rule that flows Outlook→CRM (`both` and `onTrack`).
 * The result lists only fields with a value. Throws `SyncError("invalidInput")` naming the field
 * when a value cannot be converted (for example a priority outside the table).
 */
export function toCrm(type: EntityType, outlookFields: Fields, maps: FieldMaps = DEFAULT_FIELD_MAPS): Fields {
  const crm: Record<string, FieldValue> = {};
  for (const rule of maps[type]) {
    if (flowsToCrm(rule)) collect(rule.crm, ruleToCrm(rule, outlookFields), crm);
  }
  return crm;
}

/**
 * The Outlook fields for a CRM record of `type`: every rule that flows CRM→Outlook (`both` and `crmToOutlook`).
 * The result lists only fields with a value; a rule that says "leave untouched" (company name with the
 * setting off) contributes nothing. Throws `SyncError("invalidInput")` naming the field on an unconvertible value.
 */
export function toOutlook(
  type: EntityType,
  crmFields: Fields,
  options: MappingOptions,
  maps: FieldMaps = DEFAULT_FIELD_MAPS,
): Fields {
  const outlook: Record<string, FieldValue> = {};
  for (const rule of maps[type]) {
    if (!flowsToOutlook(rule)) continue;
    const values = ruleToOutlook(rule, crmFields, options);
    if (values !== null) collect(rule.outlook, values, outlook);
  }
  return outlook;
}
