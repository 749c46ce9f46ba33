/**
 * Layout of a customization package (SPEC §11): a zip holding `info.xml` and three metadata files.
 *
 * `info.xml`:
 * ```xml
 * <package version="2.0.0.0" role="salesperson">
 *   <compatibility preferred_product="V"><products>R</products><schemas>R</schemas></compatibility>
 * </package>
 * ```
 * - `entities.json`: `{ "entityTypes": ["contact", "appointment", "task", "email"] }`, the entity types it syncs;
 * - `field-maps.json`: `{ "<type>": [FieldRule, …] }` (src/core/field-maps.ts), a table for every synced type;
 * - `filters.json`: `{ "<type>": { "rules": ["owner" | "trackedByHand" | "organizer" | "attendee", …] } }` for each
 *   synced downloadable type: SPEC §4's local data rules, which a package may narrow.
 *
 * The schemas below check the files' shape; src/core/customization-package.ts checks what they mean.
 */
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { z } from "zod";
import type {
  CustomizationPackage,
  PackageFilters,
  PackageInfo,
  PackageMetadata,
} from "../core/customization-package";
import { DEFAULT_PACKAGE_FILTERS } from "../core/customization-package";
import { SyncError } from "../core/errors";
import type { FieldMapTable, FieldMaps } from "../core/field-maps";
import { DOWNLOADABLE_ENTITY_TYPES, SYNCED_ENTITY_TYPES } from "../core/types";
import { parseVersion, parseVersionRanges } from "../core/version-range";

/** File names inside the zip. */
export const PACKAGE_FILES = {
  info: "info.xml",
  entities: "entities.json",
  fieldMaps: "field-maps.json",
  filters: "filters.json",
} as const;

/** Every file a package must hold; a package without one of them is a content error. */
export const REQUIRED_PACKAGE_FILES: readonly string[] = Object.values(PACKAGE_FILES);

/** A four-part package or product version such as `3.05.15.00`. */
export const PACKAGE_VERSION_PATTERN = /^\d+\.\d+\.\d+\.\d+$/;

/** Largest package zip the add-in downloads, and largest file it unpacks from one (bytes). */
export const PACKAGE_LIMITS = { zipBytes: 2 * 1024 * 1024, fileBytes: 1024 * 1024 } as const;

const scalar = z.union([z.string(), z.number(), z.boolean()]);
const keys = z.array(z.string().min(1).max(100)).min(1).max(10);

const FieldRuleSchema = z.strictObject({
  outlook: keys,
  crm: keys,
  direction: z.enum(["both", "crmToOutlook", "onTrack"]),
  codec: z.enum([
    "plain",
    "street3",
    "lookup",
    "reminderFromDue",
    "companyFromParent",
    "recurrence",
    "occurrenceList",
  ]),
  lookup: z
    .strictObject({
      name: z.string().min(1).max(100),
      rows: z
        .array(
          z.strictObject({
            outlook: scalar,
            crm: z.array(scalar).min(1).max(10),
            direction: z.enum(["both", "crmToOutlook", "outlookToCrm"]),
          }),
        )
        .max(200),
    })
    .optional(),
});

const EntityTypeSchema = z.enum(SYNCED_ENTITY_TYPES);
const FilterCriteriaSchema = z.array(z.enum(["owner", "trackedByHand", "organizer", "attendee"])).max(4);

/** `entities.json`. */
export const PackageEntitiesSchema = z.strictObject({ entityTypes: z.array(EntityTypeSchema).max(10) });

/** `field-maps.json`: a rule table per entity type (types the package does not sync may be left out). */
export const PackageFieldMapsSchema = z.partialRecord(EntityTypeSchema, z.array(FieldRuleSchema).max(200));

/** `filters.json`: the filter rules per downloadable type. */
export const PackageFiltersSchema = z.partialRecord(
  z.enum(DOWNLOADABLE_ENTITY_TYPES),
  z.strictObject({ rules: FilterCriteriaSchema }),
);

