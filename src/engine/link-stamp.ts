/**
 * What the engine writes on Outlook items so tracking survives a lost cache (SPEC §7), and the idempotency
 * keys of creates (docs/DESIGN.md "Habits"). Keys derive from stable ids, so a replay after a crash, a second
 * client, or a rebuilt cache asks for the same create again and gets the first result.
 */
import type { EntityType } from "../core/types";

/** The category every tracked item carries (created in the master list on first use). */
export const TRACKED_CATEGORY = "Tracked to CRM";
/** The category an item gets after its change failed MAX_ATTEMPTS times (SPEC §5). */
export const ERROR_CATEGORY = "CRM Sync Error";
/** Master-list colours of the two categories (Office.MailboxEnums.CategoryColor names). */
export const TRACKED_CATEGORY_COLOR = "Preset4";
export const ERROR_CATEGORY_COLOR = "Preset0";

/** 64-bit FNV-1a of a string as 16 hex digits: short, stable, and collision-safe enough for keys. */
export function stableHash(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= BigInt(text.charCodeAt(index));
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, "0");
}

/** Key of the Outlook item made for CRM record `crmId`: the same record always asks for the same item. */
export function outlookCreateKey(crmId: string): string {
  return `crm-${crmId}`;
}

/**
 * Key of the CRM record made for a tracked item. E-mail uses its internet message id, so every client that
 * tracks the same message reaches one record; other items use the mapping id recorded before the create.
 */
export function crmCreateKey(type: EntityType, mapId: string, internetMessageId: string | null): string {
  if (type === "email" && internetMessageId !== null) return `msg-${stableHash(internetMessageId)}`;
  return `map-${mapId}`;
}

/**
 * Key of the CRM exception record made for the exception at `originalStart` when the series of mapping
 * `seriesMapId` is tracked (SPEC §15): a repeated tracking cycle asks for the same records again.
 */
export function exceptionCreateKey(seriesMapId: string, originalStart: string): string {
  return `map-${seriesMapId}-${stableHash(originalStart)}`;
}

/** Categories with `add` present once and every `remove` gone, order kept. */
export function withCategories(
  categories: readonly string[],
  add: readonly string[],
  remove: readonly string[] = [],
): string[] {
  const next = categories.filter((name) => !remove.includes(name));
  for (const name of add) if (!next.includes(name)) next.push(name);
  return next;
}
