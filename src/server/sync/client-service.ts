/** Subscriptions: one per (user, client), exactly one of them primary per user. */
import { SyncError } from "../../core/errors";
import type { ClientRegistration, Registration } from "../../ports/crm-client";
import { ClientIdSchema } from "../../protocol";
import type { SqlExecutor } from "../db/database";
import { BACKGROUND_SYNC_STATE_SQL } from "./background-sync-service";
import type { ServiceContext } from "./service-context";
import { parseInput } from "./validate-input";

interface SubscriptionRow {
  client_id: string;
  role: "primary" | "secondary";
  acked_version: number;
}

const toRegistration = (row: SubscriptionRow): ClientRegistration => ({
  clientId: row.client_id,
  role: row.role,
  ackedVersion: row.acked_version,
});

export class ClientService {
  constructor(private readonly ctx: ServiceContext) {}

  /**
   * Registers a client; idempotent. The user's first client becomes primary, later ones secondary. The answer
   * says who synchronizes the mailbox (background sync); the time is noted as the client's last sync (`seen_at`).
   */
  async register(userId: string, clientId: string): Promise<Registration> {
    const id = parseInput(ClientIdSchema, clientId, "clientId");
    return this.ctx.db.transaction(async (tx) => {
      await this.lockUser(tx, userId);
      const now = this.ctx.clock.now();
      await tx.query(
        `INSERT INTO subscriptions (user_id, client_id, role, registered_at, seen_at)
         SELECT $1, $2, CASE WHEN EXISTS (SELECT 1 FROM subscriptions WHERE user_id = $1 AND role = 'primary')
                             THEN 'secondary' ELSE 'primary' END, $3, $3
         ON CONFLICT (user_id, client_id) DO UPDATE SET seen_at = $3`,
        [userId, id, now],
      );
      const result = await tx.query<SubscriptionRow & { background_sync: Registration["backgroundSync"] }>(
        `SELECT client_id, role, acked_version, ${BACKGROUND_SYNC_STATE_SQL} AS background_sync
           FROM subscriptions s WHERE user_id = $1 AND client_id = $2`,
        [userId, id],
      );
      const row = result.rows[0];
      if (!row) throw new SyncError("notFound", { details: `client ${id} was not registered` });
      return { ...toRegistration(row), backgroundSync: row.background_sync };
    });
  }

  /** Makes `clientId` the user's primary client and every other one secondary. notFound for an unknown client. */
  async setPrimary(userId: string, clientId: string): Promise<ClientRegistration[]> {
    return this.ctx.db.transaction(async (tx) => {
      await this.lockUser(tx, userId);
      const exists = await tx.query("SELECT 1 FROM subscriptions WHERE user_id = $1 AND client_id = $2", [
        userId,
        clientId,
      ]);
      if (exists.rows.length === 0)
        throw new SyncError("notFound", { details: `no client ${clientId} for you` });
      await tx.query("UPDATE subscriptions SET role = 'secondary' WHERE user_id = $1 AND role = 'primary'", [
        userId,
      ]);
      await tx.query(
        "UPDATE subscriptions SET role = 'primary', seen_at = $3 WHERE user_id = $1 AND client_id = $2",
        [userId, clientId, this.ctx.clock.now()],
      );
      return (await this.rows(tx, userId)).map(toRegistration);
    });
  }

  /** The user's clients, by id. */
  async list(userId: string): Promise<ClientRegistration[]> {
    return (await this.rows(this.ctx.db, userId)).map(toRegistration);
  }

  private async lockUser(tx: SqlExecutor, userId: string): Promise<void> {
    const result = await tx.query("SELECT 1 FROM users WHERE id = $1 FOR UPDATE", [userId]);
    if (result.rows.length === 0) throw new SyncError("notFound", { details: `no user "${userId}"` });
  }

  private async rows(executor: SqlExecutor, userId: string): Promise<SubscriptionRow[]> {
    const result = await executor.query<SubscriptionRow>(
      "SELECT client_id, role, acked_version FROM subscriptions WHERE user_id = $1 ORDER BY client_id",
      [userId],
    );
    return result.rows;
  }
}
