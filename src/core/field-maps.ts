/**
 * The field mapping of SPEC §2 as plain data. A customization package can ship a replacement
 * {@link FieldMaps} as JSON; {@link validateFieldMaps} checks one before it is used.
 *
 * Each rule pairs one or more Outlook keys with one or more CRM keys, says which way values flow,
 * and names the codec (see codecs.ts) that converts between the two. Value tables such as priority
 * or task status live inside the rule, so they can be replaced with the rest of the map.
 *
 * Beyond the SPEC tables, an appointment tracked from Outlook sends its `iCalUId` to the CRM as
 * `globalobjectid`, so initial sync can match the pair later (SPEC §12). A recurring series carries its
 * pattern and its cancelled occurrences, and an exception record its original start (SPEC §15).
 */
import type { EntityType } from "./types";

/**
 * Which way a rule's values flow.
 * - `both`: merged in both directions (SPEC §6).
 * - `crmToOutlook`: written to Outlook from the CRM's values; never sent to the CRM (reminder, company name).
 * - `onTrack`: sent to the CRM when the record is created from a tracked Outlook item, never merged
 *   afterwards (e-mail fields other than `regarding`, SPEC §2 "E-mail").
 */
export type RuleDirection = "both" | "crmToOutlook" | "onTrack";

/**
 * How a rule converts values:
 * - `plain`: one Outlook key ↔ one CRM key, value unchanged.
 * - `street3`: one multi-line Outlook street ↔ three CRM lines; a 4th or later line joins line 3 with ", ".
 * - `lookup`: one Outlook value ↔ a tuple of CRM values, through the rule's {@link LookupTable}.
 * - `reminderFromDue`: Outlook reminder time from the CRM due date-time; no reminder when it has no time part.
 * - `companyFromParent`: Outlook company name from the parent account's name (given in the mapping options).
 * - `recurrence`: a series' recurrence pattern, the same canonical text on both sides (see recurrence.ts).
 * - `occurrenceList`: the original starts of a series' cancelled occurrences, canonical and sorted on both sides.
 */
export type CodecName =
  "plain" | "street3" | "lookup" | "reminderFromDue" | "companyFromParent" | "recurrence" | "occurrenceList";

/** A scalar that a lookup table can hold on either side. */
export type LookupScalar = string | number | boolean;

/**
 * One row of a value table. `direction` limits a lossy row to one way: a `crmToOutlook` row only
 * reads CRM values (a canceled task shows as completed); an `outlookToCrm` row only reads Outlook values
 * (`workingElsewhere` is sent as busy).
 */
export interface LookupRow {
  readonly outlook: LookupScalar;
  readonly crm: readonly LookupScalar[];
  readonly direction: "both" | "crmToOutlook" | "outlookToCrm";
}

/** A named value table; the name appears in error details. */
export interface LookupTable {
  readonly name: string;
  readonly rows: readonly LookupRow[];
}

/** One mapping rule. `lookup` is present exactly when `codec` is `lookup`. */
export interface FieldRule {
  readonly outlook: readonly string[];
  readonly crm: readonly string[];
  readonly direction: RuleDirection;
  readonly codec: CodecName;
  readonly lookup?: LookupTable;
}

/** The rules for one entity type, in SPEC order. */
export type FieldMapTable = readonly FieldRule[];

/** The rules for every synced entity type. Plain JSON-serializable data. */
export type FieldMaps = Readonly<Record<EntityType, FieldMapTable>>;

const plain = (outlook: string, crm: string, direction: RuleDirection = "both"): FieldRule => ({
  outlook: [outlook],
  crm: [crm],
  direction,
  codec: "plain",
});

const lookup = (
  outlook: string,
  crm: readonly string[],
  table: LookupTable,
  direction: RuleDirection = "both",
): FieldRule => ({
  outlook: [outlook],
  crm,
  direction,
  codec: "lookup",
  lookup: table,
});

