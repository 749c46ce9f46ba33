/**
 * Typed error bodies on the wire. Every non-2xx answer carries `{ error: { code, message, field?, details? } }`;
 * `code` is a {@link ErrorCode} of the product's error table, so the client turns it into a SyncError unchanged.
 */
import { z } from "zod";
import type { ErrorCode } from "../core/errors";
import { CrmRecordSchema } from "./records";

/** The error codes the server may answer with, and the HTTP status each one travels with. */
export const WIRE_ERROR_STATUS = {
  invalidInput: 400,
  unauthorized: 401,
  forbidden: 403,
  noSyncPrivilege: 403,
  notFound: 404,
  packageUnavailable: 404,
  conflict: 409,
  backgroundSyncOff: 409,
  resyncRequired: 410,
  rateLimited: 429,
  serverError: 500,
} as const satisfies Partial<Record<ErrorCode, number>>;

export type WireErrorCode = keyof typeof WIRE_ERROR_STATUS;

export const WIRE_ERROR_CODES = Object.keys(WIRE_ERROR_STATUS) as [WireErrorCode, ...WireErrorCode[]];

/** The error body. `field` names the offending input (a dotted path such as `body.fields.firstname`). */
export const ErrorBodySchema = z.object({
  error: z.object({
    code: z.enum(WIRE_ERROR_CODES),
    message: z.string(),
    field: z.string().optional(),
    details: z.string().optional(),
  }),
});

/** A 409 answer to an update: the error plus the record as it is now. */
export const ConflictBodySchema = ErrorBodySchema.extend({ current: CrmRecordSchema });

export type ErrorBody = z.infer<typeof ErrorBodySchema>;
