/**
 * The errors every LocalCache adapter gives for the same bad input, so that the caches cannot disagree on
 * what they tell the caller (each names the field, as the port promises).
 */
import { SyncError } from "../../core/errors";
import type { EntityType } from "../../core/types";
import type { Mapping } from "../../ports/local-cache";

/** No mapping for the item and no `create`: the caller must say how to create one. */
export function noMappingError(itemId: string): SyncError {
  return new SyncError("invalidInput", {
    details: `change.itemId: no mapping exists for item ${itemId}; pass change.create to create one.`,
  });
}

/** A new mapping's id is already taken. */
export function mapIdInUseError(mapId: string): SyncError {
  return new SyncError("invalidInput", { details: `mapId ${mapId} is already in use by another mapping.` });
}

/** A page entry names a record of another type than its mapping. */
export function typeMismatchError(
  change: { readonly crmId: string; readonly type: EntityType },
  mapping: Mapping,
): SyncError {
  return new SyncError("invalidInput", {
    details: `page.entries: ${change.crmId} is a ${change.type} in the page but mapping ${mapping.mapId} is a ${mapping.type}.`,
  });
}

/** A mapping's crmId or itemId already belongs to another mapping (`owner`, when known). */
export function uniqueKeyError(mapId: string, owner?: string): SyncError {
  const holder = owner === undefined ? "another mapping" : `mapping ${owner}`;
  return new SyncError("invalidInput", {
    details: `mappings: mapping ${mapId} has a crmId or itemId that already belongs to ${holder}.`,
  });
}
