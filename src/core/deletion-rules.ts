/**
 * The deletion rules of SPEC §8 as tables, both directions. Outcomes:
 * - `delete`: delete the object on the other side.
 * - `unlinkKeep`: the rule applies to this type but its conditions keep the other object; it stays, unlinked.
 * - `ignore`: this kind of delete never propagates for this type (SPEC "never deleted in …"); the other
 *   object is left alone. Like `unlinkKeep`, the link to the gone object ends.
 */
import { SyncError } from "./errors";
import { readValue } from "./field-values";
import { occurrenceStart, parseRecurrence, rangeEndDate } from "./recurrence";
import { firstMatch, type FactRow } from "./rule-table";
import type { EntityType, Fields } from "./types";

/** What to do to the object on the other side. */
export type DeletionOutcome = "delete" | "unlinkKeep" | "ignore";

/** Why the Outlook item stopped being synced. */
export type OutlookRemovalReason = "deleted" | "untracked";

/** Facts about an Outlook delete or untrack that the table reads. */
export type OutlookDeleteFact =
  | "untracked"
  | "userChoseDelete"
  | "crmOpenOrScheduled"
  | "crmCompleted"
  | "startInFuture"
  | "userIsOwnerOrOrganizer";

/** Facts about a CRM delete that the table reads. */
export type CrmDeleteFact = "userIsCrmOwner" | "startInFuture" | "outlookCompleted";

/** SPEC §8 "Deleted in Outlook": per type, first matching row wins. */
export const CRM_SIDE_OF_OUTLOOK_DELETE: Readonly<
  Record<EntityType, readonly FactRow<OutlookDeleteFact, DeletionOutcome>[]>
> = {
  contact: [
    { when: { untracked: false }, outcome: "ignore" },
    { when: { userChoseDelete: true }, outcome: "delete" },
    { when: {}, outcome: "unlinkKeep" },
  ],
  appointment: [
    {
      when: { crmOpenOrScheduled: true, startInFuture: true, userIsOwnerOrOrganizer: true },
      outcome: "delete",
    },
    { when: {}, outcome: "unlinkKeep" },
  ],
  task: [
    { when: { crmCompleted: false }, outcome: "delete" },
    { when: {}, outcome: "unlinkKeep" },
  ],
  email: [
    { when: { untracked: false }, outcome: "ignore" },
    { when: { userChoseDelete: true }, outcome: "delete" },
    { when: {}, outcome: "unlinkKeep" },
  ],
};

/** SPEC §8 "Deleted in the CRM": per type, first matching row wins. */
export const OUTLOOK_SIDE_OF_CRM_DELETE: Readonly<
  Record<EntityType, readonly FactRow<CrmDeleteFact, DeletionOutcome>[]>
> = {
  contact: [
    { when: { userIsCrmOwner: false }, outcome: "delete" },
    { when: {}, outcome: "unlinkKeep" },
  ],
  appointment: [
    { when: { startInFuture: true }, outcome: "delete" },
    { when: {}, outcome: "unlinkKeep" },
  ],
  task: [
    { when: { outlookCompleted: false }, outcome: "delete" },
    { when: {}, outcome: "unlinkKeep" },
  ],
  email: [{ when: {}, outcome: "ignore" }],
};

/** Whether untracking offers "also delete in the CRM?" (SPEC §8: contacts and e-mails). */
export const DELETE_CHOICE_ON_UNTRACK: Readonly<Record<EntityType, boolean>> = {
  contact: true,
  appointment: false,
  task: false,
  email: true,
};

/** CRM appointment states that count as open or scheduled (0 open, 3 scheduled). */
const OPEN_OR_SCHEDULED_STATES: readonly number[] = [0, 3];
/** The CRM task state "completed". */
const COMPLETED_STATE = 1;

function isFuture(fields: Fields, key: string, now: number): boolean {
  if (!Number.isFinite(now))
    throw new SyncError("invalidInput", {
      details: `Deletion rules: now ${String(now)} is not a finite time.`,
    });
  const value = readValue(fields, key);
  if (value === null) return false;
  const at = typeof value === "string" ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(at)) {
    throw new SyncError("invalidInput", {
      details: `Deletion rules: ${key} ${JSON.stringify(value)} is not a date and time.`,
    });
  }
  return at > now;
}

