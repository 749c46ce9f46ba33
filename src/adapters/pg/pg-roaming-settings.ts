/**
 * The add-in's roaming settings of one mailbox as the headless engine keeps them: Office.js roaming settings
 * live in the mailbox where Graph cannot read them, so the server keeps its own copy in the cache schema's
 * documents table (one JSON object per mailbox, replaced whole). `clear()` of the cache leaves it alone, as a
 * cache reset in the add-in leaves Outlook's roaming settings alone.
 */
import { z } from "zod";
import { BugError } from "../../core/errors";
import type { RoamingSettingsStore } from "../headless/headless-outlook-host";
import { assertSchemaName, type Database } from "../../server/db/database";

const roamingSchema = z.record(z.string(), z.unknown());

export class PgRoamingSettings implements RoamingSettingsStore {
  private readonly table: string;

  constructor(
    private readonly db: Database,
    schema: string,
    private readonly mailbox: string,
  ) {
    this.table = `${assertSchemaName(schema)}.documents`;
  }

  async read(): Promise<Readonly<Record<string, unknown>>> {
    const result = await this.db.query<{ body: string }>(
      `SELECT body FROM ${this.table} WHERE mailbox = $1 AND name = 'roamingSettings'`,
      [this.mailbox],
    );
    const body = result.rows[0]?.body;
    if (body === undefined) return {};
    const parsed = roamingSchema.safeParse(JSON.parse(body));
    if (!parsed.success) throw new BugError(`stored roaming settings of ${this.mailbox} are not an object`);
    return parsed.data;
  }

  async save(values: Readonly<Record<string, unknown>>): Promise<void> {
    await this.db.query(
      `INSERT INTO ${this.table} (mailbox, name, body) VALUES ($1, 'roamingSettings', $2)
       ON CONFLICT (mailbox, name) DO UPDATE SET body = EXCLUDED.body`,
      [this.mailbox, JSON.stringify(values)],
    );
  }
}
