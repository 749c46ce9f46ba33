/** Builds customization package zips (layout in src/protocol/customization-package.ts) with fflate. */
import { strToU8, zipSync } from "fflate";
import { DEFAULT_FIELD_MAPS, type FieldMaps } from "../../core/field-maps";
import { DOWNLOADABLE_ENTITY_TYPES, type EntityType } from "../../core/types";
import { PACKAGE_FILES } from "../../protocol";

/** What a package says: its version, compatibility ranges (SPEC §11) and metadata. */
export interface PackageDefinition {
  readonly role: string;
  /** Four-part version, e.g. `1.0.0.0`. */
  readonly version: string;
  /** The add-in version the package prefers. */
  readonly preferredProduct: string;
  /** Add-in versions and ranges that can apply it, `;`-separated (`1.0.0.0-1.9.9.9;2.0.0.0`). */
  readonly products: string;
  /** Package versions whose local data this one can take over without confirmation. */
  readonly schemas: string;
  readonly entityTypes?: readonly EntityType[];
  readonly fieldMaps?: FieldMaps;
}

/** SPEC §4's filter rules as package data. */
export const DEFAULT_FILTERS = {
  contact: { rules: ["owner", "trackedByHand"] },
  appointment: { rules: ["organizer", "attendee"] },
  task: { rules: ["owner"] },
} as const;

const escapeXml = (text: string): string => text.replace(/[<>&"']/g, (char) => `&#${char.charCodeAt(0)};`);

/** The package's `info.xml`. */
export function packageInfoXml(definition: PackageDefinition): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<package version="${escapeXml(definition.version)}" role="${escapeXml(definition.role)}">`,
    `  <compatibility preferred_product="${escapeXml(definition.preferredProduct)}">` +
      `<products>${escapeXml(definition.products)}</products>` +
      `<schemas>${escapeXml(definition.schemas)}</schemas></compatibility>`,
    "</package>",
    "",
  ].join("\n");
}

/** The zip of a package: info.xml plus entities, field maps (default: SPEC §2) and filters. */
export function buildPackageZip(definition: PackageDefinition): Uint8Array {
  const json = (value: unknown): Uint8Array => strToU8(JSON.stringify(value, null, 2));
  return zipSync({
    [PACKAGE_FILES.info]: strToU8(packageInfoXml(definition)),
    [PACKAGE_FILES.entities]: json({
      entityTypes: definition.entityTypes ?? [...DOWNLOADABLE_ENTITY_TYPES, "email"],
    }),
    [PACKAGE_FILES.fieldMaps]: json(definition.fieldMaps ?? DEFAULT_FIELD_MAPS),
    [PACKAGE_FILES.filters]: json(DEFAULT_FILTERS),
  });
}
