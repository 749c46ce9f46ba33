/** One answer of the Graph twin, before it is written to HTTP or into a $batch response. */
export interface Reply {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
}

/** Graph's error body `{ error: { code, message } }` (graph/errors: "Microsoft Graph error responses"). */
export function error(
  status: number,
  code: string,
  message: string,
  headers?: Record<string, string>,
): Reply {
  return { status, ...(headers && { headers }), body: { error: { code, message } } };
}

export function isReply(value: unknown): value is Reply {
  return typeof value === "object" && value !== null && "status" in value;
}

/** A collection page with its paging links (graph/paging, graph/delta-query-overview). */
export function page(entries: unknown[], next: string | null, delta: string | null): Reply {
  return {
    status: 200,
    body: {
      value: entries,
      ...(next !== null && { "@odata.nextLink": next }),
      ...(delta !== null && { "@odata.deltaLink": delta }),
    },
  };
}

const DEFAULT_PAGE = 10;
const MAX_PAGE = 1000;

/** The part of a collection one page answers: `$top` entries after the first `$skip`. */
export interface PageWindow {
  readonly top: number;
  readonly skip: number;
}

/**
 * graph/query-parameters: $top and $skip page a collection; nextLink carries on. user-list-messages: $top is
 * "within the range of 1 and 1000" (the twin holds every Outlook collection to it).
 */
export function pageWindow(query: URLSearchParams): PageWindow | Reply {
  const top = Number(query.get("$top") ?? DEFAULT_PAGE);
  if (!Number.isInteger(top) || top < 1 || top > MAX_PAGE)
    return error(400, "ErrorInvalidParameter", `$top must be a whole number from 1 to ${MAX_PAGE}.`);
  return { top, skip: Number(query.get("$skip") ?? 0) };
}

/**
 * graph/paging: the next page of a request to `url` (without its query) is the same query with $skip past this
 * page; null after the last page.
 */
export function nextPageLink(
  url: string,
  query: URLSearchParams,
  window: PageWindow,
  total: number,
): string | null {
  const end = window.skip + window.top;
  if (end >= total) return null;
  const nextQuery = new URLSearchParams(query);
  nextQuery.set("$skip", String(end));
  return `${url}?${nextQuery.toString()}`;
}

/** The twin serves a path or option the metadata allows but the simulator does not carry out. */
export function notSimulated(what: string): Reply {
  return error(501, "NotImplemented", `The Graph twin does not simulate ${what}.`);
}
