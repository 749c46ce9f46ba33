/**
 * The request queue between the short-lived runtimes (launch events, ribbon commands) and the runtime that owns
 * the sync (the pinned task pane, or a command running one bounded cycle). A request asks the owner to act now;
 * what the owner does comes from the item's stamps and the engine's rules, so a request lost in a race only
 * waits for the next cycle. Stored as one JSON array per mailbox in a key-value store with the
 * `OfficeRuntime.storage` shape.
 *
 * Written in the syntax the oldest JavaScript-only runtime parses (ECMAScript 2016: no async functions, no
 * conditional operator), because the launch-event bundle includes this file.
 */

/** The part of `OfficeRuntime.storage` the queue needs. */
export interface KeyValueStore {
  getItem(key: string): Promise<string | null>;
  setItem(key: string, value: string): Promise<void>;
  removeItem(key: string): Promise<void>;
}

export type LaunchRequestKind = "messageSent" | "appointmentSent" | "track" | "untrack" | "syncNow";

/** The item types a Track or Untrack request names (the engine's EntityType). */
export type LaunchItemType = "contact" | "appointment" | "task" | "email";

export interface LaunchRequest {
  /** Unique per request; a command waits for the answer stored under it. */
  readonly id: string;
  readonly kind: LaunchRequestKind;
  /**
   * The item the request is about, or null for Sync now: for a send, the id Office gave the launch event (EWS
   * format, only logged: the owner's cycle finds the item by its stamp); for Track and Untrack, the store's id.
   */
  readonly itemId: string | null;
  /** For Track and Untrack, the item's type (the store addresses an item by id and type); null otherwise. */
  readonly itemType: LaunchItemType | null;
  /** Where a Track or Untrack was made: the item's own form or the list. */
  readonly surface: "inspector" | "explorer";
  /** Milliseconds since the epoch. */
  readonly at: number;
}

/** The most requests kept per mailbox; the oldest go first (each only asks for work the cycle does anyway). */
export const MAX_REQUESTS = 50;

const KINDS: readonly string[] = ["messageSent", "appointmentSent", "track", "untrack", "syncNow"];

const ITEM_TYPES: readonly string[] = ["contact", "appointment", "task", "email"];

/** The storage key of one mailbox's queue. */
export function requestsKey(mailbox: string): string {
  return "outlookCrmSync.requests:" + mailbox.toLowerCase();
}

/** The storage key of the owner's answer to request `id`. */
export function answerKey(mailbox: string, id: string): string {
  return "outlookCrmSync.answer:" + mailbox.toLowerCase() + ":" + id;
}

function isRequest(value: unknown): value is LaunchRequest {
  if (typeof value !== "object" || value === null) return false;
  const r = value as Record<string, unknown>;
  return (
    typeof r["id"] === "string" &&
    typeof r["kind"] === "string" &&
    KINDS.indexOf(r["kind"]) >= 0 &&
    (r["itemId"] === null || typeof r["itemId"] === "string") &&
    (r["itemType"] === null || ITEM_TYPES.indexOf(r["itemType"] as string) >= 0) &&
    (r["surface"] === "inspector" || r["surface"] === "explorer") &&
    typeof r["at"] === "number"
  );
}

/** The requests stored in `text`; anything unreadable is left out (a request is only a hint). */
export function parseRequests(text: string | null): LaunchRequest[] {
  if (text === null || text === "") return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  return parsed.filter(isRequest);
}

/** Adds `request` to the mailbox's queue, keeping at most MAX_REQUESTS (the newest). */
export function appendRequest(store: KeyValueStore, mailbox: string, request: LaunchRequest): Promise<void> {
  const key = requestsKey(mailbox);
  return store.getItem(key).then(function (text) {
    const next = parseRequests(text).concat([request]);
    return store.setItem(key, JSON.stringify(next.slice(Math.max(0, next.length - MAX_REQUESTS))));
  });
}

/** Takes every queued request of the mailbox, oldest first, and empties the queue. */
export function takeRequests(store: KeyValueStore, mailbox: string): Promise<LaunchRequest[]> {
  const key = requestsKey(mailbox);
  return store.getItem(key).then(function (text) {
    const requests = parseRequests(text);
    if (requests.length === 0) return requests;
    return store.setItem(key, "[]").then(function () {
      return requests;
    });
  });
}

/** The part of `Window.localStorage` the queue falls back to. */
export interface SyncStringStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/**
 * Where every runtime keeps the queue, by one rule: `OfficeRuntime.storage` where the runtime has it (the
 * JavaScript-only runtime always does), else the origin's localStorage (browser runtimes), else nowhere.
 */
export function pickRequestStore(
  officeRuntimeStorage: KeyValueStore | undefined,
  localStore: SyncStringStore | undefined,
): KeyValueStore | null {
  if (officeRuntimeStorage !== undefined) return officeRuntimeStorage;
  if (localStore === undefined) return null;
  return {
    getItem: function (key) {
      return Promise.resolve().then(function () {
        return localStore.getItem(key);
      });
    },
    setItem: function (key, value) {
      return Promise.resolve().then(function () {
        localStore.setItem(key, value);
      });
    },
    removeItem: function (key) {
      return Promise.resolve().then(function () {
        localStore.removeItem(key);
      });
    },
  };
}
