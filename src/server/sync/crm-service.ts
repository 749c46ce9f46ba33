/**
 * The in-process CRM service: one object shared by the HTTP routes, the admin command and the simulator's
 * scenario runner. It holds no state between calls; everything lives in the database.
 */
import type { Clock } from "../../ports/clock";
import type { Logger } from "../../ports/logger";
import type { Database } from "../db/database";
import { BackgroundSyncService } from "./background-sync-service";
import { changeChannel } from "./change-feed";
import { ClientService } from "./client-service";
import { DEFAULT_RETENTION, GarbageCollector, type RetentionSettings } from "./garbage-collector";
import { PackageService } from "./package-service";
import { RecordService } from "./record-service";
import { SyncService } from "./sync-service";
import { UserService } from "./user-service";

/** The service's parts. */
export interface CrmService {
  /** Users, privileges, roles and tokens. */
  readonly users: UserService;
  /** Subscriptions per (user, client). */
  readonly clients: ClientService;
  /** Record reads and writes as any user, look-up, and the full listing for scenario output. */
  readonly records: RecordService;
  /** PrepareSync, GetSyncData, PostSync. */
  readonly sync: SyncService;
  /** Customization packages per role. */
  readonly packages: PackageService;
  /** Background sync of a user's own mailbox: its status, runs asked for, the add-in's handover. */
  readonly backgroundSync: BackgroundSyncService;
  /** Tombstone and idempotency-key collection. */
  readonly garbage: GarbageCollector;
  /** The NOTIFY channel carrying change hints for this database schema. */
  readonly channel: string;
}

/** Builds the service over an open, migrated database. Every timestamp it assigns comes from `clock`. */
export function createCrmService(options: {
  db: Database;
  clock: Clock;
  logger: Logger;
  retention?: Partial<RetentionSettings>;
}): CrmService {
  const ctx = {
    db: options.db,
    clock: options.clock,
    logger: options.logger,
    channel: changeChannel(options.db.schema),
  };
  const users = new UserService(ctx);
  return {
    users,
    clients: new ClientService(ctx),
    records: new RecordService(ctx),
    sync: new SyncService(ctx),
    packages: new PackageService(ctx, users),
    backgroundSync: new BackgroundSyncService(ctx),
    garbage: new GarbageCollector(ctx, { ...DEFAULT_RETENTION, ...options.retention }),
    channel: ctx.channel,
  };
}
