import type { EntityType } from "../../core/types";
import { overlapsWindow } from "../mailbox/calendar-window";
import type {
  DeltaEntry,
  SimulatedFolder,
  SimulatedItem,
  SimulatedMailbox,
} from "../mailbox/simulated-mailbox";
import { error, page, type Reply } from "./graph-reply";
import { seriesInView } from "./graph-series";
import { itemToGraph, type BodyType, type IdForm } from "./graph-shapes";

/**
 * The delta functions (metadata: Function delta bound to Collection(graph.contact), Collection(graph.event),
 * Collection(graph.todoTask), Collection(graph.message)) over the mailbox's per-folder journal, with
 * @odata.nextLink / @odata.deltaLink paging, `@removed` entries and 410 syncStateNotFound for an expired token
 * (graph/delta-query-overview). calendarView delta keeps the startDateTime/endDateTime window of the round's
 * first request in its tokens (event-delta: "the same window").
 */

const DEFAULT_PAGE = 50;

function encodeToken(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

function decodeToken(token: string): Record<string, unknown> | null {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    return typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** A message's receivedDateTime (sent mail: when it was sent; metadata: message.receivedDateTime). */
function messageTime(item: SimulatedItem): number {
  const at = item.fields.receivedAt ?? item.fields.sentAt;
  return typeof at === "string" ? Date.parse(at) : item.createdAt;
}

export function deltaPage(
  mailbox: SimulatedMailbox,
  request: {
    readonly type: EntityType;
    readonly folder: SimulatedFolder;
    /** The absolute URL of the delta function, without its query: next and delta links extend it. */
    readonly linkBase: string;
    readonly query: URLSearchParams;
    readonly prefer: string | undefined;
    readonly idForm: IdForm;
    readonly bodyType: BodyType;
  },
): Reply {
  const { type, folder, query, prefer, idForm } = request;
  // graph/paging: "Prefer: odata.maxpagesize={x}".
  const size = Number(/odata\.maxpagesize=(\d+)/.exec(prefer ?? "")?.[1] ?? DEFAULT_PAGE);
  const tokenText = query.get("$deltatoken") ?? query.get("$skiptoken");
  let state: {
    since: number;
    snap: number;
    after: string;
    epoch: number;
    window: [number, number] | null;
    /** Messages only: the receivedDateTime the round's $filter starts at (ms; "gt" as ms + 1). */
    from: number | null;
  };
  if (tokenText === null) {
    let from: number | null = null;
    const filter = query.get("$filter");
    if (filter !== null) {
      // message-delta: "$filter … receivedDateTime+ge+{value} or receivedDateTime+gt+{value}" only.
      const bound = /^receivedDateTime (ge|gt) (\S+)$/.exec(filter);
      const ms = bound ? Date.parse(bound[2] ?? "") : Number.NaN;
      if (type !== "email" || Number.isNaN(ms))
        return error(400, "BadRequest", `delta supports no $filter "${filter}" here`);
      from = bound?.[1] === "gt" ? ms + 1 : ms;
    }
    let window: [number, number] | null = null;
    if (type === "appointment") {
      const start = Date.parse(query.get("startDateTime") ?? "");
      const end = Date.parse(query.get("endDateTime") ?? "");
      if (Number.isNaN(start) || Number.isNaN(end)) {
        return error(400, "ErrorInvalidParameter", "calendarView needs startDateTime and endDateTime");
      }
      window = [start, end];
    }
    state = {
      since: 0,
      snap: mailbox.currentSeq(),
      after: "",
      epoch: mailbox.deltaEpoch(folder.folderId),
      window,
      from,
    };
  } else {
    const decoded = decodeToken(tokenText);
    if (decoded === null || decoded.f !== folder.folderId)
      return error(400, "BadRequest", "the delta token is not valid for this folder");
    if (decoded.e !== mailbox.deltaEpoch(folder.folderId)) {
      return error(
        410,
        "syncStateNotFound",
        "The sync state generation is not found; restart the sync without a token.",
      );
    }
    const window = Array.isArray(decoded.w) ? (decoded.w as [number, number]) : null;
    const from = typeof decoded.r === "number" ? decoded.r : null;
    const since = Number(decoded.s);
    state = query.has("$deltatoken")
      ? { since, snap: mailbox.currentSeq(), after: "", epoch: Number(decoded.e), window, from }
      : { since, snap: Number(decoded.n), after: String(decoded.a), epoch: Number(decoded.e), window, from };
  }
  const key = (entry: DeltaEntry) => (entry.kind === "changed" ? entry.item.immutableId : entry.immutableId);
  const entries = mailbox
    .changesSince(folder.folderId, state.since)
    .filter((entry) => key(entry) > state.after);
  const out: unknown[] = [];
  let last = state.after;
  let taken = 0;
  for (const entry of entries.slice(0, size)) {
    taken += 1;
    last = key(entry);
    const series =
      state.window === null
        ? null
        : seriesInView(mailbox, entry, state.window, state.since > 0, (item) =>
            itemToGraph(item, { idForm, bodyType: request.bodyType }),
          );
    if (series !== null) out.push(...series);
    else if (entry.kind === "removed") {
      const id = idForm === "immutable" ? entry.immutableId : entry.itemId;
      out.push({ id, "@removed": { reason: "deleted" } });
    } else if (
      state.window !== null &&
      !overlapsWindow(entry.item.fields, state.window[0], state.window[1])
    ) {
      // An event that left the round's window is reported removed (event-delta, "@removed" with reason "changed").
      const id = idForm === "immutable" ? entry.item.immutableId : entry.item.itemId;
      if (state.since > 0) out.push({ id, "@removed": { reason: "changed" } });
    } else if (state.from !== null && messageTime(entry.item) < state.from) {
      continue;
    } else out.push(itemToGraph(entry.item, { idForm, bodyType: request.bodyType }));
  }
  const base = request.linkBase;
  const common = { f: folder.folderId, e: state.epoch, w: state.window, r: state.from };
  if (taken < entries.length)
    return page(
      out,
      `${base}?$skiptoken=${encodeToken({ ...common, s: state.since, n: state.snap, a: last })}`,
      null,
    );
  return page(out, null, `${base}?$deltatoken=${encodeToken({ ...common, s: state.snap })}`);
}
