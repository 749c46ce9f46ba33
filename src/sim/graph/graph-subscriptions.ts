/**
 * The Graph twin's change notifications (webhooks): `/subscriptions` create, list, get, renew, delete and
 * reauthorize, the validation of each notification URL before a subscription exists, change notifications
 * POSTed for every write of a subscribed folder, and lifecycle notifications. Shapes follow the metadata's
 * `subscription` entity and `changeNotification`/`changeNotificationCollection` complex types; behaviour follows
 * the pages named beside it. Node only (it POSTs to the subscriber).
 */
import { randomUUID } from "node:crypto";
import type { EntityType } from "../../core/types";
import type { Clock, Disposable } from "../../ports/clock";
import type { MailboxWrite, SimulatedMailbox } from "../mailbox/simulated-mailbox";
import type { GraphMetadata } from "./graph-metadata";
import { error, type Reply } from "./graph-reply";
import { checkBody } from "./graph-request-check";

/** subscription resource type, "Maximum length of subscription per resource type": Outlook message, event, contact. */
export const MAX_SUBSCRIPTION_MINUTES = 4230;
/** webhooks, "Notification endpoint validation": the endpoint answers within 10 seconds. */
const VALIDATION_TIMEOUT_MS = 10_000;
/** webhooks, "Processing the notification": without a 2xx Graph retries "a number of times"; the twin tries 4. */
const DELIVERY_ATTEMPTS = 4;
const DELIVERY_TIMEOUT_MS = 3_000;
const RETRY_FIRST_MS = 1_000;
/** subscription resource type: clientState "The maximum length is 128 characters". */
const MAX_CLIENT_STATE = 128;
/** The twin's tenant, as changeNotification.tenantId carries it. */
const TENANT_ID = "9188040d-6c67-4c5b-b112-36a304b66dad";

/** metadata EnumType lifecycleEventType. */
export type LifecycleEvent = "missed" | "subscriptionRemoved" | "reauthorizationRequired";

type Change = MailboxWrite["change"];

interface Subscription {
  readonly id: string;
  readonly resource: string;
  readonly type: EntityType;
  /** The watched folder, or null for a mailbox-wide collection (`/me/events`, `/me/messages`). */
  readonly folderId: string | null;
  readonly changes: ReadonlySet<Change>;
  readonly notificationUrl: string;
  readonly lifecycleNotificationUrl: string | null;
  readonly clientState: string | null;
  expiresAt: number;
  /** Set by a reauthorizationRequired notification until the app reauthorizes or renews (webhooks-lifecycle). */
  paused: boolean;
}

const ODATA_TYPES: Readonly<Record<EntityType, string>> = {
  contact: "#Microsoft.Graph.Contact",
  appointment: "#Microsoft.Graph.Event",
  task: "#Microsoft.Graph.TodoTask",
  email: "#Microsoft.Graph.Message",
};
const COLLECTIONS: Readonly<Record<EntityType, string>> = {
  contact: "Contacts",
  appointment: "Events",
  task: "Tasks",
  email: "Messages",
};

/** Whether a URL may be a notification URL: HTTPS (subscription resource type), or loopback HTTP (below). */
function acceptedUrl(text: string): boolean {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  if (url.protocol === "https:") return true;
  // Graph requires HTTPS; the twin, which cannot hold a public certificate, also accepts loopback HTTP
  // (docs/real-outlook.md: the real endpoint must be reachable from Microsoft over HTTPS).
  return url.protocol === "http:" && ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
}

export class GraphSubscriptions {
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly writes: Disposable;
  private readonly timers = new Set<Disposable>();
  private readonly deliveries = new Set<Promise<void>>();
  private disposed = false;

  constructor(
    private readonly options: {
      readonly mailbox: SimulatedMailbox;
      readonly clock: Clock;
      readonly metadata: GraphMetadata;
      /** How the twin reaches subscribers; default the global fetch. */
      readonly fetch?: typeof fetch;
    },
  ) {
    this.writes = options.mailbox.onWrite((write) => this.notify(write));
  }

  /** Whether the twin answers this path here (the subscriptions entity set and its members). */
  static handles(segments: readonly string[]): boolean {
    return segments[0] === "subscriptions";
  }

