/**
 * The endpoints Microsoft Graph POSTs change notifications (`/graph/notifications`) and lifecycle notifications
 * (`/graph/lifecycle`) to, for the mailboxes synced in the background (README "Background sync"). Graph carries no
 * bearer token: a notification is trusted only when its subscription id and secret clientState match a stored
 * subscription (GraphSubscriptionStore.received), and is then handed to the workers. Each endpoint:
 * - answers Graph's validation request (webhooks, "Notification endpoint validation": the decoded
 *   `validationToken` as `text/plain` with 200, within 10 seconds);
 * - answers every notification POST with 202 Accepted, genuine or not (webhooks, "Processing the
 *   notification": a forger learns nothing), after the workers were told.
 */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { GraphSubscriptionStore } from "../sync/graph-subscription-store";

/** A validation token longer than this is not Graph's (its tokens are short opaque strings). */
const MAX_VALIDATION_TOKEN = 1024;
/** Entries read from one POST; Graph batches "many queued notifications" into one request. */
const MAX_ENTRIES = 1000;

// metadata ComplexType changeNotificationCollection / changeNotification: the properties the endpoint reads.
const notificationsSchema = z.object({
  value: z
    .array(
      z.object({
        subscriptionId: z.string().min(1).max(128),
        clientState: z.string().max(128).nullish(),
        lifecycleEvent: z.enum(["missed", "subscriptionRemoved", "reauthorizationRequired"]).optional(),
      }),
    )
    .max(MAX_ENTRIES),
});

const querySchema = z.object({ validationToken: z.string().min(1).max(MAX_VALIDATION_TOKEN).optional() });

export async function registerGraphNotificationRoutes(
  app: FastifyInstance,
  options: { readonly subscriptions: GraphSubscriptionStore },
): Promise<void> {
  await app.register((scope, _options, done) => {
    // Graph's validation request is a POST with a text/plain body (empty); the protocol routes take JSON only.
    scope.addContentTypeParser("text/plain", { parseAs: "string", bodyLimit: 1024 }, (_request, body, done) =>
      done(null, body),
    );
    for (const path of ["/graph/notifications", "/graph/lifecycle"]) {
      scope.post(path, async (request, reply) => {
        const query = querySchema.safeParse(request.query);
        if (!query.success) {
          return reply.code(400).send({
            error: {
              code: "invalidInput",
              message: `validationToken must be 1 to ${MAX_VALIDATION_TOKEN} characters.`,
            },
          });
        }
        if (query.data.validationToken !== undefined) {
          return reply.code(200).type("text/plain; charset=utf-8").send(query.data.validationToken);
        }
        const body = notificationsSchema.safeParse(request.body);
        if (!body.success) {
          return reply.code(400).send({
            error: {
              code: "invalidInput",
              message: `The body is not a Graph notification collection: ${body.error.issues[0]?.message ?? "invalid"}.`,
            },
          });
        }
        const entries = body.data.value.filter((entry) =>
          path === "/graph/lifecycle"
            ? entry.lifecycleEvent !== undefined
            : entry.lifecycleEvent === undefined,
        );
        await options.subscriptions.received(entries);
        return reply.code(202).send();
      });
    }
    done();
  });
}
