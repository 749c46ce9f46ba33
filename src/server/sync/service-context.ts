/** What every part of the CRM service is given: the database, the injected clock, a logger and settings. */
import type { Clock } from "../../ports/clock";
import type { Logger } from "../../ports/logger";
import type { Database } from "../db/database";

export interface ServiceContext {
  readonly db: Database;
  /** Every timestamp the server assigns (modifiedAt, tombstones) comes from here. */
  readonly clock: Clock;
  readonly logger: Logger;
  /** NOTIFY channel for change hints. */
  readonly channel: string;
}
