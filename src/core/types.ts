/**
 * Domain vocabulary shared by every layer. Plain data only: these values cross every port.
 */

/** The item kinds that sync between Outlook and the CRM (SPEC §1). */
export const SYNCED_ENTITY_TYPES = ["contact", "appointment", "task", "email"] as const;
export type EntityType = (typeof SYNCED_ENTITY_TYPES)[number];

/** Entity types that can sync CRM→Outlook by the user's settings (SPEC §9); e-mail is tracked only. */
export const DOWNLOADABLE_ENTITY_TYPES = ["contact", "appointment", "task"] as const;
export type DownloadableEntityType = (typeof DOWNLOADABLE_ENTITY_TYPES)[number];

/** CRM-only record types. An account is the parent that a contact names in `parentaccount`. */
export type CrmOnlyType = "account";
export type CrmRecordType = EntityType | CrmOnlyType;

/**
 * One field value. Dates and times are ISO 8601 strings, lists are arrays of strings,
 * codes are numbers. `null` means "no value" and is treated the same as a missing key.
 */
export type FieldValue = string | number | boolean | readonly string[] | null;

/** A field bag keyed by one side's own field names (Outlook keys or CRM keys, never mixed). */
export type Fields = Readonly<Record<string, FieldValue>>;

/** Which side of the sync a value, change or winner belongs to. */
export type Side = "outlook" | "crm";

/** A client's role for its user (SPEC §1): only the primary client synchronizes. */
export type ClientRole = "primary" | "secondary";

/** The privileges a user can hold on the server (SPEC §10). */
export const PRIVILEGES = ["SyncToOutlook", "GoOffline"] as const;
export type Privilege = (typeof PRIVILEGES)[number];
