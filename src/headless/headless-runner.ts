/**
 * The headless engine: one sync cycle of one mailbox on the server, with Outlook closed. The same SyncEngine,
 * core rules and GraphMailboxStore as the add-in, on server ports: PgLocalCache (the mailbox's cache in
 * Postgres), HeadlessOutlookHost (no item open, no UI events; tracking requests arrive stamped on items) and
 * Graph addressed as `/users/{address}` with an application token. The runner is the primary client of the
 * mailboxes it syncs under the client id {@link HEADLESS_CLIENT_ID} (SPEC "Background sync").
 */
import { randomUUID } from "node:crypto";
import { GraphMailboxStore, type WellKnownFolderIds } from "../adapters/graph/graph-mailbox-store";
import type { TokenProvider } from "../adapters/graph/token-provider";
import { HeadlessOutlookHost } from "../adapters/headless/headless-outlook-host";
import { defaultCacheSchema, migrateCacheSchema } from "../adapters/pg/pg-cache-schema";
import { PgLocalCache } from "../adapters/pg/pg-local-cache";
import { PgRoamingSettings } from "../adapters/pg/pg-roaming-settings";
import { SyncError } from "../core/errors";
import { SyncEngine } from "../engine/sync-engine";
import type { Clock } from "../ports/clock";
import type { CrmClient } from "../ports/crm-client";
import type { Logger } from "../ports/logger";
import type { MailboxStore } from "../ports/mailbox-store";
import { DEFAULT_SETTINGS, type SyncSettings } from "../ports/settings";
import { SERVER_CLIENT_ID } from "../protocol";
import type { Database } from "../server/db/database";
import { CountingMailboxStore, countingCrmClient, countingFetch, type RunCounters } from "./run-counters";

/** The client id the headless engine registers under, for every mailbox it syncs (the protocol names it). */
export const HEADLESS_CLIENT_ID = SERVER_CLIENT_ID;

/** What one run of one mailbox did. */
export interface HeadlessRunReport {
  readonly userId: string;
  /** ISO 8601. */
  readonly startedAt: string;
  readonly durationMs: number;
  /** Writes the cycle made: CRM records created, updated, deleted or (un)tracked, Outlook items created, updated or deleted. */
  readonly changes: number;
  /** The cycle's failure, if it stopped, then the entries that failed (as the task pane lists them). */
  readonly errors: readonly string[];
  /** ok: the cycle ran (entries may still have failed, see errors); throttled: Graph or the CRM said 429. */
  readonly outcome: "ok" | "failed" | "throttled";
  /** When to try again after a failed or throttled run (ISO 8601): the engine's own backoff (SPEC §5). */
  readonly retryAt?: string;
  /** HTTP requests sent to Graph (a $batch counts once). */
  readonly graphRequests: number;
  /** Graph answers that were 429 Too Many Requests (retried or not). */
  readonly graphThrottled: number;
}

export interface HeadlessRunnerDeps {
  /** The server's database: the CRM's users table names each mailbox; the caches live in their own schema. */
  readonly db: Database;
  /** The cache schema; default `<crm schema>_mailbox_cache`. */
  readonly cacheSchema?: string;
  readonly graph: {
    /** Default https://graph.microsoft.com/v1.0. */
    readonly baseUrl?: string;
    /** Application tokens (MsalAppTokenProvider), or the Graph twin's token. */
    readonly tokens: TokenProvider;
    /** Default the global fetch. */
    readonly fetch?: typeof fetch;
  };
  /**
   * The CRM as the mailbox's user sees it: an HttpCrmClient on the sync server with a token of that user, so
   * the headless engine speaks the add-in's protocol and the server applies the same record rules.
   */
  readonly crmFor: (userId: string) => CrmClient;
  /** The sync server's base URL, part of the login options (SPEC §12): changing it rebuilds the caches. */
  readonly serverUrl: string;
  /** The add-in id whose custom properties hold the link stamp. */
  readonly addinId: string;
  readonly clock: Clock;
  /** The clock Graph waits on (Retry-After, backoff); default `clock`. The simulator's jumps ahead. */
  readonly waitClock?: Clock;
  readonly logger: Logger;
  /** Settings a mailbox starts with before its own are stored (SPEC §9 defaults otherwise). */
  readonly settings?: Partial<Omit<SyncSettings, "serverUrl" | "userId" | "isSyncClient">>;
  /** Mapping ids; default crypto.randomUUID. */
  readonly newId?: () => string;
  /** Retry jitter; default Math.random. */
  readonly random?: () => number;
}

