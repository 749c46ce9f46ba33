/** Each record keeps the size of its fields, so a read can bound its answer before loading them. */
import type { Migration } from "./index";

export const recordSize: Migration = {
  version: 4,
  name: "record size",
  sql: `
-- UTF-8 bytes of the fields as JSON, written with the fields (rows from before: their jsonb text, a little more).
ALTER TABLE records ADD COLUMN fields_bytes integer;
UPDATE records SET fields_bytes = octet_length(fields::text);
ALTER TABLE records ALTER COLUMN fields_bytes SET NOT NULL;
`,
};