/** SPEC §2 Priority: low ↔ 0, normal ↔ 1, high ↔ 2. */
export const PRIORITY_TABLE: LookupTable = {
  name: "priority",
  rows: [
    { outlook: "low", crm: [0], direction: "both" },
    { outlook: "normal", crm: [1], direction: "both" },
    { outlook: "high", crm: [2], direction: "both" },
  ],
};

/** SPEC §2 Task status ↔ (statecode, statuscode); a canceled CRM task (2, 6) shows as completed. */
export const TASK_STATUS_TABLE: LookupTable = {
  name: "taskStatus",
  rows: [
    { outlook: "notStarted", crm: [0, 2], direction: "both" },
    { outlook: "inProgress", crm: [0, 3], direction: "both" },
    { outlook: "waitingOnOthers", crm: [0, 4], direction: "both" },
    { outlook: "deferred", crm: [0, 7], direction: "both" },
    { outlook: "completed", crm: [1, 5], direction: "both" },
    { outlook: "completed", crm: [2, 6], direction: "crmToOutlook" },
  ],
};

/**
 * SPEC §2 Appointment showTimeAs ↔ (statecode, statuscode). A completed CRM appointment (1, 3) shows as busy,
 * a canceled one (2, 4) as free; Outlook `workingElsewhere` is sent as busy.
 */
export const SHOW_TIME_AS_TABLE: LookupTable = {
  name: "showTimeAs",
  rows: [
    { outlook: "free", crm: [3, 1], direction: "both" },
    { outlook: "tentative", crm: [3, 2], direction: "both" },
    { outlook: "busy", crm: [3, 5], direction: "both" },
    { outlook: "oof", crm: [3, 6], direction: "both" },
    { outlook: "busy", crm: [1, 3], direction: "crmToOutlook" },
    { outlook: "free", crm: [2, 4], direction: "crmToOutlook" },
    { outlook: "workingElsewhere", crm: [3, 5], direction: "outlookToCrm" },
  ],
};

/** E-mail direction: Outlook `incoming` / `outgoing` ↔ CRM `directioncode` false / true. */
export const EMAIL_DIRECTION_TABLE: LookupTable = {
  name: "emailDirection",
  rows: [
    { outlook: "incoming", crm: [false], direction: "both" },
    { outlook: "outgoing", crm: [true], direction: "both" },
  ],
};

const CONTACT_RULES: FieldMapTable = [
  plain("anniversary", "anniversary"),
  plain("assistantName", "assistantname"),
  plain("assistantTelephoneNumber", "assistantphone"),
  plain("birthday", "birthdate"),
  plain("body", "description"),
  plain("businessFaxNumber", "fax"),
  plain("businessTelephoneNumber", "telephone1"),
  plain("children", "childrensnames"),
  plain("department", "department"),
  plain("email1Address", "emailaddress1"),
  plain("email2Address", "emailaddress2"),
  plain("email3Address", "emailaddress3"),
  plain("firstName", "firstname"),
  plain("ftpSite", "ftpsiteurl"),
  plain("governmentIdNumber", "governmentid"),
  plain("homeTelephoneNumber", "telephone2"),
  plain("jobTitle", "jobtitle"),
  plain("lastName", "lastname"),
  plain("mailingAddressCity", "address1_city"),
  plain("mailingAddressCountry", "address1_country"),
  plain("mailingAddressPostOfficeBox", "address1_postofficebox"),
  plain("mailingAddressPostalCode", "address1_postalcode"),
  plain("mailingAddressState", "address1_stateorprovince"),
  {
    outlook: ["mailingAddressStreet"],
    crm: ["address1_line1", "address1_line2", "address1_line3"],
    direction: "both",
    codec: "street3",
  },
  plain("managerName", "managername"),
  plain("middleName", "middlename"),
  plain("mobileTelephoneNumber", "mobilephone"),
  plain("nickname", "nickname"),
  plain("otherTelephoneNumber", "telephone3"),
  plain("pagerNumber", "pager"),
  plain("spouse", "spousesname"),
  plain("title", "salutation"),
  plain("webPage", "websiteurl"),
  plain("yomiFirstName", "yomifirstname"),
  plain("yomiLastName", "yomilastname"),
  { outlook: ["companyName"], crm: ["parentaccount"], direction: "crmToOutlook", codec: "companyFromParent" },
];

