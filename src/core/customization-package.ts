/**
 * Customization packages as data (SPEC §11): what a package holds once it is read, the default package (SPEC §2
 * and §4 as data), and the checks its metadata must pass before it may drive the engine. The zip layout and the
 * file formats are in src/protocol/customization-package.ts; this module only sees parsed values.
 */
import { DEFAULT_FIELD_MAPS, type CodecName, type FieldMaps } from "./field-maps";
import { FILTER_CRITERIA, type FilterCriterion } from "./filter-rules";
import {
  DOWNLOADABLE_ENTITY_TYPES,
  SYNCED_ENTITY_TYPES,
  type DownloadableEntityType,
  type EntityType,
} from "./types";
import { compareVersions } from "./version-range";

/** The local data rules a package sets per downloadable type (SPEC §4): a record syncs when any criterion holds. */
export type PackageFilters = Readonly<Record<DownloadableEntityType, readonly FilterCriterion[]>>;

/** What a package's metadata files say: the entity types it syncs, the field mapping and the filters. */
export interface PackageMetadata {
  readonly entityTypes: readonly EntityType[];
  readonly fieldMaps: FieldMaps;
  readonly filters: PackageFilters;
}

/** What `info.xml` says: the package's role and version and its compatibility element. */
export interface PackageInfo {
  readonly role: string;
  /** Four-part version, e.g. `2.0.0.0`. */
  readonly version: string;
  /** `preferred_product`; null when the element has none. */
  readonly preferredProduct: string | null;
  /** The `<products>` range list, as written. */
  readonly products: string;
  /** The `<schemas>` range list, as written. */
  readonly schemas: string;
}

/** A whole package after its content check. */
export interface CustomizationPackage extends PackageInfo, PackageMetadata {}

/** SPEC §4's filter as package data: the criteria the server evaluates for each downloadable type. */
export const DEFAULT_PACKAGE_FILTERS: PackageFilters = {
  contact: FILTER_CRITERIA.contact,
  appointment: FILTER_CRITERIA.appointment,
  task: FILTER_CRITERIA.task,
};

/** The metadata in force before any package applies: SPEC §2 (mapping) and §4 (filter), every entity type. */
export const DEFAULT_PACKAGE_METADATA: PackageMetadata = {
  entityTypes: SYNCED_ENTITY_TYPES,
  fieldMaps: DEFAULT_FIELD_MAPS,
  filters: DEFAULT_PACKAGE_FILTERS,
};

/** How many Outlook and CRM keys a rule of each codec takes (`null`: one or more). */
const CODEC_ARITY: Readonly<Record<CodecName, { outlook: number; crm: number | null }>> = {
  plain: { outlook: 1, crm: 1 },
  street3: { outlook: 1, crm: 3 },
  lookup: { outlook: 1, crm: null },
  reminderFromDue: { outlook: 1, crm: 1 },
  companyFromParent: { outlook: 1, crm: 1 },
  recurrence: { outlook: 1, crm: 1 },
  occurrenceList: { outlook: 1, crm: 1 },
};

const keysText = (count: number | null, side: string): string =>
  count === 1 ? `1 ${side} key` : `${count ?? "one or more"} ${side} keys`;

/** Codecs whose values only flow CRM→Outlook. */
const ONE_WAY_CODECS: ReadonlySet<CodecName> = new Set(["reminderFromDue", "companyFromParent"]);

function outlookKeysOf(type: EntityType): ReadonlySet<string> {
  return new Set(DEFAULT_FIELD_MAPS[type].flatMap((rule) => [...rule.outlook]));
}

/**
 * The Outlook keys the add-in can read and write per type: those of the SPEC §2 mapping. A package may drop
 * rules, change CRM keys, directions and value tables, but it cannot name an Outlook field the add-in does
 * not know.
 */
export const OUTLOOK_FIELD_VOCABULARY: Readonly<Record<EntityType, ReadonlySet<string>>> = {
  contact: outlookKeysOf("contact"),
  appointment: outlookKeysOf("appointment"),
  task: outlookKeysOf("task"),
  email: outlookKeysOf("email"),
};

/**
 * The problems of a package's metadata, each naming the file and place (`field-maps.json: task[2]: …`); an
 * empty list means the metadata can drive the engine. Checked: entity types are known and listed once, every
 * rule's keys fit its codec, lookup rules carry a table with rows, one-way codecs flow CRM→Outlook, Outlook keys
 * belong to the add-in's vocabulary, one Outlook key is written by one rule only, and each type's filter uses
 * only criteria the server evaluates for it (a package can narrow SPEC §4's filter, not widen it).
 */
export function packageMetadataProblems(metadata: PackageMetadata): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const type of metadata.entityTypes) {
    if (!(SYNCED_ENTITY_TYPES as readonly string[]).includes(type))
      problems.push(`entities.json: unknown entity type "${type}"`);
    else if (seen.has(type)) problems.push(`entities.json: "${type}" is listed twice`);
    seen.add(type);
  }
  for (const type of SYNCED_ENTITY_TYPES) {
    const written = new Set<string>();
    metadata.fieldMaps[type].forEach((rule, index) => {
      const at = `field-maps.json: ${type}[${index}]`;
      const arity = CODEC_ARITY[rule.codec];
      if (rule.outlook.length !== arity.outlook)
        problems.push(`${at}: codec ${rule.codec} takes ${keysText(arity.outlook, "Outlook")}`);
      if (arity.crm === null ? rule.crm.length === 0 : rule.crm.length !== arity.crm)
        problems.push(`${at}: codec ${rule.codec} takes ${keysText(arity.crm, "CRM")}`);
      if ((rule.codec === "lookup") !== (rule.lookup !== undefined))
        problems.push(`${at}: a value table goes with the lookup codec, and only with it`);
      if (rule.lookup !== undefined) {
        if (rule.lookup.rows.length === 0)
          problems.push(`${at}: value table "${rule.lookup.name}" has no rows`);
        rule.lookup.rows.forEach((row, rowIndex) => {
          if (row.crm.length !== rule.crm.length)
            problems.push(`${at}: value table row ${rowIndex} needs ${rule.crm.length} CRM values`);
        });
      }
      if (ONE_WAY_CODECS.has(rule.codec) && rule.direction !== "crmToOutlook")
        problems.push(`${at}: codec ${rule.codec} flows CRM→Outlook only (direction "crmToOutlook")`);
      for (const key of rule.outlook) {
        if (!OUTLOOK_FIELD_VOCABULARY[type].has(key))
          problems.push(`${at}: "${key}" is not an Outlook ${type} field the add-in syncs`);
        else if (written.has(key)) problems.push(`${at}: "${key}" is mapped by two rules`);
        written.add(key);
      }
    });
  }
  for (const type of DOWNLOADABLE_ENTITY_TYPES) {
    for (const criterion of metadata.filters[type]) {
      if (!FILTER_CRITERIA[type].includes(criterion))
        problems.push(
          `filters.json: ${type} cannot use "${criterion}" (the server evaluates ${FILTER_CRITERIA[type].join(", ")})`,
        );
    }
  }
  return problems;
}

/** True when `a` and `b` are the same package: the same role and numerically the same version. */
export function samePackage(
  a: Pick<PackageInfo, "role" | "version"> | null,
  b: Pick<PackageInfo, "role" | "version"> | null,
): boolean {
  return a !== null && b !== null && a.role === b.role && compareVersions(a.version, b.version) === 0;
}
