/**
 * The CRM's record-level rules (docs/SPEC.md "CRM record access") as one table: for each record type and
 * action, the relations to the record that allow it. An administrator may do everything. Reads are checked in
 * SQL ({@link readableBy}, derived from the same table); writes are checked on the locked row with
 * {@link relationsOf} and {@link permits}. A user who may not read a record is told it does not exist.
 */
import { invariant } from "../../core/errors";
import { FILTER_CRITERIA } from "../../core/filter-rules";
import type { CrmRecordType, Fields } from "../../core/types";
import { CRM_RECORD_TYPES, LIMITS } from "../../protocol";
import { attendeesOf, organizerOf } from "./record-columns";

/** How a user stands to a record. */
export type RecordRelation = "owner" | "organizer" | "attendee" | "tracker";

/** What a user does to a record. `assign` changes its owner. */
export type RecordAction = "read" | "update" | "delete" | "assign";

export const RECORD_ACCESS: Readonly<
  Record<CrmRecordType, Readonly<Record<RecordAction, readonly RecordRelation[]>>>
> = {
  contact: { read: ["owner", "tracker"], update: ["owner", "tracker"], delete: ["owner"], assign: ["owner"] },
  appointment: {
    read: ["owner", "organizer", "attendee"],
    update: ["owner", "organizer"],
    delete: ["owner", "organizer"],
    assign: ["owner"],
  },
  task: { read: ["owner"], update: ["owner"], delete: ["owner"], assign: ["owner"] },
  email: { read: ["owner", "tracker"], update: ["owner", "tracker"], delete: ["owner"], assign: ["owner"] },
  account: { read: ["owner"], update: ["owner"], delete: ["owner"], assign: ["owner"] },
};

/** The types a user may mark as tracked by hand: those whose SPEC §4 filter counts the marker. */
export const TRACKABLE_TYPES: readonly CrmRecordType[] = CRM_RECORD_TYPES.filter((type) =>
  FILTER_CRITERIA[type].includes("trackedByHand"),
);

const typesWhere = (action: RecordAction, relation: RecordRelation): CrmRecordType[] =>
  CRM_RECORD_TYPES.filter((type) => RECORD_ACCESS[type][action].includes(relation));

for (const type of CRM_RECORD_TYPES) {
  const rules = RECORD_ACCESS[type];
  for (const action of ["update", "delete", "assign"] as const) {
    invariant(
      rules[action].every((relation) => rules.read.includes(relation)),
      `${type}: whoever may ${action} it may read it`,
    );
  }
  invariant(
    rules.read.includes("tracker") === TRACKABLE_TYPES.includes(type),
    `${type}: a tracked-by-hand marker grants access exactly where the filter counts it`,
  );
  invariant(
    rules.read.includes("organizer") === rules.read.includes("attendee") &&
      (!rules.read.includes("attendee") || type === "appointment"),
    `${type}: the parties column serves appointments read by organizer and attendees together`,
  );
}

/** True when a user with `relations` (or an administrator) may do `action` to a record of `type`. */
export function permits(
  type: CrmRecordType,
  action: RecordAction,
  relations: ReadonlySet<RecordRelation>,
  administrator: boolean,
): boolean {
  return administrator || RECORD_ACCESS[type][action].some((relation) => relations.has(relation));
}

const RELATION_NAMES: Readonly<Record<RecordRelation, string>> = {
  owner: "owner",
  organizer: "organizer",
  attendee: "attendees",
  tracker: "users who track it by hand",
};

const TYPE_NAMES: Readonly<Record<CrmRecordType, string>> = {
  contact: "contact",
  appointment: "appointment",
  task: "task",
  email: "e-mail",
  account: "account",
};

/** Who may do `action` to a record of `type`, in words: "only its owner or organizer may delete this appointment". */
export function whoMay(type: CrmRecordType, action: RecordAction): string {
  const names = RECORD_ACCESS[type][action].map((relation) => RELATION_NAMES[relation]);
  const list = names.length > 1 ? `${names.slice(0, -1).join(", ")} or ${names.at(-1)}` : (names[0] ?? "");
  return `only its ${list} (or a CRM administrator) may ${action} this ${TYPE_NAMES[type]}`;
}

/** The names a user is known by in organizer and attendee fields: lower-cased id and e-mails. */
export type UserKeys = readonly string[];

const key = (value: string): string => value.trim().toLowerCase().slice(0, LIMITS.listItemLength);

/** The relations `userId` (known by `keys`) has to a record; `tracked` tells whether they marked it. */
export function relationsOf(
  record: { readonly type: CrmRecordType; readonly owner: string; readonly fields: Fields },
  userId: string,
  keys: UserKeys,
  tracked: boolean,
): Set<RecordRelation> {
  const relations = new Set<RecordRelation>();
  const known = new Set(keys);
  if (record.owner === userId) relations.add("owner");
  if (record.type === "appointment") {
    const organizer = organizerOf(record.fields);
    if (organizer !== null && known.has(key(organizer))) relations.add("organizer");
    if (attendeesOf(record.fields).some((attendee) => known.has(key(attendee)))) relations.add("attendee");
  }
  if (tracked && TRACKABLE_TYPES.includes(record.type)) relations.add("tracker");
  return relations;
}

const sqlTypes = (types: readonly CrmRecordType[]): string =>
  `ARRAY[${types.map((type) => `'${type}'`).join(", ")}]::text[]`;

/** SQL: the lower-cased id and e-mails of user `param`. */
export const userKeysSql = (param: string): string =>
  `(SELECT array_append(u.emails, lower(u.id)) FROM users u WHERE u.id = ${param})`;

/** SQL: user `param` is an administrator. */
export const administratorSql = (param: string): string =>
  `EXISTS (SELECT 1 FROM users a WHERE a.id = ${param} AND a.administrator)`;

/**
 * SQL condition: user `param` may read record `r` ({@link RECORD_ACCESS} `read`). Organizer and attendees are
 * matched through the `parties` column, which holds both, lower-cased.
 */
export const readableBy = (
  param: string,
): string => `((r.owner = ${param} AND r.type = ANY(${sqlTypes(typesWhere("read", "owner"))}))
  OR (r.type = ANY(${sqlTypes(typesWhere("read", "attendee"))}) AND r.parties && ${userKeysSql(param)})
  OR (r.type = ANY(${sqlTypes(typesWhere("read", "tracker"))})
      AND EXISTS (SELECT 1 FROM tracked_by_hand t WHERE t.user_id = ${param} AND t.record_id = r.id))
  OR ${administratorSql(param)})`;