function withoutAbsentLookup(rules: z.infer<typeof FieldRuleSchema>[]): FieldMapTable {
  return rules.map(({ lookup, ...rule }) => (lookup === undefined ? rule : { ...rule, lookup }));
}

/** A package after its content check, as the add-in keeps it (every type's table and filter present). */
export const CustomizationPackageSchema: z.ZodType<CustomizationPackage> = z
  .strictObject({
    role: z.string().min(1),
    version: z.string().regex(PACKAGE_VERSION_PATTERN),
    preferredProduct: z.string().regex(PACKAGE_VERSION_PATTERN).nullable(),
    products: z.string(),
    schemas: z.string(),
    entityTypes: z.array(EntityTypeSchema),
    fieldMaps: z.strictObject({
      contact: z.array(FieldRuleSchema),
      appointment: z.array(FieldRuleSchema),
      task: z.array(FieldRuleSchema),
      email: z.array(FieldRuleSchema),
    }),
    filters: z.strictObject({
      contact: FilterCriteriaSchema,
      appointment: FilterCriteriaSchema,
      task: FilterCriteriaSchema,
    }),
  })
  .transform((stored) => ({
    ...stored,
    fieldMaps: {
      contact: withoutAbsentLookup(stored.fieldMaps.contact),
      appointment: withoutAbsentLookup(stored.fieldMaps.appointment),
      task: withoutAbsentLookup(stored.fieldMaps.task),
      email: withoutAbsentLookup(stored.fieldMaps.email),
    },
  }));

