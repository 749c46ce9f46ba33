/**
 * The handover of a mailbox between the add-in and the server's background sync (docs/SPEC.md "A mailbox has one
 * synchronizer"): when each client last synchronized (`subscriptions.seen_at`), a run the user asked for, and the
 * add-in client a worker waits for before it runs the mailbox.
 */
import type { Migration } from "./index";

export const mailboxHandover: Migration = {
  version: 11,
  name: "mailbox handover",
  sql: `
ALTER TABLE subscriptions ADD COLUMN seen_at bigint;
ALTER TABLE server_mailboxes ADD COLUMN run_requested_at bigint;
ALTER TABLE server_mailboxes ADD COLUMN waiting_for_client text;
ALTER TABLE server_mailboxes ADD COLUMN waiting_since bigint;
`,
};
