/**
 * Cycle step 1 (SPEC §4, §5): pull the CRM's change stream into the change log. Each page is stored in one
 * cache transaction together with the cursor it advances to, and only then acknowledged with PostSync, so a
 * crash or a lost PostSync answer can at worst re-deliver a page (entries coalesce), never lose one.
 */
import { SyncError } from "../core/errors";
import type { EntityType } from "../core/types";
import type { BackgroundSyncState, SyncCounts } from "../ports/crm-client";
import type { CrmPage } from "../ports/local-cache";
import { LIMITS } from "../protocol/limits";
import type { CycleContext } from "./cycle-context";

/** Cursor key of the CRM change stream in the cache. */
export const CRM_CHECKPOINT = "crm";
/** Cursor of the listing that an initial synchronization of a package's added types reads (never acknowledged). */
export const BUILD_CHECKPOINT = "crm:build";

/** Result of a pull: how many entries were stored (after filtering) and the cursor reached. */
export interface PullResult {
  readonly stored: number;
  readonly cursor: number;
  /** Who synchronizes the mailbox, as PrepareSync said; absent when the pull did not ask it. */
  readonly backgroundSync?: BackgroundSyncState | undefined;
}

const DOWNLOADABLE: ReadonlySet<string> = new Set(["contact", "appointment", "task"]);
/** Entries asked for per GetSyncData page: the protocol's largest, so a listing takes the fewest pages. */
const PAGE_SIZE = LIMITS.pageSize;

/**
 * Pulls every page after the stored cursor (0 when none: a full listing). Keeps entries whose type syncs
 * CRM→Outlook this cycle; drops the rest (e-mail and accounts never come down; unchecked types are ignored).
 * When PrepareSync says the server synchronizes the mailbox now, the add-in's engine pulls nothing.
 */
export async function pullCrmChanges(context: CycleContext, full: boolean): Promise<PullResult> {
  const { crm, cache, clientId, logger } = context.deps;
  const checkpoint = await cache.getCheckpoint(CRM_CHECKPOINT);
  const cursor = full ? 0 : (checkpoint?.serverVersion ?? 0);
  if (cursor === 0) return pullPages(context, cursor, null);
  let counts: SyncCounts;
  try {
    counts = await crm.prepareSync(clientId);
  } catch (error) {
    if (!(error instanceof SyncError) || error.code !== "resyncRequired") throw error;
    logger.warn("the server no longer has every change since this client's cursor: listing everything", {});
    return relist(context);
  }
  // The server's own headless engine is the one "the server" names: it pulls.
  const backgroundSync = context.deps.headless === true ? undefined : counts.backgroundSync;
  if (counts.total === 0 || counts.latestVersion <= cursor || backgroundSync === "server") {
    return { stored: 0, cursor, backgroundSync };
  }
  return { ...(await pullPages(context, cursor, null)), backgroundSync };
}

/**
 * A full listing after the server dropped the changes this client missed (`resyncRequired`): every record
 * still in view is announced again; a linked record that is not listed left the view while the client was
 * away, so it gets a `leftFilter` entry (a delete under the SPEC §4 and §8 rules).
 */
async function relist(context: CycleContext): Promise<PullResult> {
  const listed = new Set<string>();
  const result = await pullPages(context, 0, listed);
  const gone = (await context.deps.cache.listMappings()).filter(
    (m) => m.linked && m.crmId !== null && !listed.has(m.crmId) && context.downloadTypes.has(m.type),
  );
  if (gone.length > 0) {
    await context.deps.cache.storeCrmPage(
      {
        entries: gone.map((m) => ({
          crmId: m.crmId ?? "",
          type: m.type,
          version: result.cursor,
          kind: "leftFilter" as const,
        })),
        checkpoint: { key: CRM_CHECKPOINT, serverVersion: result.cursor, watermark: null, deltaLink: null },
      },
      context.deps.newId,
    );
  }
  return { stored: result.stored + gone.length, cursor: result.cursor };
}

/**
 * The CRM side of an initial synchronization for some types only (a customization package added them, SPEC §11,
 * §12): lists the user's whole view from the build cursor and stores the entries of `types`, each page with the
 * cursor, so a stopped listing resumes. It acknowledges nothing: the main cursor, and PostSync, stay with the
 * change stream that the next pull continues. A cursor the server no longer serves starts the listing over.
 */
export async function listForBuild(
  context: CycleContext,
  types: ReadonlySet<EntityType>,
): Promise<PullResult> {
  const { crm, cache, clientId, newId } = context.deps;
  let cursor = (await cache.getCheckpoint(BUILD_CHECKPOINT))?.serverVersion ?? 0;
  let stored = 0;
  for (;;) {
    let page: Awaited<ReturnType<typeof crm.getSyncData>>;
    try {
      page = await crm.getSyncData({ clientId, after: cursor, limit: PAGE_SIZE });
    } catch (error) {
      if (!(error instanceof SyncError) || error.code !== "resyncRequired" || cursor === 0) throw error;
      cursor = 0;
      continue;
    }
    const entries = page.entries
      .filter((entry) => types.has(entry.type as EntityType))
      .map((entry) => ({
        crmId: entry.crmId,
        type: entry.type as EntityType,
        version: entry.version,
        kind: entry.kind,
      }));
    const next = Math.max(cursor, page.nextAfter);
    await cache.storeCrmPage(
      {
        entries,
        checkpoint: { key: BUILD_CHECKPOINT, serverVersion: next, watermark: null, deltaLink: null },
      },
      newId,
    );
    stored += entries.length;
    cursor = next;
    if (!page.hasMore || page.entries.length === 0) return { stored, cursor };
  }
}

/** Stores every page after `after`, each before its PostSync; collects the listed ids into `listed` when given. */
async function pullPages(
  context: CycleContext,
  after: number,
  listed: Set<string> | null,
): Promise<PullResult> {
  const { crm, cache, clientId, newId, logger } = context.deps;
  let cursor = after;
  let stored = 0;
  for (;;) {
    const page = await crm.getSyncData({ clientId, after: cursor, limit: PAGE_SIZE });
    const entries = page.entries
      .filter((entry) => DOWNLOADABLE.has(entry.type) && context.downloadTypes.has(entry.type as EntityType))
      .map((entry) => ({
        crmId: entry.crmId,
        type: entry.type as EntityType,
        version: entry.version,
        kind: entry.kind,
      }));
    for (const entry of entries) if (entry.kind === "upsert") listed?.add(entry.crmId);
    const next = Math.max(cursor, page.nextAfter);
    const toStore: CrmPage = {
      entries,
      checkpoint: { key: CRM_CHECKPOINT, serverVersion: next, watermark: null, deltaLink: null },
    };
    await cache.storeCrmPage(toStore, newId);
    stored += entries.length;
    cursor = next;
    await crm.postSync({ clientId, version: cursor });
    if (!page.hasMore || page.entries.length === 0) break;
  }
  logger.debug("crm pull done", { stored, cursor });
  return { stored, cursor };
}