export interface HeadlessRunner {
  /**
   * Runs one full cycle for the mailbox of CRM user `userId` and reports it; never throws for a failure of
   * Graph, the CRM or the mailbox (those are in the report). Aborting `signal` fails the Graph requests still
   * to come, so the cycle stops at its next request.
   */
  runMailbox(userId: string, options?: { readonly signal?: AbortSignal }): Promise<HeadlessRunReport>;
}

/** The mailbox's address and name from the CRM's users table (its first e-mail address is the mailbox). */
async function mailboxOf(
  db: Database,
  userId: string,
): Promise<{ emailAddress: string; displayName: string }> {
  const result = await db.query<{ display_name: string | null; emails: string[] }>(
    "SELECT display_name, emails FROM users WHERE id = $1",
    [userId],
  );
  const row = result.rows[0];
  if (row === undefined) throw new SyncError("notFound", { details: `No CRM user "${userId}".` });
  const emailAddress = row.emails[0];
  if (emailAddress === undefined) {
    throw new SyncError("invalidInput", {
      details: `CRM user "${userId}" has no e-mail address, so no mailbox to sync.`,
    });
  }
  return { emailAddress, displayName: row.display_name ?? userId };
}

const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message : `unexpected failure: ${String(error)}`;

/** What {@link openHeadlessEngine} builds one mailbox's engine from. */
export interface HeadlessEngineParts {
  readonly db: Database;
  /** The cache schema, migrated ({@link migrateCacheSchema}). */
  readonly schema: string;
  readonly userId: string;
  /** The mailbox's address and name. */
  readonly user: { readonly emailAddress: string; readonly displayName: string };
  /** The mailbox through Graph as `/users/{address}` with an application token. */
  readonly mailbox: MailboxStore;
  readonly crm: CrmClient;
  readonly serverUrl: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly settings?: HeadlessRunnerDeps["settings"];
  readonly newId?: () => string;
  readonly random?: () => number;
  /** The product version the engine reports (customization packages); default the build's. */
  readonly productVersion?: string;
}

/**
 * The headless engine of one mailbox: the add-in's SyncEngine on the server's ports, the primary client of
 * the mailbox under {@link HEADLESS_CLIENT_ID}. The runner opens one per run; the scenario runner's
 * `--headless-primary` keeps one for a whole scenario.
 */
export function openHeadlessEngine(parts: HeadlessEngineParts): { engine: SyncEngine; cache: PgLocalCache } {
  const cache = new PgLocalCache({
    db: parts.db,
    schema: parts.schema,
    mailbox: parts.userId,
    clock: parts.clock,
  });
  const engine = new SyncEngine({
    host: new HeadlessOutlookHost(parts.user, new PgRoamingSettings(parts.db, parts.schema, parts.userId)),
    mailbox: parts.mailbox,
    crm: parts.crm,
    cache,
    clock: parts.clock,
    logger: parts.logger,
    newId: parts.newId ?? randomUUID,
    clientId: HEADLESS_CLIENT_ID,
    headless: true,
    settings: {
      ...DEFAULT_SETTINGS,
      ...parts.settings,
      isSyncClient: true,
      serverUrl: parts.serverUrl,
      userId: parts.userId,
    },
    ...(parts.random === undefined ? {} : { random: parts.random }),
    ...(parts.productVersion === undefined ? {} : { productVersion: parts.productVersion }),
  });
  return { engine, cache };
}

