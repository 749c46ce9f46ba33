/**
 * The id formats of the simulated Exchange store, shared by the two twins that hand them out: the fake `Office`
 * (EWS-format ids, as `item.itemId` returns them) and the Graph subset (REST and immutable REST ids, and the
 * binary entry ids of `translateExchangeIds`). Browser-safe: no Node APIs.
 *
 * Sources:
 * - "Use the Outlook REST APIs from an Outlook add-in" (Office Add-ins docs, outlook/use-rest-api): outside
 *   Outlook on mobile, `item.itemId` is EWS-formatted and must be converted with `convertToRestId`, because "EWS
 *   IDs can contain non-URL safe values". The simulated REST form is the EWS id with `/` → `-` and `+` → `_`.
 * - "Get immutable identifiers for Outlook resources" (graph/outlook-immutable-id): an item's REST id changes
 *   when it moves to another folder; its immutable id does not, as long as it stays in the mailbox.
 * - "user: translateExchangeIds" (graph/api/user-translateexchangeids): the formats entryId, ewsId,
 *   immutableEntryId, restId and restImmutableEntryId; the binary ones (entryId, immutableEntryId) are URL-safe
 *   base64 with `+` → `-`, `/` → `_`, the padding removed and its count (0, 1 or 2) appended as a digit.
 *
 * Every id here encodes real bytes: a fixed prefix, three marker bytes whose base64 is `+/+/` (so an EWS id
 * always differs from its REST form, as real ones do), and the item's number (plus, for movable ids, its
 * placement: how many folders it has been in). Decoding is only a well-formedness check; the mailbox resolves
 * ids through its own index.
 */

/** The id formats of Graph's `exchangeIdFormat` enumeration (metadata: EnumType exchangeIdFormat). */
export type ExchangeIdFormat = "entryId" | "ewsId" | "immutableEntryId" | "restId" | "restImmutableEntryId";

export const EXCHANGE_ID_FORMATS: readonly ExchangeIdFormat[] = [
  "entryId",
  "ewsId",
  "immutableEntryId",
  "restId",
  "restImmutableEntryId",
];

/** Bytes 00 03 24 encode as "AAMk", how Exchange REST and EWS item ids begin. */
const MOVABLE_PREFIX = [0x00, 0x03, 0x24];
/** Bytes 00 09 00 encode as "AAkA", how Exchange immutable REST ids begin. */
const IMMUTABLE_PREFIX = [0x00, 0x09, 0x00];
/** Bytes fb ff bf encode as "+/+/": characters that are not URL-safe. */
const MARKER = [0xfb, 0xff, 0xbf];

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

function encodeBase64(bytes: readonly number[]): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const [a = 0, b = 0, c = 0] = [bytes[i], bytes[i + 1], bytes[i + 2]];
    const n = (a << 16) | (b << 8) | c;
    out += BASE64[(n >> 18) & 63] ?? "";
    out += BASE64[(n >> 12) & 63] ?? "";
    out += i + 1 < bytes.length ? (BASE64[(n >> 6) & 63] ?? "") : "=";
    out += i + 2 < bytes.length ? (BASE64[n & 63] ?? "") : "=";
  }
  return out;
}

function decodeBase64(text: string): number[] | null {
  if (text.length % 4 !== 0) return null;
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i += 4) {
    const chunk = text.slice(i, i + 4);
    const values = [...chunk].map((ch) => (ch === "=" ? 0 : BASE64.indexOf(ch)));
    if (values.some((value) => value < 0)) return null;
    const pad = chunk.endsWith("==") ? 2 : chunk.endsWith("=") ? 1 : 0;
    if (chunk.slice(0, 4 - pad).includes("=")) return null;
    const n = values.reduce((acc, value) => (acc << 6) | value, 0);
    bytes.push((n >> 16) & 255);
    if (pad < 2) bytes.push((n >> 8) & 255);
    if (pad < 1) bytes.push(n & 255);
  }
  return bytes;
}

function textBytes(text: string): number[] {
  return [...text].map((ch) => ch.charCodeAt(0) & 255);
}

function startsWith(bytes: readonly number[], prefix: readonly number[]): boolean {
  return prefix.every((byte, i) => bytes[i] === byte);
}

/** The EWS form of a REST-format id. */
export function ewsIdFromRestId(restId: string): string {
  return restId.replace(/-/g, "/").replace(/_/g, "+");
}

