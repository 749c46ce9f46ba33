/**
 * Validation of what crosses the LocalCache boundary, shared by both adapters: inputs are checked before
 * anything is written (bad input is SyncError("invalidInput") naming the field), and IndexedDB rows are
 * checked when read back (a malformed row is a BugError naming the store and key).
 */
import { z } from "zod";
import { BugError, SyncError } from "../../core/errors";
import { DOWNLOADABLE_ENTITY_TYPES, SYNCED_ENTITY_TYPES } from "../../core/types";
import { CustomizationPackageSchema } from "../../protocol/customization-package";
import type {
  AppliedBatch,
  ChangeLogEntry,
  Checkpoint,
  ConflictRecord,
  CrmPage,
  Mapping,
  OutlookChangeKind,
  PackageState,
  PendingCreate,
  SyncStatus,
} from "../../ports/local-cache";
import { BULK_LIMIT } from "../../ports/local-cache";
import type { SyncSettings } from "../../ports/settings";
import type { LogSegmentRow } from "./log-segments";

const id = z.string().min(1);
const count = z.int().nonnegative();
const time = z.int().nonnegative();
const entityType = z.enum(SYNCED_ENTITY_TYPES);
const side = z.enum(["outlook", "crm"]);
const fieldValue = z.union([z.string(), z.number(), z.boolean(), z.array(z.string()), z.null()]);
const fields = z.record(z.string(), fieldValue);
const outlookKind = z.enum(["upsert", "delete", "track", "untrack", "untrackAndDelete"]);
const crmKind = z.enum(["upsert", "delete", "leftFilter"]);
const errorInfo = z.strictObject({ code: z.string(), message: z.string() });

export const mappingSchema: z.ZodType<Mapping> = z
  .strictObject({
    mapId: id,
    crmId: id.nullable(),
    itemId: id.nullable(),
    type: entityType,
    deletedLocally: z.boolean(),
    linked: z.boolean(),
    visited: z.boolean(),
    verifiedTime: time,
    crmVersion: count.nullable(),
    trackedByHand: z.boolean(),
    snapshot: z.strictObject({ outlook: fields.nullable(), crm: fields.nullable() }),
  })
  .refine((m) => m.crmId !== null || m.itemId !== null, "a mapping needs a crmId or an itemId");

export const changeLogEntrySchema: z.ZodType<ChangeLogEntry> = z.strictObject({
  mapId: id,
  revision: count,
  outlookTimestamp: time.nullable(),
  outlookChange: outlookKind.nullable(),
  crmTimestamp: time.nullable(),
  crmChange: crmKind.nullable(),
  crmVersion: count.nullable(),
  attempts: count,
  lastError: errorInfo.nullable(),
  nextAttemptAt: time,
});

export const checkpointSchema: z.ZodType<Checkpoint> = z.strictObject({
  key: id,
  serverVersion: count.nullable(),
  watermark: time.nullable(),
  deltaLink: z.string().nullable(),
});

export const conflictSchema: z.ZodType<ConflictRecord> = z.strictObject({
  at: time,
  mapId: id,
  type: entityType,
  field: z.string().min(1),
  kept: fieldValue,
  overwritten: fieldValue,
  winner: side,
});

export const pendingCreateSchema: z.ZodType<PendingCreate> = z.strictObject({
  idempotencyKey: id,
  mapId: id,
  side,
  type: entityType,
  createdAt: time,
});

export const settingsSchema: z.ZodType<SyncSettings> = z.strictObject({
  entities: z.array(z.enum(DOWNLOADABLE_ENTITY_TYPES)),
  updateCompanyField: z.boolean(),
  isSyncClient: z.boolean(),
  roaming: z.boolean(),
  intervalMinutes: z.number().nonnegative(),
  serverUrl: z.string(),
  userId: z.string(),
});

export const statusSchema: z.ZodType<SyncStatus> = z.strictObject({
  lastSyncAt: time.nullable(),
  nextSyncAt: time.nullable(),
  pending: count,
  progress: z.strictObject({ done: count, total: count, phase: z.string() }).nullable(),
  errors: z.array(z.strictObject({ mapId: id, code: z.string(), message: z.string() })),
  conflicts: count,
});

export const logSegmentSchema: z.ZodType<LogSegmentRow> = z.strictObject({
  seq: z.int().positive(),
  text: z.string(),
  bytes: count,
});