  /** Answers a request under /subscriptions (segments after /v1.0). */
  async handle(method: string, segments: readonly string[], body: unknown): Promise<Reply> {
    const [, id, action, ...rest] = segments;
    if (rest.length > 0) return error(400, "BadRequest", `Resource not found for the segment '${rest[0]}'.`);
    if (id === undefined) {
      if (method === "POST") return this.create(body);
      // subscription-list: the app's subscriptions.
      if (method === "GET")
        return { status: 200, body: { value: [...this.live()].map((s) => this.json(s)) } };
      return error(405, "MethodNotAllowed", `${method} is not allowed on /subscriptions.`);
    }
    const subscription = this.liveOne(id);
    if (subscription === undefined)
      return error(404, "ResourceNotFound", `The object was not found: subscription '${id}'.`);
    if (action === "reauthorize") {
      if (method !== "POST")
        return error(405, "MethodNotAllowed", `${method} is not allowed on reauthorize.`);
      // metadata Action reauthorize bound to subscription; subscription-reauthorize answers 204.
      subscription.paused = false;
      return { status: 204 };
    }
    if (action !== undefined)
      return error(400, "BadRequest", `Resource not found for the segment '${action}'.`);
    if (method === "GET") return { status: 200, body: this.json(subscription) };
    if (method === "DELETE") {
      // webhooks, "Deleting a subscription": 204 No Content.
      this.subscriptions.delete(id);
      return { status: 204 };
    }
    if (method === "PATCH") return this.renew(subscription, body);
    return error(405, "MethodNotAllowed", `${method} is not allowed on a subscription.`);
  }

  /**
   * Sends a lifecycle notification of `subscriptionId` to its lifecycleNotificationUrl, as Graph does on its own
   * (webhooks-lifecycle); the twin's tests and fault panel call it. subscriptionRemoved also removes the
   * subscription; reauthorizationRequired holds its change notifications back until it is reauthorized or renewed.
   * Returns the subscriber's HTTP status, or null when there is no such subscription or URL.
   */
  async lifecycle(subscriptionId: string, event: LifecycleEvent): Promise<number | null> {
    const subscription = this.liveOne(subscriptionId);
    if (subscription?.lifecycleNotificationUrl == null) return null;
    if (event === "subscriptionRemoved") this.subscriptions.delete(subscriptionId);
    if (event === "reauthorizationRequired") subscription.paused = true;
    const notification = {
      subscriptionId: subscription.id,
      subscriptionExpirationDateTime: new Date(subscription.expiresAt).toISOString(),
      tenantId: TENANT_ID,
      clientState: subscription.clientState,
      lifecycleEvent: event,
    };
    return this.post(subscription.lifecycleNotificationUrl, { value: [notification] });
  }

  /** Waits until every change notification under way was delivered or given up. */
  async settled(): Promise<void> {
    while (this.deliveries.size > 0) await Promise.all([...this.deliveries]);
  }

  dispose(): void {
    this.disposed = true;
    this.writes.dispose();
    for (const timer of this.timers) timer.dispose();
    this.timers.clear();
  }

  private *live(): Iterable<Subscription> {
    const now = this.options.clock.now();
    for (const subscription of this.subscriptions.values()) {
      // An expired subscription is gone (webhooks, "Subscription lifetime").
      if (subscription.expiresAt <= now) this.subscriptions.delete(subscription.id);
      else yield subscription;
    }
  }

  private liveOne(id: string): Subscription | undefined {
    return [...this.live()].find((subscription) => subscription.id === id);
  }

