import { CONTACT_EXTENDED_FIELDS, fieldsToGraph } from "../../adapters/graph/graph-fields";
import type { SimulatedItem } from "../mailbox/simulated-mailbox";

/** Which id an answer names items by: the REST id, or the immutable id (`Prefer: IdType="ImmutableId"`). */
export type IdForm = "rest" | "immutable";

/**
 * A simulated item as the Graph resource JSON the subset server answers with: the mapped fields plus the
 * server's own properties (id, changeKey, lastModifiedDateTime, categories, …). Extended properties appear
 * only when asked for by id ($expand=singleValueExtendedProperties($filter=id eq '…')), as in Graph.
 */
export function itemToGraph(
  item: SimulatedItem,
  expandIds: readonly string[] = [],
  idForm: IdForm = "rest",
): Record<string, unknown> {
  const { singleValueExtendedProperties: contactExtended, ...mapped } = fieldsToGraph(item.type, item.fields);
  const json: Record<string, unknown> = {
    id: idForm === "immutable" ? item.immutableId : item.itemId,
    changeKey: item.changeKey,
    createdDateTime: iso(item.createdAt),
    lastModifiedDateTime: iso(item.modifiedAt),
    categories: [...item.categories],
    ...mapped,
  };
  if (item.type === "contact" || item.type === "email") json.parentFolderId = item.folderId;
  if (item.type === "appointment") {
    json.iCalUId = item.fields.iCalUId ?? null;
    json.transactionId = item.transactionId;
  }
  if (item.type === "email") {
    json.sentDateTime = item.fields.sentAt ?? null;
    json.receivedDateTime = item.fields.receivedAt ?? null;
    json.internetMessageId = item.fields.internetMessageId ?? null;
    json.isDraft = item.fields.sentAt === undefined && item.fields.receivedAt === undefined;
  }
  if (expandIds.length > 0) {
    const available = new Map(Object.entries(item.extendedProperties));
    if (Array.isArray(contactExtended)) {
      for (const entry of contactExtended as { id: string; value: string }[]) {
        if (entry.value !== "") available.set(entry.id, entry.value);
      }
    }
    json.singleValueExtendedProperties = expandIds
      .filter((id) => available.has(id))
      .map((id) => ({ id, value: available.get(id) }));
  }
  return json;
}

/** Ids of the contact fields held in extended properties (the server maps them to fields, not to properties). */
export const CONTACT_FIELD_PROPERTY_IDS: ReadonlySet<string> = new Set(
  Object.values(CONTACT_EXTENDED_FIELDS),
);

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
