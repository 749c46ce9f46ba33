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

/** The twin serves a path or option the metadata allows but the simulator does not carry out. */
export function notSimulated(what: string): Reply {
  return error(501, "NotImplemented", `The Graph twin does not simulate ${what}.`);
}
