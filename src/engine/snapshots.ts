/**
 * Snapshot helpers (SPEC §1 "Snapshot", §3.2): which Outlook values count as a change, and the snapshot of a
 * freshly linked or created pair. Each side keeps its own keys; the CRM snapshot also remembers the record's
 * owner under {@link OWNER_KEY}, which the deletion rules need after the record itself is gone.
 */
import type { FieldMaps } from "../core/field-maps";
import { pickWithValues, readValue, sameValue } from "../core/field-values";
import { flowsToOutlook } from "../core/mapping";
import type { EntityType, Fields } from "../core/types";

/** Key under which the CRM snapshot keeps the owner's user id; no mapping rule uses it. */
export const OWNER_KEY = "@owner";

/** Outlook keys that the user can change and that flow to the CRM (`both` rules). */
function editableOutlookKeys(maps: FieldMaps, type: EntityType): string[] {
  return maps[type].filter((rule) => rule.direction === "both").flatMap((rule) => rule.outlook);
}

/** True when `fields` differ from `snapshot` in a field that syncs Outlook→CRM; a null snapshot always differs. */
export function outlookChangedSince(
  maps: FieldMaps,
  type: EntityType,
  snapshot: Fields | null,
  fields: Fields,
): boolean {
  if (snapshot === null) return true;
  return editableOutlookKeys(maps, type).some(
    (key) => !sameValue(readValue(snapshot, key), readValue(fields, key)),
  );
}

/** The snapshot pair of two sides that agree now: each side's synced fields in its own keys, plus the owner. */
export function snapshotOf(
  maps: FieldMaps,
  type: EntityType,
  outlook: Fields,
  crm: Fields,
  owner: string,
): { outlook: Fields; crm: Fields } {
  const rules = maps[type].filter(flowsToOutlook);
  return {
    outlook: pickWithValues(
      outlook,
      rules.flatMap((rule) => rule.outlook),
    ),
    crm: withOwner(
      pickWithValues(
        crm,
        rules.flatMap((rule) => rule.crm),
      ),
      owner,
    ),
  };
}

/** The CRM snapshot with the owner recorded. */
export function withOwner(crm: Fields, owner: string): Fields {
  return { ...crm, [OWNER_KEY]: owner };
}

/** The owner recorded in a CRM snapshot, or null. */
export function snapshotOwner(crm: Fields | null): string | null {
  const owner = crm === null ? null : readValue(crm, OWNER_KEY);
  return typeof owner === "string" ? owner : null;
}
