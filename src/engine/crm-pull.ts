/**
 * Cycle step 1 (SPEC §4, §5): pull the CRM's change stream into the change log. Each page is stored in one
 * cache transaction together with the cursor it advances to, and only then acknowledged with PostSync, so a
 * crash or a lost PostSync answer can at worst re-deliver a page (entries coalesce), never lose one.
 */
import type { EntityType } from "../core/types";
import type { CrmPage } from "../ports/local-cache";
import type { CycleContext } from "./cycle-context";

/** Cursor key of the CRM change stream in the cache. */
export const CRM_CHECKPOINT = "crm";

/** Result of a pull: how many entries were stored (after filtering) and the cursor reached. */
export interface PullResult {
  readonly stored: number;
  readonly cursor: number;
}

const DOWNLOADABLE: ReadonlySet<string> = new Set(["contact", "appointment", "task"]);

/**
 * Pulls every page after the stored cursor (0 when none: a full listing). Keeps entries whose type syncs
 * CRM→Outlook this cycle; drops the rest (e-mail and accounts never come down; unchecked types are ignored).
 */
export async function pullCrmChanges(context: CycleContext, full: boolean): Promise<PullResult> {
  const { crm, cache, clientId, newId, logger } = context.deps;
  const checkpoint = await cache.getCheckpoint(CRM_CHECKPOINT);
  let cursor = full ? 0 : (checkpoint?.serverVersion ?? 0);
  if (cursor > 0) {
    const counts = await crm.prepareSync(clientId);
    if (counts.latestVersion <= cursor) return { stored: 0, cursor };
  }
  let stored = 0;
  for (;;) {
    const page = await crm.getSyncData({ clientId, after: cursor });
    const entries = page.entries
      .filter((entry) => DOWNLOADABLE.has(entry.type) && context.downloadTypes.has(entry.type as EntityType))
      .map((entry) => ({
        crmId: entry.crmId,
        type: entry.type as EntityType,
        version: entry.version,
        kind: entry.kind,
      }));
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
