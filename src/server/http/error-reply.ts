/** Maps anything a request can fail with to a status and a typed error body (src/protocol/errors.ts). */
import { SyncError } from "../../core/errors";
import { WIRE_ERROR_STATUS, type ErrorBody, type WireErrorCode } from "../../protocol";
import { InputError, RecordConflictError } from "../sync/service-errors";

/** A reply: status and JSON body. */
export interface ErrorReply {
  readonly status: number;
  readonly body: ErrorBody & Record<string, unknown>;
  /** True when the failure is the server's fault and must be logged as an error. */
  readonly serverFault: boolean;
}

const reply = (
  status: number,
  code: WireErrorCode,
  message: string,
  extra: { field?: string; details?: string } = {},
) => ({
  status,
  body: { error: { code, message, ...extra } },
  serverFault: status >= 500,
});

/** Fastify's own 4xx errors (bad JSON, body too large, unsupported media type) name the body. */
const isClientFault = (error: unknown): error is { statusCode: number; message: string } =>
  typeof error === "object" &&
  error !== null &&
  "statusCode" in error &&
  typeof error.statusCode === "number" &&
  error.statusCode >= 400 &&
  error.statusCode < 500;

export function errorReply(error: unknown): ErrorReply {
  if (error instanceof RecordConflictError) {
    const base = reply(409, "conflict", error.message, error.details ? { details: error.details } : {});
    return { ...base, body: { ...base.body, current: error.current } };
  }
  if (error instanceof InputError) {
    return reply(400, "invalidInput", error.message, {
      field: error.field,
      ...(error.details ? { details: error.details } : {}),
    });
  }
  if (error instanceof SyncError && error.code in WIRE_ERROR_STATUS) {
    const code = error.code as WireErrorCode;
    return reply(
      WIRE_ERROR_STATUS[code],
      code,
      error.message,
      error.details ? { details: error.details } : {},
    );
  }
  if (isClientFault(error)) {
    if (error.statusCode === 429)
      return reply(429, "rateLimited", "Too many requests.", { details: error.message });
    if (error.statusCode === 404)
      return reply(404, "notFound", "No such operation.", { details: error.message });
    return reply(error.statusCode, "invalidInput", "The request could not be read.", {
      field: "body",
      details: error.message,
    });
  }
  return reply(500, "serverError", "The server failed to answer this request.");
}
