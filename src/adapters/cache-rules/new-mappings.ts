/**
 * The mappings a cache makes by itself, shared by every LocalCache adapter: a first Outlook notice with
 * `create` makes a mapping without a record, a CRM page entry for an unseen record one without an item.
 */
import type { EntityType } from "../../core/types";
import type { Mapping } from "../../ports/local-cache";

/** The mapping that a first Outlook notice creates: no CRM record yet. */
export function outlookMapping(
  itemId: string,
  create: { readonly mapId: string; readonly type: EntityType; readonly trackedByHand: boolean },
): Mapping {
  return { ...newMapping(create.mapId, create.type), itemId, trackedByHand: create.trackedByHand };
}

/** The mapping that a CRM page creates for an unseen record: no Outlook item yet. */
export function crmMapping(mapId: string, crmId: string, type: EntityType): Mapping {
  return { ...newMapping(mapId, type), crmId };
}

function newMapping(mapId: string, type: EntityType): Mapping {
  return {
    mapId,
    crmId: null,
    itemId: null,
    type,
    deletedLocally: false,
    linked: false,
    visited: false,
    verifiedTime: 0,
    crmVersion: null,
    trackedByHand: false,
    snapshot: { outlook: null, crm: null },
  };
}
