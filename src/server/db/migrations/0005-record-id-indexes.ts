/**
 * Each record partition gets a unique index on `id` alone. The primary key (id, type) already holds the ids,
 * but only a one-column unique index tells the planner that `id = x` finds at most one row; without it, a
 * table that has not been analyzed yet is read whole for every look-up by id (GetSpecificSyncData).
 */
import type { Migration } from "./index";

export const recordIdIndexes: Migration = {
  version: 5,
  name: "unique record id per partition",
  sql: `
CREATE UNIQUE INDEX accounts_id ON accounts (id);
CREATE UNIQUE INDEX contacts_id ON contacts (id);
CREATE UNIQUE INDEX appointments_id ON appointments (id);
CREATE UNIQUE INDEX tasks_id ON tasks (id);
CREATE UNIQUE INDEX email_activities_id ON email_activities (id);
`,
};
