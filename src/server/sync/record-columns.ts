/**
 * The columns the server derives from a record's CRM fields: the look-up name, a contact's parent account,
 * an appointment's parties (organizer and attendees, for the filter) and an e-mail's regarding record.
 */
import type { CrmRecordType, FieldValue, Fields } from "../../core/types";
import { LIMITS } from "../../protocol";

/** Longest look-up name kept in the index; longer names are cut (btree entries are bounded). */
const SEARCH_NAME_LENGTH = 256;

/** CRM keys the server reads. */
export const CRM_KEYS = {
  parentAccount: "parentaccount",
  regarding: "regardingobjectid",
  organizer: "organizer",
  requiredAttendees: "requiredattendees",
  optionalAttendees: "optionalattendees",
} as const;

/** The derived columns of one record; `null` where the type has no such column. */
export interface DerivedColumns {
  readonly searchName: string | null;
  readonly parentAccountId: string | null;
  readonly parties: string[] | null;
  readonly regardingId: string | null;
}

const text = (value: FieldValue | undefined): string | null =>
  typeof value === "string" && value.trim() !== "" ? value.trim() : null;

/** A list field as strings: a list, or one string split on `;` and `,`. */
export function listOf(value: FieldValue | undefined): string[] {
  if (Array.isArray(value)) {
    return (value as readonly string[]).map((entry) => entry.trim()).filter((entry) => entry !== "");
  }
  const single = text(value);
  return single === null
    ? []
    : single
        .split(/[;,]/)
        .map((entry) => entry.trim())
        .filter((entry) => entry !== "");
}

/** The name the look-up shows: an account's `name`, a contact's `fullname` or first + middle + last name. */
export function displayName(type: CrmRecordType, fields: Fields): string | null {
  if (type === "account") return text(fields["name"]);
  if (type !== "contact") return text(fields["subject"]);
  return (
    text(fields["fullname"]) ??
    text([fields["firstname"], fields["middlename"], fields["lastname"]].map(text).filter(Boolean).join(" "))
  );
}

/** An appointment's organizer, if any. */
export const organizerOf = (fields: Fields): string | null => text(fields[CRM_KEYS.organizer]);

/** An appointment's required and optional attendees. */
export const attendeesOf = (fields: Fields): string[] => [
  ...listOf(fields[CRM_KEYS.requiredAttendees]),
  ...listOf(fields[CRM_KEYS.optionalAttendees]),
];

/** Derives the columns of a record of `type` from its fields. */
export function deriveColumns(type: CrmRecordType, fields: Fields): DerivedColumns {
  const organizer = organizerOf(fields);
  return {
    searchName:
      type === "account" || type === "contact"
        ? (displayName(type, fields)?.toLowerCase().slice(0, SEARCH_NAME_LENGTH) ?? null)
        : null,
    parentAccountId: type === "contact" ? text(fields[CRM_KEYS.parentAccount]) : null,
    parties:
      type === "appointment"
        ? [
            ...new Set(
              [...(organizer === null ? [] : [organizer]), ...attendeesOf(fields)].map((party) =>
                party.toLowerCase().slice(0, LIMITS.listItemLength),
              ),
            ),
          ]
        : null,
    regardingId: type === "email" ? text(fields[CRM_KEYS.regarding]) : null,
  };
}

/** A copy of `fields` without null values (null and missing mean the same). */
export function withoutNulls(fields: Fields): Record<string, Exclude<FieldValue, null>> {
  const result: Record<string, Exclude<FieldValue, null>> = {};
  for (const [key, value] of Object.entries(fields)) if (value !== null) result[key] = value;
  return result;
}
