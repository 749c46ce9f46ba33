/**
 * The sync protocol shared by the add-in and the server: limits, zod schemas, the operation table,
 * typed error bodies and the OpenAPI document built from them.
 */
import type { z } from "zod";
import type {
  BackgroundSyncStatus,
  ClientRegistration,
  CrmRecord,
  LookupHit,
  Registration,
  SpecificSyncData,
  SyncCounts,
  SyncPage,
  WhoAmI,
} from "../ports/crm-client";
import type { BackgroundSyncStatusSchema } from "./background-sync";
import type { CrmRecordSchema, LookupHitSchema } from "./records";
import type {
  ClientRegistrationSchema,
  PrepareSyncResultSchema,
  RegisterClientResultSchema,
  SpecificSyncDataSchema,
  SyncPageSchema,
  WhoAmISchema,
} from "./sync";

export * from "./limits";
export * from "./records";
export * from "./sync";
export * from "./background-sync";
export * from "./errors";
export * from "./operations";
export * from "./customization-package";
export * from "./package-zip";
export { buildOpenApiDocument } from "./openapi";

/** Compile-time proof that what a schema parses is a value of the port's type (so wire data needs no casts). */
type Parses<S extends z.ZodType, T> = z.infer<S> extends T ? true : never;
export type WireMatchesPort = [
  Parses<typeof CrmRecordSchema, CrmRecord>,
  Parses<typeof ClientRegistrationSchema, ClientRegistration>,
  Parses<typeof WhoAmISchema, WhoAmI>,
  Parses<typeof PrepareSyncResultSchema, SyncCounts>,
  Parses<typeof SyncPageSchema, SyncPage>,
  Parses<typeof SpecificSyncDataSchema, SpecificSyncData>,
  Parses<typeof LookupHitSchema, LookupHit>,
  Parses<typeof RegisterClientResultSchema, Registration>,
  Parses<typeof BackgroundSyncStatusSchema, BackgroundSyncStatus>,
];
export const WIRE_MATCHES_PORT: WireMatchesPort = [true, true, true, true, true, true, true, true, true];
