/** Typed failures of the CRM service, on top of the product's SyncError codes. */
import { SyncError } from "../../core/errors";
import type { CrmRecord } from "../../ports/crm-client";

/** Bad input: `field` names what is wrong (a dotted path such as `fields.parentaccount`). */
export class InputError extends SyncError {
  readonly field: string;

  constructor(field: string, problem: string) {
    super("invalidInput", { details: `${field}: ${problem}` });
    this.field = field;
  }
}

/** A guarded write found another version: `current` is the record as it is now. */
export class RecordConflictError extends SyncError {
  readonly current: CrmRecord;

  constructor(current: CrmRecord, expectedVersion: number) {
    super("conflict", {
      details: `expected version ${expectedVersion}, the record is at ${current.version}`,
    });
    this.current = current;
  }
}

/** The record does not exist or the acting user may not see it (the two are not told apart). */
export const recordNotFound = (id: string): SyncError =>
  new SyncError("notFound", { details: `no record ${id} that you can read` });

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a UUID in canonical text form (safe to cast to `uuid` in SQL). */
export const isUuid = (value: string): boolean => UUID.test(value);
