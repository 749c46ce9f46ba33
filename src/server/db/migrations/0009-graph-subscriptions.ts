/**
 * Microsoft Graph change-notification subscriptions of the mailboxes synced in the background (README
 * "Background sync"): one row per subscription a worker made, with the secret clientState the notifications must
 * carry, so the sync server's notification endpoint can tell a real notification from a forged one, and a
 * lifecycle event that the mailbox's next run answers.
 */
import type { Migration } from "./index";

export const graphSubscriptions: Migration = {
  version: 9,
  name: "graph subscriptions",
  sql: `
CREATE TABLE graph_subscriptions (
  id text PRIMARY KEY,
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  resource text NOT NULL,
  client_state text NOT NULL,
  expires_at bigint NOT NULL,
  created_at bigint NOT NULL,
  -- a lifecycle notification the mailbox's next run must answer (reauthorizationRequired), or null
  lifecycle_event text CHECK (lifecycle_event IN ('reauthorizationRequired')),
  UNIQUE (user_id, resource)
);
CREATE INDEX graph_subscriptions_expiry ON graph_subscriptions (expires_at);
`,
};