  private async create(body: unknown): Promise<Reply> {
    const failure = checkBody(this.options.metadata, "microsoft.graph.subscription", body);
    if (failure) return error(failure.status, failure.code, failure.message);
    const input = (body ?? {}) as Record<string, unknown>;
    // webhooks, "Subscription request example": changeType, notificationUrl, resource, expirationDateTime are required.
    for (const name of ["changeType", "notificationUrl", "resource", "expirationDateTime"]) {
      if (typeof input[name] !== "string" || input[name] === "")
        return error(400, "InvalidRequest", `The property '${name}' is required.`);
    }
    const changeType = String(input["changeType"]);
    const changes = changeType.split(",").map((entry) => entry.trim());
    // subscription resource type: changeType values created, updated, deleted, comma-separated.
    if (changes.some((entry) => !["created", "updated", "deleted"].includes(entry)))
      return error(400, "InvalidRequest", `The changeType '${changeType}' is not valid.`);
    const notificationUrl = String(input["notificationUrl"]);
    const lifecycleNotificationUrl =
      typeof input["lifecycleNotificationUrl"] === "string" ? input["lifecycleNotificationUrl"] : null;
    for (const url of [notificationUrl, lifecycleNotificationUrl]) {
      if (url !== null && !acceptedUrl(url))
        return error(400, "InvalidRequest", `The notification URL '${url}' must use the HTTPS protocol.`);
    }
    const clientState = typeof input["clientState"] === "string" ? input["clientState"] : null;
    if (clientState !== null && clientState.length > MAX_CLIENT_STATE)
      return error(400, "InvalidRequest", `clientState is longer than ${MAX_CLIENT_STATE} characters.`);
    const watched = this.watched(String(input["resource"]));
    if ("status" in watched) return watched;
    const expiry = this.expiry(input["expirationDateTime"]);
    if (typeof expiry !== "number") return expiry;
    // webhooks-lifecycle: with the webhooks channel both endpoints are validated.
    for (const url of [notificationUrl, lifecycleNotificationUrl]) {
      if (url !== null && !(await this.validates(url))) {
        return error(
          400,
          "ValidationError",
          "Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.",
        );
      }
    }
    const subscription: Subscription = {
      id: randomUUID(),
      resource: String(input["resource"]),
      ...watched,
      changes: new Set(changes as Change[]),
      notificationUrl,
      lifecycleNotificationUrl,
      clientState,
      expiresAt: expiry,
      paused: false,
    };
    this.subscriptions.set(subscription.id, subscription);
    // webhooks, "Creating a subscription": 201 Created with the subscription.
    return { status: 201, body: this.json(subscription) };
  }

  private renew(subscription: Subscription, body: unknown): Reply {
    const input = (body ?? {}) as Record<string, unknown>;
    // webhooks, "Renewing a subscription": the expirationDateTime property is required.
    const extra = Object.keys(input).filter(
      (key) => key !== "expirationDateTime" && key !== "notificationUrl",
    );
    if (extra.length > 0)
      return error(400, "InvalidRequest", `Only expirationDateTime can be updated, not '${extra[0]}'.`);
    const expiry = this.expiry(input["expirationDateTime"]);
    if (typeof expiry !== "number") return expiry;
    subscription.expiresAt = expiry;
    subscription.paused = false;
    return { status: 200, body: this.json(subscription) };
  }

  private expiry(value: unknown): number | Reply {
    const at = typeof value === "string" ? Date.parse(value) : Number.NaN;
    if (Number.isNaN(at))
      return error(400, "InvalidRequest", "expirationDateTime must be an ISO 8601 date and time.");
    const now = this.options.clock.now();
    if (at <= now) return error(400, "InvalidRequest", "expirationDateTime must be in the future.");
    if (at > now + MAX_SUBSCRIPTION_MINUTES * 60_000) {
      return error(
        400,
        "InvalidRequest",
        `expirationDateTime is more than ${MAX_SUBSCRIPTION_MINUTES} minutes from now, the longest a subscription to this resource may last.`,
      );
    }
    return at;
  }

  /**
   * The folder a resource path watches. webhooks, "Supported resources": a mail folder's messages
   * (`me/mailFolders('inbox')/messages`), or a top-level collection (`me/messages`, `me/contacts`, `me/events`),
   * for the signed-in user (`me`) or a user by id or address (`users/{id}`); To Do tasks of a list.
   */
  private watched(resource: string): { type: EntityType; folderId: string | null } | Reply {
    const { mailbox } = this.options;
    const segments = resource
      .replace(/^\/+/, "")
      .replace(/\('([^']*)'\)/g, "/$1")
      .split("/")
      .filter((segment) => segment !== "")
      .map((segment) => decodeURIComponent(segment));
    let rest = segments;
    if (segments[0]?.toLowerCase() === "users") {
      const user = segments[1] ?? "";
      if (user.toLowerCase() !== mailbox.owner.emailAddress.toLowerCase())
        return error(404, "ErrorInvalidUser", `The requested user '${user}' is invalid.`);
      rest = segments.slice(2);
    } else if (segments[0]?.toLowerCase() === "me") rest = segments.slice(1);
    else return error(400, "InvalidRequest", `The resource '${resource}' is not a supported resource.`);
    const path = rest.map((segment) => segment.toLowerCase());
    const folder = (
      key: string | undefined,
      type: EntityType,
    ): { type: EntityType; folderId: string } | Reply => {
      const found =
        key === undefined ? undefined : (mailbox.folder(key) ?? mailbox.folder(key.toLowerCase()));
      return found?.type === type
        ? { type, folderId: found.folderId }
        : error(404, "ErrorItemNotFound", "The specified object was not found in the store.");
    };
    if (path.length === 1 && path[0] === "contacts") return folder("contacts", "contact");
    if (path.length === 1 && path[0] === "events") return { type: "appointment", folderId: null };
    if (path.length === 1 && path[0] === "messages") return { type: "email", folderId: null };
    if (path.length === 3 && path[0] === "contactfolders" && path[2] === "contacts")
      return folder(rest[1], "contact");
    if (path.length === 3 && path[0] === "mailfolders" && path[2] === "messages")
      return folder(rest[1], "email");
    if (path.length === 4 && path[0] === "todo" && path[1] === "lists" && path[3] === "tasks")
      return folder(rest[2], "task");
    return error(400, "InvalidRequest", `The resource '${resource}' is not a supported resource.`);
  }