export const crmPageSchema: z.ZodType<CrmPage> = z
  .strictObject({
    entries: z.array(z.strictObject({ crmId: id, type: entityType, version: count, kind: crmKind })),
    checkpoint: checkpointSchema,
  })
  .superRefine((page, ctx) => {
    const cursor = page.checkpoint.serverVersion;
    page.entries.forEach((entry, index) => {
      if (cursor !== null && entry.version > cursor) {
        ctx.addIssue({
          code: "custom",
          path: ["entries", index, "version"],
          message: `version ${entry.version} of ${entry.crmId} is past the page checkpoint ${cursor}`,
        });
      }
    });
  });

const heldPackage = z.strictObject({ etag: z.string().min(1), package: CustomizationPackageSchema });

const notSavedChange = z.strictObject({
  mapId: id,
  itemId: id.nullable(),
  crmId: id.nullable(),
  label: z.string(),
  type: entityType,
  field: z.string().min(1).nullable(),
  reason: z.enum(["typeNotSynced", "fieldNotSynced"]),
  message: z.string(),
});

export const packageStateSchema: z.ZodType<PackageState> = z.strictObject({
  applied: heldPackage.nullable(),
  offered: heldPackage
    .extend({
      reason: z.enum(["productIncompatible", "schemaIncompatible", "pushFailed"]),
      confirmed: z.boolean(),
    })
    .nullable(),
  preferredProduct: z.string().nullable(),
  problem: z
    .strictObject({
      cause: z.enum(["forbidden", "notPublished", "content", "productIncompatible", "schemaIncompatible"]),
      code: z.string().min(1),
      message: z.string(),
      action: z.string(),
      at: time,
    })
    .nullable(),
  unsaved: z.array(notSavedChange),
  notSaved: z.array(notSavedChange),
  blockedBy: z.array(id),
  build: z.array(entityType),
  // A state stored before the list named each item's type holds bare ids: those items cannot be addressed
  // without their type, so they are left as they are (a later Track or package links them again).
  unstamp: z
    .array(z.union([z.strictObject({ itemId: id, type: entityType }), id]))
    .transform((refs) => refs.filter((ref) => typeof ref !== "string")),
});

export const appliedBatchSchema: z.ZodType<AppliedBatch> = z
  .strictObject({
    mappings: z.array(mappingSchema),
    deleteMappings: z.array(id),
    handled: z.array(z.strictObject({ mapId: id, revision: count })),
    checkpoints: z.array(checkpointSchema),
    pendingCreatesDone: z.array(id),
    conflicts: z.array(conflictSchema),
    packageState: packageStateSchema.optional(),
  })
  .transform(({ packageState, ...batch }) =>
    packageState === undefined ? batch : { ...batch, packageState },
  );

export interface OutlookChangeInput {
  readonly itemId: string;
  readonly kind: OutlookChangeKind;
  readonly at: number;
  readonly create?:
    | {
        readonly mapId: string;
        readonly type: (typeof SYNCED_ENTITY_TYPES)[number];
        readonly trackedByHand: boolean;
      }
    | undefined;
}

export const outlookChangeSchema: z.ZodType<OutlookChangeInput> = z.strictObject({
  itemId: id,
  kind: outlookKind,
  at: time,
  create: z.strictObject({ mapId: id, type: entityType, trackedByHand: z.boolean() }).optional(),
});

export const failureSchema = z.strictObject({
  mapId: id,
  revision: count,
  error: errorInfo,
  nextAttemptAt: time,
});

export const countSchema = count;
export const timeSchema = time;
export const idSchema = id;
export const idListSchema = z.array(id);
export const conflictListSchema = z.array(conflictSchema);
export const mappingListSchema = z.array(mappingSchema);
export const logLineSchema = z.string();

function describe(error: z.ZodError, what: string): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${[what, ...issue.path.map(String)].join(".")}: ${issue.message}`)
    .join("; ");
}

/** Returns a validated copy of `value`, or throws SyncError("invalidInput") naming the field (`what` first). */
export function checkInput<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new SyncError("invalidInput", { details: describe(result.error, what) });
  return result.data;
}

/**
 * {@link checkInput} for a list a bulk method takes: more than BULK_LIMIT items reject with
 * SyncError("invalidInput") naming the count before any item is checked.
 */
export function checkBulkInput<T>(schema: z.ZodType<T>, value: readonly unknown[], what: string): T[] {
  if (Array.isArray(value) && value.length > BULK_LIMIT)
    throw new SyncError("invalidInput", {
      details: `${what}: ${value.length} items in one call, more than the ${BULK_LIMIT} allowed`,
    });
  return checkInput(z.array(schema), value, what);
}

/** Returns a validated copy of a stored row, or throws a BugError naming `where` (store and key). */
export function checkStored<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new BugError(`stored row ${describe(result.error, where)}`);
  return result.data;
}
