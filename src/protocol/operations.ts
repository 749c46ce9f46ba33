/**
 * The protocol's operation table: method, path and schemas of every `/v1` call. The server registers its
 * routes from this table and validates with these schemas; `/openapi.json` is generated from the same table,
 * so the document and the validation cannot drift apart.
 *
 * To add an operation: add an entry here with its schemas, then a handler in `src/server/http/handlers.ts`
 * (the type checker asks for it) and a method on the CRM client port.
 */
import type { z } from "zod";
import { BackgroundSyncStatusSchema, ReleaseMailboxBodySchema } from "./background-sync";
import { ConflictBodySchema } from "./errors";
import {
  CreateRecordBodySchema,
  CrmRecordSchema,
  DeleteRecordQuerySchema,
  DeleteRecordResultSchema,
  LookupQuerySchema,
  LookupResultSchema,
  RecordParamsSchema,
  TrackedResultSchema,
  UpdateRecordBodySchema,
} from "./records";
import {
  ChangeHintSchema,
  ClientListSchema,
  ClientParamsSchema,
  GetSyncDataQuerySchema,
  PostSyncBodySchema,
  PostSyncResultSchema,
  PrepareSyncQuerySchema,
  PrepareSyncResultSchema,
  RegisterClientBodySchema,
  RegisterClientResultSchema,
  SpecificSyncDataBodySchema,
  SpecificSyncDataSchema,
  SyncPageSchema,
  WhoAmISchema,
} from "./sync";

/** How a successful answer is encoded. */
export type OperationResponse =
  | { readonly kind: "json"; readonly status: 200 | 201 | 202; readonly schema: z.ZodType }
  | { readonly kind: "zip" }
  | { readonly kind: "eventStream"; readonly event: string; readonly schema: z.ZodType };

/** One protocol operation. Paths use OpenAPI `{name}` parameters. */
export interface OperationSpec {
  readonly method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  readonly path: string;
  readonly summary: string;
  readonly params?: z.ZodObject;
  readonly query?: z.ZodObject;
  readonly body?: z.ZodType;
  readonly response: OperationResponse;
  /** Error statuses this operation can answer with besides 400, 401 and 429. */
  readonly errors: readonly number[];
  /** Extra documented answers with their own body, such as the 409 of an update. */
  readonly extraResponses?: Readonly<Record<number, z.ZodType>>;
}

const json = <S extends z.ZodType>(schema: S, status: 200 | 201 | 202 = 200) => ({
  kind: "json" as const,
  status,
  schema,
});

