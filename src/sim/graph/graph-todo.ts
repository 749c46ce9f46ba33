import type { SimulatedItem } from "../mailbox/simulated-mailbox";

/**
 * The To Do task parts that are entities of their own: `linkedResources` (metadata: EntityType linkedResource —
 * applicationName, displayName, externalId, webUrl) and open extensions (metadata: EntityType
 * openTypeExtension — extensionName plus any data). The twin keeps them in the task's mailbox record under its
 * own keys, which are not extended property ids, so no other view of the item shows them.
 */

export type Entity = Record<string, unknown> & { readonly id: string };

const LINKED = "graph:linkedResources";
const EXTENSIONS = "graph:extensions";

export type TaskPart = "linkedResources" | "extensions";

const KEY: Readonly<Record<TaskPart, string>> = { linkedResources: LINKED, extensions: EXTENSIONS };

/** The twin's private keys, never answered as extended properties. */
export const TASK_PART_KEYS: ReadonlySet<string> = new Set([LINKED, EXTENSIONS]);

export function taskParts(item: SimulatedItem, part: TaskPart): Entity[] {
  const raw = item.extendedProperties[KEY[part]];
  return raw === undefined ? [] : (JSON.parse(raw) as Entity[]);
}

/** The mailbox patch value that stores `entities` as the task's `part`. */
export function partsValue(part: TaskPart, entities: readonly Entity[]): Record<string, string | null> {
  return { [KEY[part]]: entities.length === 0 ? null : JSON.stringify(entities) };
}

/**
 * A new entity of `part` from a request body: a linkedResource gets a server id; an open extension's id is
 * its extensionName (opentypeextension: "id … the extensionName"), and a second one with that name conflicts.
 */
export function newPart(
  part: TaskPart,
  body: Record<string, unknown>,
  existing: readonly Entity[],
  nextId: () => string,
): { readonly entity: Entity } | { readonly conflict: string } {
  const { "@odata.type": _type, id: _id, ...data } = body;
  if (part === "linkedResources") return { entity: { ...data, id: nextId() } };
  const name = typeof data.extensionName === "string" ? data.extensionName : "";
  if (existing.some((entry) => entry.id === name)) return { conflict: name };
  return {
    entity: { "@odata.type": "#microsoft.graph.openTypeExtension", ...data, extensionName: name, id: name },
  };
}

/** The data of a task's open extension with this extensionName, or null when it has none. */
export function taskExtensionData(
  item: SimulatedItem,
  extensionName: string,
): Record<string, unknown> | null {
  const found = taskParts(item, "extensions").find((entry) => entry.extensionName === extensionName);
  if (found === undefined) return null;
  const { id: _id, extensionName: _name, "@odata.type": _type, ...data } = found;
  return data;
}

/** The mailbox extended properties that give a new task one open extension (how the world seeds it). */
export function taskExtensionProperties(
  extensionName: string,
  data: Readonly<Record<string, unknown>>,
): Record<string, string> {
  const made = newPart("extensions", { ...data, extensionName }, [], () => extensionName);
  return "entity" in made ? { [KEY.extensions]: JSON.stringify([made.entity]) } : {};
}
