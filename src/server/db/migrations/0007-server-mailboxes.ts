/**
 * Mailboxes the server syncs in the background (README "Background sync"): one row per user whose mailbox
 * the workers sync, with the outcome of the last run.
 */
import type { Migration } from "./index";

export const serverMailboxes: Migration = {
  version: 7,
  name: "server mailboxes",
  sql: `
CREATE TABLE server_mailboxes (
  user_id text PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  enabled boolean NOT NULL,
  changed_at bigint NOT NULL,
  last_run_started_at bigint,
  last_run_duration_ms integer,
  last_run_changes integer,
  last_run_outcome text CHECK (last_run_outcome IN ('ok', 'failed', 'throttled')),
  last_errors text[] NOT NULL DEFAULT '{}',
  consecutive_failures integer NOT NULL DEFAULT 0,
  next_run_at bigint
);
CREATE INDEX server_mailboxes_enabled ON server_mailboxes (user_id) WHERE enabled;
`,
};
