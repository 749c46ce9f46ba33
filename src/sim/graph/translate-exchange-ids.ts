import { EXCHANGE_ID_FORMATS, type ExchangeIdFormat } from "../mailbox/exchange-ids";
import type { SimulatedMailbox } from "../mailbox/simulated-mailbox";

/**
 * `POST /me/translateExchangeIds` (graph/api/user-translateexchangeids; metadata: Action translateExchangeIds
 * bound to graph.user, returning Collection(graph.convertIdResult)).
 */

/** "Maximum size of this collection is 1000 strings." (user-translateexchangeids, request body) */
export const MAX_TRANSLATE_IDS = 1000;

export type TranslateReply =
  | { readonly ok: true; readonly body: unknown }
  | { readonly ok: false; readonly code: string; readonly message: string };

/** A body parameter by its documented camelCase name or the metadata's PascalCase name. */
function parameter(body: Record<string, unknown>, name: string): unknown {
  return body[name] ?? body[name.charAt(0).toUpperCase() + name.slice(1)];
}

function isFormat(value: unknown): value is ExchangeIdFormat {
  return typeof value === "string" && (EXCHANGE_ID_FORMATS as readonly string[]).includes(value);
}

/** Answers one translateExchangeIds body over the mailbox. */
export function translateExchangeIds(mailbox: SimulatedMailbox, body: unknown): TranslateReply {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    return { ok: false, code: "BadRequest", message: "The request body must be a JSON object." };
  const record = body as Record<string, unknown>;
  const inputIds = parameter(record, "inputIds");
  const sourceIdType = parameter(record, "sourceIdType");
  const targetIdType = parameter(record, "targetIdType");
  if (!Array.isArray(inputIds) || !inputIds.every((id) => typeof id === "string"))
    return { ok: false, code: "BadRequest", message: "inputIds must be a collection of strings." };
  if (inputIds.length > MAX_TRANSLATE_IDS) {
    return {
      ok: false,
      code: "BadRequest",
      message: `inputIds holds ${inputIds.length} ids; the limit is ${MAX_TRANSLATE_IDS}.`,
    };
  }
  // metadata: EnumType exchangeIdFormat (entryId, ewsId, immutableEntryId, restId, restImmutableEntryId).
  for (const [name, value] of [
    ["sourceIdType", sourceIdType],
    ["targetIdType", targetIdType],
  ] as const) {
    if (!isFormat(value)) {
      return {
        ok: false,
        code: "BadRequest",
        message: `${name} must be one of ${EXCHANGE_ID_FORMATS.join(", ")}; got ${JSON.stringify(value)}.`,
      };
    }
  }
  const results = mailbox.translateIds(
    inputIds,
    sourceIdType as ExchangeIdFormat,
    targetIdType as ExchangeIdFormat,
  );
  return {
    ok: true,
    body: {
      "@odata.context":
        "https://graph.microsoft.com/v1.0/$metadata#Collection(microsoft.graph.convertIdResult)",
      // resources/convertidresult: errorDetails (genericError: code, message) is present only when the
      // conversion failed, targetId only when it succeeded. Codes as Exchange names them (EWS response codes).
      value: results.map((result) =>
        "targetId" in result
          ? { sourceId: result.sourceId, targetId: result.targetId }
          : {
              sourceId: result.sourceId,
              errorDetails:
                result.error === "malformed"
                  ? { code: "ErrorInvalidIdMalformed", message: "Id is malformed." }
                  : {
                      code: "ErrorItemNotFound",
                      message: "The specified object was not found in the store.",
                    },
            },
      ),
    },
  };
}
