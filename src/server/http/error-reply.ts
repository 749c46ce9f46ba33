/**
 * Maps anything a request can fail with to a status and a typed error body (src/protocol/errors.ts), Fastify's
 * own failures included. The message says what happened: the service's details when it gave them.
 */
import { STATUS_CODES } from "node:http";
import { ERROR_TABLE, SyncError } from "../../core/errors";
import { LIMITS, WIRE_ERROR_STATUS, type ErrorBody, type WireErrorCode } from "../../protocol";
import { InputError, RecordConflictError } from "../sync/service-errors";

/** A reply: status and JSON body. */
export interface ErrorReply {
  readonly status: number;
  readonly body: ErrorBody & Record<string, unknown>;
  /** True when the failure is the server's fault and must be logged as an error. */
  readonly serverFault: boolean;
}

/** Longest path parameter the router accepts (a client id is at most 100 characters, a record id 36). */
export const MAX_PARAM_LENGTH = LIMITS.clientIdLength;

const reply = (
  status: number,
  code: WireErrorCode,
  message: string,
  extra: { field?: string; details?: string } = {},
): ErrorReply => ({
  status,
  body: { error: { code, message, ...extra } },
  serverFault: status >= 500,
});

/** `no client desk registered for you` → `No client desk registered for you.` */
const sentence = (text: string): string =>
  `${text.charAt(0).toUpperCase()}${text.slice(1)}${/[.!?]$/.test(text) ? "" : "."}`;

/** Fastify's and Node's own request failures, by Fastify error code. */
const FRAMEWORK_ERRORS: Readonly<Record<string, () => ErrorReply>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: () =>
    reply(413, "invalidInput", `The body is larger than ${LIMITS.bodyBytes} bytes.`, { field: "body" }),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () =>
    reply(
      415,
      "invalidInput",
      "The body's media type (content-type) is not accepted: send application/json.",
      {
        field: "body",
      },
    ),
  FST_ERR_CTP_EMPTY_JSON_BODY: () =>
    reply(400, "invalidInput", "The body is empty, but its content-type says JSON.", { field: "body" }),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () =>
    reply(400, "invalidInput", "The body's size does not match its Content-Length.", { field: "body" }),
  FST_ERR_BAD_URL: () =>
    reply(400, "invalidInput", "The URL path has broken percent-encoding.", { field: "url" }),
  FST_ERR_MAX_PARAM_LENGTH: () =>
    reply(
      414,
      "invalidInput",
      `A segment of the URL path is too long (at most ${MAX_PARAM_LENGTH} characters).`,
      {
        field: "url",
      },
    ),
  ERR_HTTP_REQUEST_TIMEOUT: () => reply(408, "invalidInput", "The request was not received in time."),
  HPE_HEADER_OVERFLOW: () =>
    reply(431, "invalidInput", "The request's headers are too large.", { field: "headers" }),
};

/** The answer to a request that arrives while the server is closing (Fastify's own 503 is turned off for it). */
export const CLOSING_REPLY: ErrorReply = reply(
  503,
  "serverError",
  "The server is shutting down: send the request again.",
);

export const codeOf = (error: unknown): string | undefined =>
  typeof error === "object" && error !== null && "code" in error && typeof error.code === "string"
    ? error.code
    : undefined;

/** A 4xx failure raised by Fastify or a plugin (e.g. rate limiting), known by its status. */
const clientStatus = (error: unknown): number | undefined =>
  typeof error === "object" &&
  error !== null &&
  "statusCode" in error &&
  typeof error.statusCode === "number" &&
  error.statusCode >= 400 &&
  error.statusCode < 500
    ? error.statusCode
    : undefined;

export function errorReply(error: unknown): ErrorReply {
  if (error instanceof RecordConflictError) {
    const base = reply(
      409,
      "conflict",
      ERROR_TABLE.conflict.message,
      error.details ? { details: error.details } : {},
    );
    return { ...base, body: { ...base.body, current: error.current } };
  }
  if (error instanceof InputError) {
    return reply(400, "invalidInput", sentence(error.details ?? error.field), {
      field: error.field,
      ...(error.details ? { details: error.details } : {}),
    });
  }
  if (error instanceof SyncError && error.code in WIRE_ERROR_STATUS) {
    const code = error.code as WireErrorCode;
    return reply(
      WIRE_ERROR_STATUS[code],
      code,
      error.details ? sentence(error.details) : ERROR_TABLE[code].message,
      error.details ? { details: error.details } : {},
    );
  }
  const known = FRAMEWORK_ERRORS[codeOf(error) ?? ""];
  if (known) return known();
  const status = clientStatus(error);
  if (status === 429) {
    return reply(429, "rateLimited", ERROR_TABLE.rateLimited.message, {
      details: error instanceof Error ? error.message : "",
    });
  }
  if (status !== undefined) {
    return reply(
      status,
      "invalidInput",
      `The request could not be read (${STATUS_CODES[status] ?? status}).`,
      {
        details: error instanceof Error ? error.message : "",
      },
    );
  }
  return reply(500, "serverError", "The server failed to answer this request.");
}

/** The answer to a request Node could not parse, written straight to the socket (no request object exists). */
export function rawErrorAnswer(error: unknown): string {
  const answer =
    FRAMEWORK_ERRORS[codeOf(error) ?? ""]?.() ?? reply(400, "invalidInput", "The request is not valid HTTP.");
  const body = JSON.stringify(answer.body);
  return (
    `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status] ?? ""}\r\n` +
    `content-type: application/json; charset=utf-8\r\nx-content-type-options: nosniff\r\n` +
    `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`
  );
}