/**
 * "Starts in the future" for an appointment: its start is later than now; for a recurring series (SPEC §15),
 * its last occurrence is (a series without an end always is).
 */
function appointmentInFuture(fields: Fields, startKey: string, patternKey: string, now: number): boolean {
  const pattern = readValue(fields, patternKey);
  const start = readValue(fields, startKey);
  if (typeof pattern !== "string" || typeof start !== "string" || Number.isNaN(Date.parse(start)))
    return isFuture(fields, startKey, now);
  const end = rangeEndDate(parseRecurrence(pattern));
  return end === null || isFuture({ last: occurrenceStart(start, end) }, "last", now);
}

/** Input of {@link decideCrmSideOfOutlookDelete}. */
export interface OutlookDeleteInput {
  readonly type: EntityType;
  readonly reason: OutlookRemovalReason;
  /** The CRM record's current fields (CRM keys). */
  readonly crm: Fields;
  /** Milliseconds since the epoch, from the Clock port. */
  readonly now: number;
  readonly userIsOwnerOrOrganizer: boolean;
  /** The user's answer to "also delete in the CRM?" when untracking; false when not asked. */
  readonly userChoseDelete: boolean;
}

/**
 * What to do to the CRM record when its Outlook item was deleted or untracked (SPEC §8), read from
 * {@link CRM_SIDE_OF_OUTLOOK_DELETE}. A task's rule applies to deletes and untracks alike, as the appointment's does.
 * Throws `SyncError("invalidInput")` when `scheduledstart` is not a date or `now` is not finite.
 */
export function decideCrmSideOfOutlookDelete(input: OutlookDeleteInput): DeletionOutcome {
  const state = readValue(input.crm, "statecode");
  return firstMatch(
    `Deletion rules for a deleted Outlook ${input.type}`,
    CRM_SIDE_OF_OUTLOOK_DELETE[input.type],
    {
      untracked: input.reason === "untracked",
      userChoseDelete: input.userChoseDelete,
      crmOpenOrScheduled: typeof state === "number" && OPEN_OR_SCHEDULED_STATES.includes(state),
      crmCompleted: state === COMPLETED_STATE,
      startInFuture:
        input.type === "appointment" &&
        appointmentInFuture(input.crm, "scheduledstart", "recurrencepattern", input.now),
      userIsOwnerOrOrganizer: input.userIsOwnerOrOrganizer,
    },
  );
}

/** Input of {@link decideOutlookSideOfCrmDelete}. */
export interface CrmDeleteInput {
  readonly type: EntityType;
  /** The Outlook item's current fields (Outlook keys). */
  readonly outlook: Fields;
  /** Milliseconds since the epoch, from the Clock port. */
  readonly now: number;
  readonly userIsCrmOwner: boolean;
}

/**
 * What to do to the Outlook item when its CRM record was deleted or left the filter as a delete (SPEC §8),
 * read from {@link OUTLOOK_SIDE_OF_CRM_DELETE}. Throws `SyncError("invalidInput")` when the appointment's
 * `start` is not a date or `now` is not finite.
 */
export function decideOutlookSideOfCrmDelete(input: CrmDeleteInput): DeletionOutcome {
  return firstMatch(
    `Deletion rules for a deleted CRM ${input.type}`,
    OUTLOOK_SIDE_OF_CRM_DELETE[input.type],
    {
      userIsCrmOwner: input.userIsCrmOwner,
      startInFuture:
        input.type === "appointment" && appointmentInFuture(input.outlook, "start", "recurrence", input.now),
      outlookCompleted: readValue(input.outlook, "status") === "completed",
    },
  );
}

/** True when untracking an item of `type` asks the user whether to delete the CRM record too. */
export function offersDeleteChoiceOnUntrack(type: EntityType): boolean {
  return DELETE_CHOICE_ON_UNTRACK[type];
}
