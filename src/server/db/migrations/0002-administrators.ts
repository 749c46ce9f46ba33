/** CRM administrators: users who may read and change every record (docs/SPEC.md "CRM record access"). */
import type { Migration } from "./index";

export const administrators: Migration = {
  version: 2,
  name: "administrators",
  sql: `
ALTER TABLE users ADD COLUMN administrator boolean NOT NULL DEFAULT false;
`,
};