const TASK_RULES: FieldMapTable = [
  plain("body", "description"),
  plain("dueDate", "scheduledend"),
  lookup("priority", ["prioritycode"], PRIORITY_TABLE),
  plain("startDate", "scheduledstart"),
  plain("subject", "subject"),
  lookup("status", ["statecode", "statuscode"], TASK_STATUS_TABLE),
  { outlook: ["reminderTime"], crm: ["scheduledend"], direction: "crmToOutlook", codec: "reminderFromDue" },
];

const APPOINTMENT_RULES: FieldMapTable = [
  plain("isAllDayEvent", "isalldayevent"),
  plain("body", "description"),
  plain("duration", "scheduleddurationminutes"),
  plain("end", "scheduledend"),
  plain("location", "location"),
  plain("optionalAttendees", "optionalattendees"),
  plain("organizer", "organizer"),
  lookup("priority", ["prioritycode"], PRIORITY_TABLE),
  plain("requiredAttendees", "requiredattendees"),
  plain("start", "scheduledstart"),
  plain("subject", "subject"),
  lookup("showTimeAs", ["statecode", "statuscode"], SHOW_TIME_AS_TABLE),
  plain("iCalUId", "globalobjectid", "onTrack"),
  { outlook: ["recurrence"], crm: ["recurrencepattern"], direction: "both", codec: "recurrence" },
  {
    outlook: ["cancelledOccurrences"],
    crm: ["cancelledoccurrences"],
    direction: "both",
    codec: "occurrenceList",
  },
  plain("originalStart", "originalstart", "onTrack"),
];

const EMAIL_RULES: FieldMapTable = [
  plain("subject", "subject", "onTrack"),
  plain("body", "description", "onTrack"),
  plain("from", "from", "onTrack"),
  plain("to", "to", "onTrack"),
  plain("cc", "cc", "onTrack"),
  plain("sentAt", "senton", "onTrack"),
  plain("receivedAt", "receivedon", "onTrack"),
  plain("internetMessageId", "messageid", "onTrack"),
  lookup("direction", ["directioncode"], EMAIL_DIRECTION_TABLE, "onTrack"),
  plain("regarding", "regardingobjectid"),
];

/** The SPEC §2 mapping: the default until a customization package replaces it. */
export const DEFAULT_FIELD_MAPS: FieldMaps = {
  contact: CONTACT_RULES,
  task: TASK_RULES,
  appointment: APPOINTMENT_RULES,
  email: EMAIL_RULES,
};

/**
 * Outlook fields that SPEC §2 names as never synced. No rule reads or writes them; they are listed
 * so the user interface and tests can name them.
 */
export const NEVER_SYNCED_OUTLOOK_FIELDS: Readonly<Record<EntityType, readonly string[]>> = {
  contact: [
    "photo",
    "imAddress",
    "business2TelephoneNumber",
    "callbackTelephoneNumber",
    "carTelephoneNumber",
    "companyMainTelephoneNumber",
    "home2TelephoneNumber",
    "homeFaxNumber",
    "isdnNumber",
    "otherFaxNumber",
    "primaryTelephoneNumber",
    "radioTelephoneNumber",
    "telexNumber",
    "ttyTddTelephoneNumber",
    "office",
    "profession",
    "freeBusyAddress",
  ],
  task: [
    "contacts",
    "categories",
    "privacy",
    "dateCompleted",
    "totalWork",
    "companies",
    "mileage",
    "billingInformation",
  ],
  appointment: ["label", "reminder", "contacts", "categories", "privacy", "importance"],
  email: [],
};