const escapeXml = (text: string): string => text.replace(/[<>&"']/g, (char) => `&#${char.charCodeAt(0)};`);

/** The package's `info.xml`. */
export function packageInfoXml(info: PackageInfo): string {
  const preferred =
    info.preferredProduct === null ? "" : ` preferred_product="${escapeXml(info.preferredProduct)}"`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<package version="${escapeXml(info.version)}" role="${escapeXml(info.role)}">`,
    `  <compatibility${preferred}>` +
      `<products>${escapeXml(info.products)}</products>` +
      `<schemas>${escapeXml(info.schemas)}</schemas></compatibility>`,
    "</package>",
    "",
  ].join("\n");
}

/** The metadata files' JSON texts, keyed by file name. */
export function packageMetadataFiles(metadata: PackageMetadata): Record<string, string> {
  const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;
  const synced = (type: string): boolean => (metadata.entityTypes as readonly string[]).includes(type);
  return {
    [PACKAGE_FILES.entities]: json({ entityTypes: metadata.entityTypes }),
    [PACKAGE_FILES.fieldMaps]: json(
      Object.fromEntries(SYNCED_ENTITY_TYPES.filter(synced).map((type) => [type, metadata.fieldMaps[type]])),
    ),
    [PACKAGE_FILES.filters]: json(
      Object.fromEntries(
        DOWNLOADABLE_ENTITY_TYPES.filter(synced).map((type) => [type, { rules: metadata.filters[type] }]),
      ),
    ),
  };
}

/** Thrown by the readers below: what is wrong, naming the file and the place. */
export class PackageContentError extends Error {
  override readonly name = "PackageContentError";
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@",
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
});

function text(value: unknown, where: string): string {
  if (typeof value === "string") return value;
  throw new PackageContentError(`info.xml: ${where} must be text`);
}

function checkRanges(textValue: string, element: string): void {
  try {
    parseVersionRanges(textValue, element);
  } catch (error) {
    if (error instanceof SyncError)
      throw new PackageContentError(`info.xml: ${error.details ?? error.message}`);
    throw error;
  }
}

function checkVersion(value: string, where: string): void {
  try {
    if (!PACKAGE_VERSION_PATTERN.test(value.trim())) throw new SyncError("invalidVersionRange");
    parseVersion(value);
  } catch {
    throw new PackageContentError(`info.xml: ${where} "${value}" is not four dot-separated numbers`);
  }
}

/** Reads `info.xml`: the package element's version and role and the compatibility element (SPEC §11). */
export function readPackageInfo(xml: string): PackageInfo {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    throw new PackageContentError(`info.xml: line ${valid.err.line}: ${valid.err.msg}`);
  }
  const root = (parser.parse(xml) as Record<string, unknown>)["package"];
  if (typeof root !== "object" || root === null)
    throw new PackageContentError("info.xml: the root element must be <package>");
  const element = root as Record<string, unknown>;
  const version = text(element["@version"] ?? "", 'the "version" attribute of <package>');
  checkVersion(version, "<package version>");
  const role = text(element["@role"] ?? "", 'the "role" attribute of <package>').trim();
  if (role === "") throw new PackageContentError('info.xml: <package> has no "role" attribute');
  const compatibility = element["compatibility"];
  if (typeof compatibility !== "object" || compatibility === null || Array.isArray(compatibility))
    throw new PackageContentError("info.xml: <package> needs exactly one <compatibility> element");
  const compat = compatibility as Record<string, unknown>;
  const products = text(compat["products"] ?? "", "<products>").trim();
  const schemas = text(compat["schemas"] ?? "", "<schemas>").trim();
  checkRanges(products, "products");
  checkRanges(schemas, "schemas");
  const preferred = compat["@preferred_product"];
  const preferredProduct = preferred === undefined ? null : text(preferred, "preferred_product").trim();
  if (preferredProduct !== null) checkVersion(preferredProduct, "preferred_product");
  return { role, version: version.trim(), preferredProduct, products, schemas };
}

function parseJson<S extends z.ZodType>(schema: S, source: string, file: string): z.infer<S> {
  let json: unknown;
  try {
    json = JSON.parse(source);
  } catch (error) {
    throw new PackageContentError(`${file}: not JSON (${error instanceof Error ? error.message : ""})`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PackageContentError(
      `${file}: ${[...(issue?.path ?? [])].map(String).join(".") || "the document"}: ${issue?.message ?? "invalid"}`,
    );
  }
  return parsed.data;
}

/**
 * Reads the three metadata files. Every synced type needs its rule table, and every synced downloadable type its
 * filter; tables of other types are ignored (and stored empty).
 */
export function readPackageMetadata(files: Readonly<Record<string, string>>): PackageMetadata {
  const source = (name: string): string => {
    const content = files[name];
    if (content === undefined) throw new PackageContentError(`${name} is missing`);
    return content;
  };
  const { entityTypes } = parseJson(
    PackageEntitiesSchema,
    source(PACKAGE_FILES.entities),
    PACKAGE_FILES.entities,
  );
  const maps = parseJson(PackageFieldMapsSchema, source(PACKAGE_FILES.fieldMaps), PACKAGE_FILES.fieldMaps);
  const filters = parseJson(PackageFiltersSchema, source(PACKAGE_FILES.filters), PACKAGE_FILES.filters);
  const synced = new Set<string>(entityTypes);
  const table = (type: (typeof SYNCED_ENTITY_TYPES)[number]): FieldMapTable => {
    const rules = maps[type];
    if (rules === undefined && synced.has(type))
      throw new PackageContentError(
        `${PACKAGE_FILES.fieldMaps}: no rules for "${type}", which the package syncs`,
      );
    return !synced.has(type) || rules === undefined ? [] : withoutAbsentLookup(rules);
  };
  const fieldMaps: FieldMaps = {
    contact: table("contact"),
    appointment: table("appointment"),
    task: table("task"),
    email: table("email"),
  };
  const filter = (type: (typeof DOWNLOADABLE_ENTITY_TYPES)[number]): PackageFilters[typeof type] => {
    const rules = filters[type]?.rules;
    if (rules === undefined && synced.has(type))
      throw new PackageContentError(
        `${PACKAGE_FILES.filters}: no rules for "${type}", which the package syncs`,
      );
    return rules ?? DEFAULT_PACKAGE_FILTERS[type];
  };
  return {
    entityTypes,
    fieldMaps,
    filters: { contact: filter("contact"), appointment: filter("appointment"), task: filter("task") },
  };
}