/** Every authenticated `/v1` operation, keyed by operationId. */
export const OPERATIONS = {
  whoAmI: {
    method: "GET",
    path: "/v1/whoami",
    summary: "The caller: user, privileges, security role and registered clients.",
    response: json(WhoAmISchema),
    errors: [],
  },
  registerClient: {
    method: "POST",
    path: "/v1/clients",
    summary:
      "Register a client (a subscription). Idempotent; the user's first client becomes primary. The answer says " +
      "whether the server syncs the user's mailbox in the background.",
    body: RegisterClientBodySchema,
    response: json(RegisterClientResultSchema),
    errors: [],
  },
  setPrimaryClient: {
    method: "POST",
    path: "/v1/clients/{clientId}/primary",
    summary:
      "Make this client the user's primary (synchronizing) client; every other client becomes secondary.",
    params: ClientParamsSchema,
    response: json(ClientListSchema),
    errors: [404],
  },
  prepareSync: {
    method: "GET",
    path: "/v1/sync/prepare",
    summary:
      "PrepareSync: counts of waiting changes per entity type since the acknowledged version, and whether the " +
      "server syncs the user's mailbox in the background.",
    query: PrepareSyncQuerySchema,
    response: json(PrepareSyncResultSchema),
    errors: [403, 404, 410],
  },
  getSyncData: {
    method: "GET",
    path: "/v1/sync/changes",
    summary: "GetSyncData: one page of (crmId, version, kind) in version order.",
    query: GetSyncDataQuerySchema,
    response: json(SyncPageSchema),
    errors: [403, 404, 410],
  },
  getSpecificSyncData: {
    method: "POST",
    path: "/v1/sync/records",
    summary: "GetSpecificSyncData: the full records for the given ids that the caller may read.",
    body: SpecificSyncDataBodySchema,
    response: json(SpecificSyncDataSchema),
    errors: [],
  },
  postSync: {
    method: "POST",
    path: "/v1/sync/ack",
    summary:
      "PostSync: acknowledge every change up to a version (monotone and idempotent), and mark the records the user removed from Outlook.",
    body: PostSyncBodySchema,
    response: json(PostSyncResultSchema),
    errors: [404],
  },
  createRecord: {
    method: "POST",
    path: "/v1/records",
    summary: "Create a record owned by the caller. A replay of the idempotency key returns the first result.",
    body: CreateRecordBodySchema,
    response: json(CrmRecordSchema, 201),
    errors: [404],
  },
  updateRecord: {
    method: "PATCH",
    path: "/v1/records/{id}",
    summary: "Patch a record's fields (null clears) if its version is still the expected one.",
    params: RecordParamsSchema,
    body: UpdateRecordBodySchema,
    response: json(CrmRecordSchema),
    errors: [404],
    extraResponses: { 409: ConflictBodySchema },
  },
  deleteRecord: {
    method: "DELETE",
    path: "/v1/records/{id}",
    summary: "Delete a record, leaving a tombstone for every subscription.",
    params: RecordParamsSchema,
    query: DeleteRecordQuerySchema,
    response: json(DeleteRecordResultSchema),
    errors: [404],
    extraResponses: { 409: ConflictBodySchema },
  },
  markTrackedByHand: {
    method: "PUT",
    path: "/v1/records/{id}/tracked",
    summary: "Mark a contact as tracked by hand by the caller, so it stays in their filter whoever owns it.",
    params: RecordParamsSchema,
    response: json(TrackedResultSchema),
    errors: [404],
  },
  unmarkTrackedByHand: {
    method: "DELETE",
    path: "/v1/records/{id}/tracked",
    summary: "Remove the caller's tracked-by-hand marker from a record.",
    params: RecordParamsSchema,
    response: json(TrackedResultSchema),
    errors: [404],
  },
  lookup: {
    method: "GET",
    path: "/v1/lookup",
    summary: "Set Regarding look-up: accounts and contacts the caller can read, by name.",
    query: LookupQuerySchema,
    response: json(LookupResultSchema),
    errors: [],
  },
  downloadPackage: {
    method: "GET",
    path: "/v1/package",
    summary:
      "Download the customization package (zip) published for the caller's role. Send the package's ETag in " +
      "If-None-Match: while it is still the current package the answer is 304 without the zip.",
    response: { kind: "zip" },
    errors: [403, 404],
  },
  backgroundSyncStatus: {
    method: "GET",
    path: "/v1/background-sync",
    summary: "Background sync of the caller's own mailbox: enabled or not, its last run and its next one.",
    response: json(BackgroundSyncStatusSchema),
    errors: [],
  },
  requestBackgroundRun: {
    method: "POST",
    path: "/v1/background-sync/run",
    summary:
      "Queue a run of the caller's mailbox at once (a tracking request waits on an item). 409 " +
      "backgroundSyncOff when background sync of the mailbox is not enabled.",
    response: json(BackgroundSyncStatusSchema, 202),
    errors: [409],
  },
  releaseToBackgroundSync: {
    method: "POST",
    path: "/v1/background-sync/release",
    summary:
      "The caller's primary client hands the mailbox to the server after its last clean cycle: the server " +
      "becomes the primary client and runs at once. 409 backgroundSyncOff when background sync is not enabled.",
    body: ReleaseMailboxBodySchema,
    response: json(BackgroundSyncStatusSchema, 202),
    errors: [404, 409],
  },
  watchChanges: {
    method: "GET",
    path: "/v1/events",
    summary: "Server-Sent Events: a `changes` hint whenever the caller's filtered view may have changed.",
    response: { kind: "eventStream", event: "changes", schema: ChangeHintSchema },
    errors: [],
  },
} as const satisfies Record<string, OperationSpec>;

export type OperationId = keyof typeof OPERATIONS;

/** The body a successful JSON operation answers with. */
export type OperationResult<K extends OperationId> = (typeof OPERATIONS)[K]["response"] extends {
  kind: "json";
  schema: infer S extends z.ZodType;
}
  ? z.infer<S>
  : never;

/** Header that carries the customization package's version beside the zip (and on a 304). */
export const PACKAGE_VERSION_HEADER = "x-package-version";
/** Header that carries the role the customization package is published for. */
export const PACKAGE_ROLE_HEADER = "x-package-role";
