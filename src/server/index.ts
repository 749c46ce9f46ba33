/**
 * The CRM sync server's public API, shared by the bin, the admin command and the simulator's scenario runner.
 * See README.md for how to use it.
 */
export {
  createCrmServer,
  DEFAULT_RATE_LIMIT,
  DEFAULT_STREAMS_PER_TOKEN,
  type CrmServer,
  type CrmServerOptions,
} from "./create-crm-server";
export { openDatabase, type DatabaseSettings } from "./db/open-database";
export type { Database, SqlExecutor, SqlResult } from "./db/database";
export { refreshStatistics } from "./db/statistics";
export { createCrmService, type CrmService } from "./sync/crm-service";
export type { CreateRecordRequest } from "./sync/record-service";
export { RECORD_ACCESS, type RecordAction, type RecordRelation } from "./sync/record-access";
export {
  DEFAULT_ROLE,
  DEFAULT_TOKEN_LIFETIME_MS,
  tokenIdOf,
  type CrmUser,
  type TokenInfo,
} from "./sync/user-service";
export { definitionOf, packageDefinitionProblem, type PublishRequest } from "./sync/customization-package";
export type { PublishedPackage } from "./sync/package-service";
export { DEFAULT_RETENTION, type CollectionReport, type RetentionSettings } from "./sync/garbage-collector";
export { InputError, RecordConflictError } from "./sync/service-errors";
export {
  oidcSettingsProblem,
  type AuthSettings,
  type OidcSettings,
  type OidcSettingsProblem,
} from "./http/authenticator";
export type { RateLimitSettings } from "./http/create-http-app";
export { loadDemoData, type DemoResult } from "./demo-data";
export { SystemClock } from "./system-clock";
export { MailboxRegistry, type MailboxRun, type MailboxStatus } from "./worker/mailbox-registry";
export { QueueInspector, type DeadJob, type QueueCounts } from "./worker/mailbox-queue";
export { createPinoLogger } from "./pino-logger";
