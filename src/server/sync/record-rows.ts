/** Reading records back: the SQL row shape and its conversion to the wire record (who may read: record-access.ts). */
import type { CrmRecordType, Fields } from "../../core/types";
import type { CrmRecord } from "../../ports/crm-client";

/** A `records` row as selected by {@link RECORD_COLUMNS}. */
export interface RecordRow {
  id: string;
  type: CrmRecordType;
  owner: string;
  fields: Fields;
  version: number;
  modified_at: number;
  deleted: boolean;
  created_by: string;
  parties: string[] | null;
  parent_account_name: string | null;
}

/** Select list for {@link RecordRow}, over `records r`; `fields` is the SQL giving the fields column. */
export const recordColumns = (fields = "r.fields"): string =>
  `r.id, r.type, r.owner, ${fields} AS fields, r.version, r.modified_at, r.deleted, r.created_by,
  r.parties, (SELECT a.fields->>'name' FROM accounts a WHERE a.id = r.parent_account_id) AS parent_account_name`;

/** Select list for {@link RecordRow}, over `records r`. */
export const RECORD_COLUMNS = recordColumns();

/** The wire record of a row; contacts carry their parent account's name. */
export function toCrmRecord(row: RecordRow): CrmRecord {
  return {
    id: row.id,
    type: row.type,
    owner: row.owner,
    version: row.version,
    modifiedAt: row.modified_at,
    deleted: row.deleted,
    fields: row.fields,
    ...(row.type === "contact" ? { related: { parentAccountName: row.parent_account_name } } : {}),
  };
}
