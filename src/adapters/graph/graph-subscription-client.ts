/**
 * Microsoft Graph change-notification subscriptions of one app (webhooks; subscription-post-subscriptions,
 * subscription-update, subscription-delete, subscription-reauthorize), over the same GraphClient transport as the
 * mailbox store: retries of 429/503/504, the mailbox's concurrency budget, errors as SyncError.
 */
import { z } from "zod";
import { SyncError } from "../../core/errors";
import type { Clock } from "../../ports/clock";
import { GRAPH_URL } from "./graph-mailbox-store";
import { GraphClient, parseAnswer } from "./graph-client";
import type { TokenProvider } from "./token-provider";

/** metadata EntityType subscription: the properties read back. */
const subscriptionSchema = z.object({ id: z.string().min(1), expirationDateTime: z.string() });

export interface CreatedSubscription {
  readonly id: string;
  readonly expiresAt: number;
}

export interface NewSubscription {
  /** A resource path without the base URL, e.g. `/users/{address}/events`. */
  readonly resource: string;
  readonly changeType: string;
  readonly notificationUrl: string;
  readonly lifecycleNotificationUrl: string;
  readonly clientState: string;
  readonly expiresAt: number;
}

export class GraphSubscriptionClient {
  private readonly client: GraphClient;

  constructor(options: {
    readonly fetch: typeof fetch;
    readonly tokens: TokenProvider;
    readonly clock: Clock;
    /** Default https://graph.microsoft.com/v1.0. */
    readonly baseUrl?: string;
    readonly random?: () => number;
  }) {
    this.client = new GraphClient({
      fetch: options.fetch,
      baseUrl: options.baseUrl ?? GRAPH_URL,
      tokens: options.tokens,
      clock: options.clock,
      random: options.random ?? Math.random,
      maxAttempts: 3,
    });
  }

  /** Creates a subscription; Graph first validates both notification URLs (webhooks: 201 Created). */
  async create(input: NewSubscription): Promise<CreatedSubscription> {
    const answer = await this.client.request("POST", "/subscriptions", {
      changeType: input.changeType,
      notificationUrl: input.notificationUrl,
      lifecycleNotificationUrl: input.lifecycleNotificationUrl,
      resource: input.resource,
      expirationDateTime: new Date(input.expiresAt).toISOString(),
      clientState: input.clientState,
    });
    return this.read(answer, "the created subscription");
  }

  /** Renews a subscription to a new expiry (webhooks, "Renewing a subscription": 200 with the subscription). */
  async renew(id: string, expiresAt: number): Promise<CreatedSubscription> {
    const answer = await this.client.request("PATCH", `/subscriptions/${encodeURIComponent(id)}`, {
      expirationDateTime: new Date(expiresAt).toISOString(),
    });
    return this.read(answer, "the renewed subscription");
  }

  /** Answers a reauthorizationRequired lifecycle notification (subscription-reauthorize). */
  async reauthorize(id: string): Promise<void> {
    await this.client.request("POST", `/subscriptions/${encodeURIComponent(id)}/reauthorize`);
  }

  /** Deletes a subscription; one Graph no longer has is already gone. */
  async delete(id: string): Promise<void> {
    try {
      await this.client.request("DELETE", `/subscriptions/${encodeURIComponent(id)}`);
    } catch (error) {
      if (!(error instanceof SyncError && error.code === "notFound")) throw error;
    }
  }

  private read(answer: unknown, what: string): CreatedSubscription {
    const parsed = parseAnswer(subscriptionSchema, answer, what);
    const expiresAt = Date.parse(parsed.expirationDateTime);
    if (Number.isNaN(expiresAt))
      throw new SyncError("mailboxServerError", { details: `${what} has no valid expirationDateTime` });
    return { id: parsed.id, expiresAt };
  }
}
