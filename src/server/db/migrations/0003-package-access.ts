/** Customization packages can be withdrawn, and a user's package download can be refused (403). */
import type { Migration } from "./index";

export const packageAccess: Migration = {
  version: 3,
  name: "package withdrawal and download access",
  sql: `
-- Set when the administrator withdrew the role's packages; a withdrawn package is no longer offered.
ALTER TABLE customization_packages ADD COLUMN withdrawn_at bigint;
-- True when the administrator refused the user the package download (the "missing privilege" of SPEC §11).
ALTER TABLE users ADD COLUMN package_forbidden boolean NOT NULL DEFAULT false;
`,
};
