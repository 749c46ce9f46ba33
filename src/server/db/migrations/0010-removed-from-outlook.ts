/**
 * The "removed from this user's Outlook" marks (docs/SPEC.md §8, "Deletes never come back"): a record whose item
 * the user deleted or untracked in Outlook while the record stays in the CRM. The sync filter leaves a marked
 * record out of that user's view, so no client of the user, however new its cache, brings the item back.
 */
import type { Migration } from "./index";

export const removedFromOutlook: Migration = {
  version: 10,
  name: "removed from outlook",
  sql: `
CREATE TABLE removed_from_outlook (
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  record_id uuid NOT NULL,
  marked_at bigint NOT NULL,
  PRIMARY KEY (user_id, record_id)
);
CREATE INDEX removed_from_outlook_record ON removed_from_outlook (record_id);
`,
};