export function createHeadlessRunner(deps: HeadlessRunnerDeps): HeadlessRunner {
  const schema = deps.cacheSchema ?? defaultCacheSchema(deps.db);
  /**
   * Each mailbox's well-known folder ids, read by its first run in this process and handed to the next runs'
   * stores, so an idle run sends no folder reads (one entry per mailbox synced by the process).
   */
  const folderIds = new Map<string, WellKnownFolderIds>();
  let migrated: Promise<void> | null = null;
  const ready = (): Promise<void> => {
    migrated ??= migrateCacheSchema(deps.db, schema).catch((error: unknown) => {
      migrated = null;
      throw error;
    });
    return migrated;
  };

  async function cycle(
    userId: string,
    counters: RunCounters,
    signal: AbortSignal | undefined,
  ): Promise<
    Omit<
      HeadlessRunReport,
      "userId" | "startedAt" | "durationMs" | "graphRequests" | "graphThrottled" | "changes"
    >
  > {
    await ready();
    const user = await mailboxOf(deps.db, userId);
    const knownFolders = folderIds.get(userId);
    const mailbox = new GraphMailboxStore({
      fetch: countingFetch(
        deps.graph.fetch ?? ((input, init) => globalThis.fetch(input, init)),
        counters,
        signal,
      ),
      tokens: deps.graph.tokens,
      clock: deps.waitClock ?? deps.clock,
      addinId: deps.addinId,
      mailboxAddress: user.emailAddress,
      ...(deps.graph.baseUrl === undefined ? {} : { baseUrl: deps.graph.baseUrl }),
      ...(deps.random === undefined ? {} : { random: deps.random }),
      ...(knownFolders === undefined ? {} : { folderIds: knownFolders }),
    });
    const { engine, cache } = openHeadlessEngine({
      ...deps,
      schema,
      userId,
      user,
      mailbox: new CountingMailboxStore(mailbox, counters),
      crm: countingCrmClient(deps.crmFor(userId), counters),
    });
    try {
      await engine.start();
      const status = await engine.syncNow();
      const itemErrors = status.errors.map((error) => `${error.mapId}: ${error.message}`);
      if (status.lastCycleError === null) return { outcome: "ok", errors: itemErrors };
      const retryAt =
        status.nextSyncAt === null ? {} : { retryAt: new Date(status.nextSyncAt).toISOString() };
      return {
        outcome: status.lastCycleError.code === "rateLimited" ? "throttled" : "failed",
        errors: [status.lastCycleError.message, ...itemErrors],
        ...retryAt,
      };
    } finally {
      engine.dispose();
      await engine.idle();
      cache.close();
      const read = await mailbox.knownFolderIds();
      if (read !== null) folderIds.set(userId, read);
    }
  }

  return {
    async runMailbox(userId, options = {}) {
      const startedAt = deps.clock.now();
      const counters: RunCounters = { graphRequests: 0, graphThrottled: 0, changes: 0 };
      let result: Awaited<ReturnType<typeof cycle>>;
      try {
        if (options.signal?.aborted) throw new SyncError("syncFailed", { details: "The run was cancelled." });
        result = await cycle(userId, counters, options.signal);
      } catch (error) {
        deps.logger.error("headless run failed", { userId, error: messageOf(error) });
        result = { outcome: "failed", errors: [messageOf(error)] };
      }
      const report: HeadlessRunReport = {
        userId,
        startedAt: new Date(startedAt).toISOString(),
        durationMs: Math.max(0, deps.clock.now() - startedAt),
        changes: counters.changes,
        graphRequests: counters.graphRequests,
        graphThrottled: counters.graphThrottled,
        ...result,
      };
      deps.logger.info("headless run", { ...report, errors: report.errors.length });
      return report;
    },
  };
}