  /** webhooks, "Notification endpoint validation": POST ?validationToken=…, expect 200, text/plain, the token. */
  private async validates(url: string): Promise<boolean> {
    const token = `Validation: ${randomUUID()} & more`;
    const target = new URL(url);
    target.searchParams.set("validationToken", token);
    try {
      const answer = await this.send(
        target.toString(),
        { method: "POST", headers: { "content-type": "text/plain" } },
        VALIDATION_TIMEOUT_MS,
      );
      const type = answer.headers.get("content-type") ?? "";
      return answer.status === 200 && type.startsWith("text/plain") && (await answer.text()) === token;
    } catch {
      return false;
    }
  }

  private notify(write: MailboxWrite): void {
    if (this.disposed) return;
    const { mailbox } = this.options;
    const user = mailbox.owner.emailAddress;
    for (const subscription of this.live()) {
      if (subscription.type !== write.type || !subscription.changes.has(write.change)) continue;
      if (subscription.folderId !== null && subscription.folderId !== write.folderId) continue;
      // Notifications are held while reauthorization is required (webhooks-lifecycle).
      if (subscription.paused) continue;
      const path = `Users/${user}/${COLLECTIONS[write.type]}/${write.itemId}`;
      const notification = {
        subscriptionId: subscription.id,
        subscriptionExpirationDateTime: new Date(subscription.expiresAt).toISOString(),
        changeType: write.change,
        resource: path,
        resourceData: { "@odata.type": ODATA_TYPES[write.type], "@odata.id": path, id: write.itemId },
        clientState: subscription.clientState,
        tenantId: TENANT_ID,
      };
      this.track(this.deliver(subscription.notificationUrl, { value: [notification] }, 1));
    }
  }

  private track(delivery: Promise<void>): void {
    this.deliveries.add(delivery);
    void delivery.finally(() => this.deliveries.delete(delivery));
  }

  /** POSTs a change notification; without a 2xx in 3 s it tries again, waiting twice as long each time. */
  private async deliver(url: string, body: unknown, attempt: number): Promise<void> {
    const status = await this.post(url, body);
    if (status !== null && status >= 200 && status < 300) return;
    if (attempt >= DELIVERY_ATTEMPTS || this.disposed) return;
    await new Promise<void>((resolve) => {
      const timer = this.options.clock.setTimeout(
        () => {
          this.timers.delete(timer);
          resolve();
        },
        RETRY_FIRST_MS * 2 ** (attempt - 1),
      );
      this.timers.add(timer);
    });
    if (!this.disposed) await this.deliver(url, body, attempt + 1);
  }

  /** POSTs JSON; the subscriber's status, or null when it could not be reached in time. */
  private async post(url: string, body: unknown): Promise<number | null> {
    try {
      const answer = await this.send(
        url,
        { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) },
        DELIVERY_TIMEOUT_MS,
      );
      await answer.arrayBuffer();
      return answer.status;
    } catch {
      return null;
    }
  }

  private send(url: string, init: RequestInit, timeoutMs: number): Promise<Response> {
    const fetchImpl = this.options.fetch ?? globalThis.fetch;
    return fetchImpl(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  }

  /** A subscription as Graph answers it (metadata EntityType subscription). */
  private json(subscription: Subscription): Record<string, unknown> {
    return {
      "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#subscriptions/$entity",
      id: subscription.id,
      resource: subscription.resource,
      changeType: [...subscription.changes].join(","),
      clientState: subscription.clientState,
      notificationUrl: subscription.notificationUrl,
      lifecycleNotificationUrl: subscription.lifecycleNotificationUrl,
      expirationDateTime: new Date(subscription.expiresAt).toISOString(),
      includeResourceData: false,
      latestSupportedTlsVersion: "v1_2",
    };
  }
}
