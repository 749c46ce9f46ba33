/** A user may be linked to one OIDC sign-in identity (e.g. Entra's `<oid>.<tid>`), unique across users. */
import type { Migration } from "./index";

export const signInIdentity: Migration = {
  version: 8,
  name: "sign-in identity",
  sql: `
ALTER TABLE users ADD COLUMN sign_in_identity text;
CREATE UNIQUE INDEX users_sign_in_identity ON users (sign_in_identity) WHERE sign_in_identity IS NOT NULL;
`,
};
