/**
 * Wire schemas for CRM records: field bags, the record itself, and the record write bodies.
 * The same schemas validate requests on the server and responses in the add-in's HTTP client.
 */
import { z } from "zod";
import { LIMITS } from "./limits";

/** The CRM record types on the wire (SPEC §1 entity types plus the CRM-only account). */
export const CRM_RECORD_TYPES = ["contact", "appointment", "task", "email", "account"] as const;

export const CrmRecordTypeSchema = z.enum(CRM_RECORD_TYPES);

/** True when `text` can be stored by PostgreSQL: no NUL character and no unpaired UTF-16 surrogate. */
export function isStorableText(text: string): boolean {
  return (
    !text.includes("\u0000") &&
    !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text)
  );
}

/** A string of at most `max` characters that PostgreSQL can store. */
export const storableText = (max: number) =>
  z.string().max(max).refine(isStorableText, "must not contain NUL characters or unpaired surrogates");

/** A user id: letters, digits and `._@-`, at most 64 characters. */
export const UserIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._@-]+$/, "letters, digits and ._@- only");

/** A record id: a UUID assigned by the server. */
export const RecordIdSchema = z.uuid();

/** One field value: string, number, boolean, list of strings, or null (no value / clear on update). */
export const FieldValueSchema = z.union([
  storableText(LIMITS.fieldStringLength),
  z.number().refine(Number.isFinite, "must be a finite number"),
  z.boolean(),
  z.array(storableText(LIMITS.listItemLength)).max(LIMITS.listItems),
  z.null(),
]);

/** A field key in CRM naming (`emailaddress1`, `address1_line1`). */
export const FieldKeySchema = z
  .string()
  .max(LIMITS.fieldKeyLength)
  .regex(/^[a-z][a-z0-9_]*$/, "lower-case CRM field name");

/** A field bag in CRM keys, bounded in size. */
export const FieldsSchema = z
  .record(FieldKeySchema, FieldValueSchema)
  .refine((fields) => Object.keys(fields).length <= LIMITS.fieldsPerRecord, {
    message: `at most ${LIMITS.fieldsPerRecord} fields`,
  });

/** Read-only values the server derives for a record (SPEC §2: a contact's company is its parent account's name). */
export const RelatedSchema = z.object({
  parentAccountName: z.string().nullable(),
});

/** A CRM record as the server returns it. `modifiedAt` is server-assigned, in ms since the epoch. */
export const CrmRecordSchema = z.object({
  id: RecordIdSchema,
  type: CrmRecordTypeSchema,
  owner: UserIdSchema,
  version: z.int().min(0),
  modifiedAt: z.int().min(0),
  deleted: z.boolean(),
  fields: FieldsSchema,
  related: RelatedSchema.optional(),
});

/**
 * Body of a record create. A replay with the same `idempotencyKey` returns the first result. The body does
 * not say whether it is a retry: a first attempt costs the server no look-up (docs/SPEC.md "Only a retry
 * looks its create up").
 */
export const CreateRecordBodySchema = z.strictObject({
  idempotencyKey: z
    .string()
    .min(LIMITS.idempotencyKeyMin)
    .max(LIMITS.idempotencyKeyMax)
    .regex(/^[\x21-\x7e]+$/, "printable ASCII without spaces"),
  type: CrmRecordTypeSchema,
  fields: FieldsSchema,
  trackedByHand: z.boolean().optional(),
});

/** Body of a record update: a patch (`null` clears a field) guarded by the version the client last saw. */
export const UpdateRecordBodySchema = z.strictObject({
  expectedVersion: z.int().min(0),
  fields: FieldsSchema,
});

/** Path parameters naming one record. */
export const RecordParamsSchema = z.strictObject({ id: RecordIdSchema });

/** Query of a record delete: the optional version guard. */
export const DeleteRecordQuerySchema = z.strictObject({
  expectedVersion: z.coerce.number().int().min(0).optional(),
});

/** Answer of a delete. */
export const DeleteRecordResultSchema = z.object({ id: RecordIdSchema, version: z.int().min(0) });

/** Answer of marking or unmarking a record as tracked by hand. */
export const TrackedResultSchema = z.object({ id: RecordIdSchema, trackedByHand: z.boolean() });

/** Query of the Set Regarding look-up. */
export const LookupQuerySchema = z.strictObject({
  text: storableText(LIMITS.lookupText).min(1),
  types: z
    .string()
    .regex(/^(account|contact)(,(account|contact))*$/, "comma-separated list of account, contact")
    .optional(),
  limit: z.coerce.number().int().min(1).max(LIMITS.lookupResults).optional(),
});

/** One look-up hit. */
export const LookupHitSchema = z.object({
  id: RecordIdSchema,
  type: z.enum(["account", "contact"]),
  name: z.string(),
});

export const LookupResultSchema = z.object({ hits: z.array(LookupHitSchema) });
