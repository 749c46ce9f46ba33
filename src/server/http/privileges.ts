/**
 * SPEC §10 per protocol operation: what a user without SyncToOutlook may do. Contacts, appointments and tasks
 * do not sync for them, but e-mail tracking (Track, Set Regarding, Untrack) still works, so they keep what it
 * uses: who they are, their client registration, reading the records an e-mail refers to, the Set Regarding
 * look-up, and writes of e-mail activities. Everything else answers 403 `noSyncPrivilege`.
 * Privileges govern the protocol, the add-in's way in; record access (record-access.ts) governs everyone.
 */
import { SyncError } from "../../core/errors";
import type { CrmUser } from "../sync/user-service";
import type { CrmService } from "../sync/crm-service";
import type { OperationId } from "../../protocol";

/** `emailOnly`: allowed when the record written is an e-mail activity. */
export type WithoutSyncToOutlook = "allowed" | "emailOnly" | "refused";

export const WITHOUT_SYNC_TO_OUTLOOK: { readonly [K in OperationId]: WithoutSyncToOutlook } = {
  whoAmI: "allowed",
  registerClient: "allowed",
  setPrimaryClient: "allowed",
  prepareSync: "refused",
  getSyncData: "refused",
  // The task pane reads the record an e-mail is regarding to name it; reads follow record access.
  getSpecificSyncData: "allowed",
  postSync: "refused",
  createRecord: "emailOnly",
  updateRecord: "emailOnly",
  deleteRecord: "emailOnly",
  markTrackedByHand: "emailOnly",
  unmarkTrackedByHand: "emailOnly",
  // Set Regarding is e-mail tracking (SPEC §7); GoOffline only decides whether the client keeps the list.
  lookup: "allowed",
  // The package service answers 403 `forbidden` itself (SPEC §11 names the missing privilege as a download error).
  downloadPackage: "allowed",
  watchChanges: "refused",
  // Background sync of the caller's own mailbox: its runs track e-mail too, so a tracking request may ask for one.
  backgroundSyncStatus: "allowed",
  requestBackgroundRun: "allowed",
  releaseToBackgroundSync: "allowed",
};

/** The parsed input the check looks at: the body of a create, the record id of the other writes. */
export interface PrivilegeInput {
  readonly params?: unknown;
  readonly body?: unknown;
}

const refusal = (what: string): SyncError =>
  new SyncError("noSyncPrivilege", { details: `${what} needs the SyncToOutlook privilege` });

/**
 * Throws `noSyncPrivilege` when `user` lacks SyncToOutlook and `operation` needs it. A write by id is checked
 * against the record's type only when the user can read the record; otherwise the service answers notFound,
 * so the check reveals nothing about records the user cannot read.
 */
export async function requirePrivilege(
  operation: OperationId,
  user: CrmUser,
  input: PrivilegeInput,
  service: CrmService,
): Promise<void> {
  if (user.privileges.includes("SyncToOutlook")) return;
  const rule = WITHOUT_SYNC_TO_OUTLOOK[operation];
  if (rule === "allowed") return;
  if (rule === "refused") throw refusal(operation);
  const body = input.body as { type?: unknown } | undefined;
  if (operation === "createRecord") {
    if (body?.type !== "email") throw refusal(`creating a ${String(body?.type)} record`);
    return;
  }
  const id = (input.params as { id?: unknown } | undefined)?.id;
  const type = typeof id === "string" ? await service.records.readableType(user.id, id) : undefined;
  if (type !== undefined && type !== "email") throw refusal(`writing a ${type} record`);
}
