/**
 * Match keys for initial synchronization (SPEC §12): after the CRM id stored on an item, an unlinked item
 * and record are paired when their match keys are equal. Contacts match by normalized e-mail,
 * appointments by iCalUId; other types have no match key.
 */
import type { EntityType, Fields, Side } from "./types";
import { readValue } from "./field-values";

/** The field that holds the match key, per type and side. Types without an entry have no match key. */
export const MATCH_KEY_FIELDS: Readonly<Partial<Record<EntityType, Readonly<Record<Side, string>>>>> = {
  contact: { outlook: "email1Address", crm: "emailaddress1" },
  appointment: { outlook: "iCalUId", crm: "globalobjectid" },
};

const ADDRESS = /^[^\s@]+@[^\s@]+$/;

/**
 * The canonical form of an e-mail address: trimmed, without a `mailto:` prefix or a display name
 * (`Ann Lee <ann@example.com>`), lower-cased. Returns null when the text is not one address.
 */
export function normalizeEmail(text: string): string | null {
  let address = text.trim();
  const angle = /<([^<>]*)>\s*$/.exec(address);
  if (angle?.[1] !== undefined) address = angle[1].trim();
  address = address.replace(/^mailto:/i, "").toLowerCase();
  return ADDRESS.test(address) ? address : null;
}

/**
 * The match key of an item or record: the normalized first e-mail of a contact, the iCalUId of an appointment,
 * null for other types or when the field has no usable value. Equal keys on both sides mean "same object".
 */
export function matchKey(type: EntityType, fields: Fields, side: Side): string | null {
  const key = MATCH_KEY_FIELDS[type]?.[side];
  if (key === undefined) return null;
  const value = readValue(fields, key);
  if (typeof value !== "string") return null;
  if (type === "contact") return normalizeEmail(value);
  const trimmed = value.trim();
  return trimmed === "" ? null : trimmed;
}
