/** The first schema: users and tokens, records by type, the change feed, subscriptions and packages. */
import type { Migration } from "./index";

export const initialSchema: Migration = {
  version: 1,
  name: "initial schema",
  sql: `
-- One row: the newest change-stream version. Writers lock it for their whole transaction, so versions
-- are assigned in commit order and a reader's cursor never skips a concurrently committed change.
CREATE TABLE sync_clock (
  id integer PRIMARY KEY CHECK (id = 1),
  version bigint NOT NULL
);
INSERT INTO sync_clock (id, version) VALUES (1, 0);

CREATE TABLE users (
  id text PRIMARY KEY,
  display_name text,
  emails text[] NOT NULL DEFAULT '{}',
  role text NOT NULL,
  privileges text[] NOT NULL DEFAULT '{}' CHECK (privileges <@ ARRAY['SyncToOutlook', 'GoOffline']),
  -- Tombstones at or below this version were collected by retention: older cursors must resync.
  feed_horizon bigint NOT NULL DEFAULT 0,
  created_at bigint NOT NULL
);
CREATE INDEX users_lower_id ON users (lower(id));
CREATE INDEX users_emails ON users USING gin (emails);

-- Opaque bearer tokens, stored as SHA-256 hashes only.
CREATE TABLE api_tokens (
  token_hash text PRIMARY KEY,
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  label text NOT NULL,
  created_at bigint NOT NULL
);

-- Every CRM record, partitioned by type into accounts, contacts, appointments, tasks and e-mail activities.
-- fields holds the CRM keys of SPEC §2; the other columns are derived from them for the filter and look-up.
CREATE TABLE records (
  id uuid NOT NULL,
  type text NOT NULL,
  owner text NOT NULL REFERENCES users (id),
  fields jsonb NOT NULL,
  version bigint NOT NULL,
  modified_at bigint NOT NULL,
  created_at bigint NOT NULL,
  created_by text NOT NULL,
  deleted boolean NOT NULL DEFAULT false,
  search_name text,
  parent_account_id uuid,
  parties text[],
  regarding_id uuid,
  PRIMARY KEY (id, type)
) PARTITION BY LIST (type);
CREATE TABLE accounts PARTITION OF records FOR VALUES IN ('account');
CREATE TABLE contacts PARTITION OF records FOR VALUES IN ('contact');
CREATE TABLE appointments PARTITION OF records FOR VALUES IN ('appointment');
CREATE TABLE tasks PARTITION OF records FOR VALUES IN ('task');
CREATE TABLE email_activities PARTITION OF records FOR VALUES IN ('email');
ALTER TABLE accounts ADD CHECK (parent_account_id IS NULL AND parties IS NULL AND regarding_id IS NULL);
ALTER TABLE contacts ADD CHECK (parties IS NULL AND regarding_id IS NULL);
ALTER TABLE appointments ADD CHECK (parent_account_id IS NULL AND parties IS NOT NULL AND regarding_id IS NULL);
ALTER TABLE tasks ADD CHECK (parent_account_id IS NULL AND parties IS NULL AND regarding_id IS NULL);
ALTER TABLE email_activities ADD CHECK (parent_account_id IS NULL AND parties IS NULL);
CREATE INDEX records_owner ON records (owner);
CREATE INDEX records_search_name ON records (search_name text_pattern_ops);
CREATE INDEX contacts_parent_account ON contacts (parent_account_id);
CREATE INDEX appointments_parties ON appointments USING gin (parties);
CREATE INDEX email_activities_regarding ON email_activities (regarding_id);

-- The history of every record: one row per version.
CREATE TABLE record_versions (
  record_id uuid NOT NULL,
  version bigint NOT NULL,
  operation text NOT NULL CHECK (operation IN ('create', 'update', 'delete', 'assign')),
  owner text NOT NULL,
  changed_by text NOT NULL,
  changed_at bigint NOT NULL,
  PRIMARY KEY (record_id, version)
);

-- Deleted records, kept until every subscription acknowledged the delete or the retention period passed.
CREATE TABLE tombstones (
  record_id uuid PRIMARY KEY,
  type text NOT NULL,
  version bigint NOT NULL,
  deleted_at bigint NOT NULL,
  deleted_by text NOT NULL
);

-- Each user's filtered view of the CRM (SPEC §4): the newest change of each record for that user.
-- upsert rows are the records in the user's filter; delete and leftFilter rows are that user's tombstones.
CREATE TABLE change_feed (
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  record_id uuid NOT NULL,
  type text NOT NULL,
  version bigint NOT NULL,
  kind text NOT NULL CHECK (kind IN ('upsert', 'delete', 'leftFilter')),
  changed_at bigint NOT NULL,
  PRIMARY KEY (user_id, record_id)
);
CREATE INDEX change_feed_by_version ON change_feed (user_id, version) INCLUDE (record_id, type, kind);
CREATE INDEX change_feed_by_record ON change_feed (record_id);
CREATE INDEX change_feed_tombstones ON change_feed (changed_at) WHERE kind <> 'upsert';

-- One subscription per (user, client); exactly one primary client per user.
CREATE TABLE subscriptions (
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  client_id text NOT NULL,
  role text NOT NULL CHECK (role IN ('primary', 'secondary')),
  acked_version bigint NOT NULL DEFAULT 0,
  registered_at bigint NOT NULL,
  PRIMARY KEY (user_id, client_id)
);
CREATE UNIQUE INDEX subscriptions_one_primary ON subscriptions (user_id) WHERE role = 'primary';

-- Contacts a user tracked by hand: they stay in that user's filter whoever owns them.
CREATE TABLE tracked_by_hand (
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  record_id uuid NOT NULL,
  marked_at bigint NOT NULL,
  PRIMARY KEY (user_id, record_id)
);
CREATE INDEX tracked_by_hand_record ON tracked_by_hand (record_id);

-- Client-made create keys: a replay answers the stored first result.
CREATE TABLE idempotency_keys (
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  key text NOT NULL,
  record_id uuid NOT NULL,
  response jsonb NOT NULL,
  created_at bigint NOT NULL,
  PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_age ON idempotency_keys (created_at);

-- Customization packages per security role; the newest publication of a role is the current one.
CREATE TABLE customization_packages (
  id bigserial PRIMARY KEY,
  role text NOT NULL,
  version text NOT NULL,
  content bytea NOT NULL,
  published_at bigint NOT NULL,
  UNIQUE (role, version)
);
`,
};
