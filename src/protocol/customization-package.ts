/**
 * Layout of a customization package (SPEC §11): a zip holding `info.xml` and the metadata files below.
 *
 * `info.xml`:
 * ```xml
 * <package version="1.0.0.0" role="salesperson">
 *   <compatibility preferred_product="V"><products>R</products><schemas>R</schemas></compatibility>
 * </package>
 * ```
 * - `entities.json`: `{ "entityTypes": ["contact", …] }`, the entity types the package syncs;
 * - `field-maps.json`: a FieldMaps object (src/core/field-maps.ts) replacing the default mapping;
 * - `filters.json`: `{ "<type>": { "rules": ["owner" | "trackedByHand" | "organizer" | "attendee"] } }`,
 *   SPEC §4's local data rules as data.
 */

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
