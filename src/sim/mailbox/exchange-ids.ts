/**
 * The id formats of the simulated Exchange store, shared by the two twins that hand them out: the fake `Office`
 * (EWS-format ids, as `item.itemId` returns them) and the Graph subset (REST-format ids).
 *
 * Source: "Use the Outlook REST APIs from an Outlook add-in" (Office Add-ins docs, outlook/use-rest-api): outside
 * Outlook on mobile, `item.itemId` is EWS-formatted and must be converted with `convertToRestId`, because "EWS IDs
 * can contain non-URL safe values". The simulated REST form is the URL-safe base64 alphabet of the same id
 * (`+` → `_`, `/` → `-`), the URL-safe encoding the Graph translateExchangeIds page describes.
 */

/** The EWS form of a REST-format id. */
export function ewsIdFromRestId(restId: string): string {
  return restId.replace(/-/g, "/").replace(/_/g, "+");
}

/** The REST form of an EWS-format id. */
export function restIdFromEwsId(ewsId: string): string {
  return ewsId.replace(/\//g, "-").replace(/\+/g, "_");
}
