/**
 * Wire schemas for clients, subscriptions and the SPEC §4 sync calls
 * (PrepareSync, GetSyncData, GetSpecificSyncData, PostSync) and the change hint stream.
 */
import { z } from "zod";
import { LIMITS } from "./limits";
import { CrmRecordSchema, CrmRecordTypeSchema, RecordIdSchema, UserIdSchema } from "./records";

/** A client id: one browser profile running the add-in (SPEC §1). */
export const ClientIdSchema = z
  .string()
  .min(1)
  .max(LIMITS.clientIdLength)
  .regex(/^[A-Za-z0-9._:-]+$/, "letters, digits and ._:- only");

export const PrivilegeSchema = z.enum(["SyncToOutlook", "GoOffline"]);
export const ClientRoleSchema = z.enum(["primary", "secondary"]);

/**
 * Who synchronizes the caller's mailbox, as an add-in client reads it from registration and PrepareSync:
 * `off`, background sync is not enabled (the add-in's own rules apply); `handOver`, it is enabled and this client
 * is still the user's primary, so it runs its last cycle and releases the mailbox; `server`, the server syncs
 * the mailbox and this client acts as a secondary one.
 */
export const BackgroundSyncStateSchema = z.enum(["off", "handOver", "server"]);

/** One subscription: a (user, client) pair with its role and acknowledged version. */
export const ClientRegistrationSchema = z.object({
  clientId: ClientIdSchema,
  role: ClientRoleSchema,
  ackedVersion: z.int().min(0),
});

/** whoami: the caller, their privileges, their security role (which picks the customization package). */
export const WhoAmISchema = z.object({
  user: z.object({ id: UserIdSchema, emails: z.array(z.string()), displayName: z.string().nullable() }),
  privileges: z.array(PrivilegeSchema),
  role: z.string(),
  clients: z.array(ClientRegistrationSchema),
});

/** The answer to a registration: the subscription, and who synchronizes the mailbox. */
export const RegisterClientResultSchema = ClientRegistrationSchema.extend({
  backgroundSync: BackgroundSyncStateSchema,
});

/** Body of client registration. The user's first client becomes primary; later ones secondary. */
export const RegisterClientBodySchema = z.strictObject({ clientId: ClientIdSchema });

/** Path parameters naming one client. */
export const ClientParamsSchema = z.strictObject({ clientId: ClientIdSchema });

/** The caller's clients after a change of primary. */
export const ClientListSchema = z.object({ clients: z.array(ClientRegistrationSchema) });

/** Query naming the subscription a sync call reads. */
export const PrepareSyncQuerySchema = z.strictObject({ clientId: ClientIdSchema });

/** PrepareSync: how many changes wait per entity type since the subscription's acknowledged version. */
export const PrepareSyncResultSchema = z.object({
  ackedVersion: z.int().min(0),
  latestVersion: z.int().min(0),
  counts: z.object({ contact: z.int().min(0), appointment: z.int().min(0), task: z.int().min(0) }),
  total: z.int().min(0),
  backgroundSync: BackgroundSyncStateSchema,
});

/**
 * Query of GetSyncData. `after` defaults to the subscription's acknowledged version; `after=0` is a full listing
 * and is always answered, even after tombstones were collected.
 */
export const GetSyncDataQuerySchema = z.strictObject({
  clientId: ClientIdSchema,
  after: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(LIMITS.pageSize).optional(),
});

export const SyncEntryKindSchema = z.enum(["upsert", "delete", "leftFilter"]);

/** One change of the caller's filtered view, at a change-stream version. */
export const SyncEntrySchema = z.object({
  crmId: RecordIdSchema,
  type: CrmRecordTypeSchema,
  version: z.int().min(1),
  kind: SyncEntryKindSchema,
});

/** One page of changes in version order. Acknowledge `nextAfter` with PostSync once the page is stored. */
export const SyncPageSchema = z.object({
  entries: z.array(SyncEntrySchema),
  nextAfter: z.int().min(0),
  hasMore: z.boolean(),
  latestVersion: z.int().min(0),
});

/** Body of GetSpecificSyncData. */
export const SpecificSyncDataBodySchema = z.strictObject({
  ids: z.array(RecordIdSchema).min(1).max(LIMITS.specificIds),
});

/**
 * GetSpecificSyncData: the records the caller may read, why each other id has no record, and the ids left out
 * because the answer reached `LIMITS.answerBytes` (ask for those again).
 */
export const SpecificSyncDataSchema = z.object({
  records: z.array(CrmRecordSchema),
  missing: z.array(z.object({ id: RecordIdSchema, reason: z.enum(["deleted", "notFound"]) })),
  deferred: z.array(RecordIdSchema).optional(),
});

/**
 * Body of PostSync: acknowledge every change up to `version`. Monotone and idempotent. `removedFromOutlook`
 * reports records whose items the user deleted or untracked in Outlook while the records stay in the CRM
 * (SPEC §8): each is marked "removed from this user's Outlook" and leaves the user's view, so none of the user's
 * clients is offered it again until the user tracks it by hand. Ids the user cannot read, or of deleted
 * records, are skipped. A client that never sends it keeps working.
 */
export const PostSyncBodySchema = z.strictObject({
  clientId: ClientIdSchema,
  version: z.int().min(0),
  removedFromOutlook: z
    .array(RecordIdSchema)
    .min(1)
    .max(LIMITS.removedIds)
    .optional()
    .describe(
      "Records whose items the user deleted or untracked in Outlook while the records stay in the CRM: they leave the user's view until tracked by hand again.",
    ),
});

export const PostSyncResultSchema = z.object({ ackedVersion: z.int().min(0) });

/** The "changes available" hint pushed over Server-Sent Events (`event: changes`). */
export const ChangeHintSchema = z.object({ latestVersion: z.int().min(0) });

/** Health answer. */
export const HealthSchema = z.object({ status: z.literal("ok"), database: z.enum(["postgres", "pglite"]) });
