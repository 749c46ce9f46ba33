/** Opaque tokens expire; tokens from before get 90 days from their creation. */
import type { Migration } from "./index";

export const tokenExpiry: Migration = {
  version: 6,
  name: "token expiry",
  sql: `
ALTER TABLE api_tokens ADD COLUMN expires_at bigint;
UPDATE api_tokens SET expires_at = created_at + 90::bigint * 86400000;
ALTER TABLE api_tokens ALTER COLUMN expires_at SET NOT NULL;
CREATE INDEX api_tokens_user ON api_tokens (user_id);
`,
};
