/**
 * What an administrator publishes (SPEC §11): a package described by its info.xml facts and, optionally, its
 * metadata (the default package's where left out), checked before it is built into a zip.
 */
import {
  DEFAULT_PACKAGE_METADATA,
  packageMetadataProblems,
  type PackageFilters,
} from "../../core/customization-package";
import { SyncError } from "../../core/errors";
import type { FieldMaps } from "../../core/field-maps";
import type { EntityType } from "../../core/types";
import { parseVersion, parseVersionRanges } from "../../core/version-range";
import { PACKAGE_VERSION_PATTERN, type PackageDefinition } from "../../protocol";

/** A package to publish: its compatibility element, and metadata that replaces the default package's. */
export interface PublishRequest {
  readonly role: string;
  /** Four-part version, e.g. `1.0.0.0`. */
  readonly version: string;
  /** The add-in version the package prefers; null leaves the attribute out. */
  readonly preferredProduct: string | null;
  /** Add-in versions and ranges that can apply it, `;`-separated (`1.0.0.0-1.9.9.9;2.0.0.0`). */
  readonly products: string;
  /** Package versions whose local data this one can take over without confirmation. */
  readonly schemas: string;
  readonly entityTypes?: readonly EntityType[];
  readonly fieldMaps?: FieldMaps;
  readonly filters?: PackageFilters;
  /** File names to leave out of the zip: a broken package on purpose (the simulator's content errors). */
  readonly omit?: readonly string[];
}

/** The zip definition of a publish request; missing metadata is the default package's. */
export function definitionOf(request: PublishRequest): PackageDefinition {
  return {
    info: {
      role: request.role,
      version: request.version,
      preferredProduct: request.preferredProduct,
      products: request.products,
      schemas: request.schemas,
    },
    metadata: {
      entityTypes: request.entityTypes ?? DEFAULT_PACKAGE_METADATA.entityTypes,
      fieldMaps: request.fieldMaps ?? DEFAULT_PACKAGE_METADATA.fieldMaps,
      filters: request.filters ?? DEFAULT_PACKAGE_METADATA.filters,
    },
    ...(request.omit === undefined ? {} : { omit: request.omit }),
  };
}

function rangeProblem(text: string, element: "products" | "schemas"): string | null {
  try {
    parseVersionRanges(text, element);
    return null;
  } catch (error) {
    if (error instanceof SyncError) return error.details ?? error.message;
    throw error;
  }
}

/** The first problem of a publish request, naming its field, or null when it can be published. */
export function packageDefinitionProblem(
  request: PublishRequest,
): { readonly field: string; readonly message: string } | null {
  if (request.role.trim() === "") return { field: "role", message: "must not be empty" };
  const versions: [string, string | null][] = [
    ["version", request.version],
    ["preferredProduct", request.preferredProduct],
  ];
  for (const [field, value] of versions) {
    if (value === null) continue;
    if (!PACKAGE_VERSION_PATTERN.test(value)) {
      return { field, message: `"${value}" is not four dot-separated numbers, e.g. 1.0.0.0` };
    }
    parseVersion(value);
  }
  for (const element of ["products", "schemas"] as const) {
    const problem = rangeProblem(request[element], element);
    if (problem !== null) return { field: element, message: problem };
  }
  const problems = packageMetadataProblems(definitionOf(request).metadata);
  return problems.length === 0 ? null : { field: "metadata", message: problems.join("; ") };
}
