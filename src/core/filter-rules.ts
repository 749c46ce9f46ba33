/**
 * The local data rules of SPEC §4: which CRM records belong to a user's sync filter, and what a client
 * does with a record that left it. Membership is a table of criteria per record type.
 */
import type { CrmRecordType, FieldValue, Fields } from "./types";

/** A CRM record as the filter sees it. Organizer and attendees are user ids or e-mail addresses. */
export interface FilterRecord {
  readonly type: CrmRecordType;
  readonly owner: string;
  readonly organizer?: string | null;
  readonly attendees?: readonly string[];
}

/** The user the filter is for: their id and every e-mail address they are known by. */
export interface FilterUser {
  readonly id: string;
  readonly emails: readonly string[];
}

/** One way a record can belong to a user's filter. */
export type FilterCriterion = "owner" | "organizer" | "attendee" | "trackedByHand";

/**
 * SPEC §4, per type: a record is in the filter when any listed criterion holds. Contacts: owned or tracked by hand;
 * appointments: organizer or attendee; tasks: owned; e-mails: only those tracked (by hand); accounts never sync.
 */
export const FILTER_CRITERIA: Readonly<Record<CrmRecordType, readonly FilterCriterion[]>> = {
  contact: ["owner", "trackedByHand"],
  appointment: ["organizer", "attendee"],
  task: ["owner"],
  email: ["trackedByHand"],
  account: [],
};

/** What a client does with a record reported as `leftFilter`. */
export type LeftFilterAction = "treatAsDelete" | "keep";

function matchesUser(user: FilterUser, who: string | null | undefined): boolean {
  if (who === null || who === undefined) return false;
  const wanted = who.trim().toLowerCase();
  return [user.id, ...user.emails].some((name) => name.trim().toLowerCase() === wanted);
}

/**
 * True when the record belongs to the user's filter (SPEC §4). The user matches an owner, organizer or attendee
 * by id or by any of their e-mail addresses, case-insensitively. `criteria` replaces a type's criteria (a
 * customization package's filter); types it does not name keep {@link FILTER_CRITERIA}.
 */
export function isInFilter(
  record: FilterRecord,
  user: FilterUser,
  trackedByHand: boolean,
  criteria: Readonly<Partial<Record<CrmRecordType, readonly FilterCriterion[]>>> = FILTER_CRITERIA,
): boolean {
  const holds: Readonly<Record<FilterCriterion, () => boolean>> = {
    owner: () => matchesUser(user, record.owner),
    organizer: () => matchesUser(user, record.organizer),
    attendee: () => (record.attendees ?? []).some((attendee) => matchesUser(user, attendee)),
    trackedByHand: () => trackedByHand,
  };
  return (criteria[record.type] ?? FILTER_CRITERIA[record.type]).some((criterion) => holds[criterion]());
}

function textOf(value: FieldValue | undefined): string | null {
  return typeof value === "string" && value.trim() !== "" ? value.trim() : null;
}

/** A list field as names: a list, or one text split on ";" and "," (as the server reads attendees). */
function namesOf(value: FieldValue | undefined): string[] {
  const entries = Array.isArray(value) ? (value as readonly string[]) : (textOf(value)?.split(/[;,]/) ?? []);
  return entries.map((entry) => entry.trim()).filter((entry) => entry !== "");
}

/** A record as the filter reads it, from its owner and CRM fields (`organizer`, required and optional attendees). */
export function filterRecordOf(type: CrmRecordType, owner: string, fields: Fields): FilterRecord {
  return {
    type,
    owner,
    organizer: textOf(fields["organizer"]),
    attendees: [...namesOf(fields["requiredattendees"]), ...namesOf(fields["optionalattendees"])],
  };
}

/**
 * SPEC §4: a record that left the filter is a CRM-side delete, except a contact the user tracked by hand,
 * which stays.
 */
export function leftFilterAction(type: CrmRecordType, trackedByHand: boolean): LeftFilterAction {
  return type === "contact" && trackedByHand ? "keep" : "treatAsDelete";
}