/** The REST form of an EWS-format id. */
export function restIdFromEwsId(ewsId: string): string {
  return ewsId.replace(/\//g, "-").replace(/\+/g, "_");
}

/** The REST id of item `itemNumber` in its `placement`-th folder (1 for the folder it was created in). */
export function newRestId(itemNumber: number, placement: number): string {
  return restIdFromEwsId(
    encodeBase64([...MOVABLE_PREFIX, ...MARKER, ...textBytes(`${itemNumber}.${placement}`)]),
  );
}

/** The immutable REST id (restImmutableEntryId) of item `itemNumber`. */
export function newImmutableId(itemNumber: number): string {
  return restIdFromEwsId(encodeBase64([...IMMUTABLE_PREFIX, ...MARKER, ...textBytes(`${itemNumber}`)]));
}

/**
 * The id of a series' occurrence that is not an item of its own (an occurrence Graph lists in a calendar view
 * or "List instances"): the master's item number and the occurrence's start, in the immutable form.
 */
export function occurrenceId(masterImmutableId: string, startMs: number): string | null {
  const bytes = restBytes(masterImmutableId, IMMUTABLE_PREFIX);
  if (bytes === null) return null;
  const number = String.fromCharCode(...bytes.slice(IMMUTABLE_PREFIX.length + MARKER.length));
  if (number.includes(".")) return null;
  return restIdFromEwsId(
    encodeBase64([...IMMUTABLE_PREFIX, ...MARKER, ...textBytes(`${number}.${startMs}`)]),
  );
}

/** The master's immutable id and the start of an {@link occurrenceId}, or null for any other id. */
export function parseOccurrenceId(
  id: string,
): { readonly masterId: string; readonly startMs: number } | null {
  const bytes = restBytes(id, IMMUTABLE_PREFIX);
  if (bytes === null) return null;
  const [number, start, ...rest] = String.fromCharCode(
    ...bytes.slice(IMMUTABLE_PREFIX.length + MARKER.length),
  ).split(".");
  if (number === undefined || start === undefined || rest.length > 0) return null;
  return { masterId: newImmutableId(Number(number)), startMs: Number(start) };
}

/** The bytes of a REST-alphabet id with the given prefix and a payload of digits and dots, or null. */
function restBytes(restId: string, prefix: readonly number[]): number[] | null {
  // use-rest-api: the REST form is URL-safe; an id with the EWS alphabet's "+" or "/" is not a REST id.
  if (/[+/]/.test(restId)) return null;
  const bytes = decodeBase64(ewsIdFromRestId(restId));
  if (bytes === null || !startsWith(bytes, [...prefix, ...MARKER])) return null;
  const payload = bytes.slice(prefix.length + MARKER.length);
  return payload.length > 0 && payload.every((byte) => (byte >= 0x30 && byte <= 0x39) || byte === 0x2e)
    ? bytes
    : null;
}

/** True when `id` is a well-formed simulated REST id (not necessarily of a live item). */
export function isRestId(id: string): boolean {
  return restBytes(id, MOVABLE_PREFIX) !== null;
}

/** True when `id` is a well-formed simulated immutable REST id. */
export function isImmutableId(id: string): boolean {
  return restBytes(id, IMMUTABLE_PREFIX) !== null;
}

/** The binary entry id (URL-safe base64 with the padding count) of a REST-alphabet id's bytes. */
function binaryForm(restId: string): string {
  const standard = ewsIdFromRestId(restId);
  const stripped = standard.replace(/=+$/, "");
  return `${stripped.replace(/\+/g, "-").replace(/\//g, "_")}${standard.length - stripped.length}`;
}

/** The REST-alphabet id of a binary entry id, or null when it is not one. */
function fromBinaryForm(entryId: string): string | null {
  const match = /^([A-Za-z0-9_-]*)([012])$/.exec(entryId);
  if (match === null) return null;
  const standard = `${(match[1] ?? "").replace(/-/g, "+").replace(/_/g, "/")}${"=".repeat(Number(match[2]))}`;
  return decodeBase64(standard) === null ? null : restIdFromEwsId(standard);
}

/** The entryId form of a REST id. */
export function entryIdFromRestId(restId: string): string {
  return binaryForm(restId);
}

/** The immutableEntryId form of an immutable REST id. */
export function immutableEntryIdFromImmutableId(immutableId: string): string {
  return binaryForm(immutableId);
}

/**
 * What an id given in `format` names: a movable REST id or an immutable REST id, or null when the id is not
 * well-formed for that format.
 */
export function parseExchangeId(
  id: string,
  format: ExchangeIdFormat,
): { readonly kind: "rest" | "immutable"; readonly restFormId: string } | null {
  const asRest = (restFormId: string | null, kind: "rest" | "immutable") =>
    restFormId !== null && (kind === "rest" ? isRestId(restFormId) : isImmutableId(restFormId))
      ? { kind, restFormId }
      : null;
  switch (format) {
    case "restId":
      return asRest(id, "rest");
    case "ewsId":
      return asRest(restIdFromEwsId(id), "rest");
    case "entryId":
      return asRest(fromBinaryForm(id), "rest");
    case "restImmutableEntryId":
      return asRest(id, "immutable");
    case "immutableEntryId":
      return asRest(fromBinaryForm(id), "immutable");
  }
}

/** An item's id in `format`, from its current REST id and its immutable id. */
export function formatExchangeId(
  ids: { readonly restId: string; readonly immutableId: string },
  format: ExchangeIdFormat,
): string {
  switch (format) {
    case "restId":
      return ids.restId;
    case "ewsId":
      return ewsIdFromRestId(ids.restId);
    case "entryId":
      return entryIdFromRestId(ids.restId);
    case "restImmutableEntryId":
      return ids.immutableId;
    case "immutableEntryId":
      return immutableEntryIdFromImmutableId(ids.immutableId);
  }
}
