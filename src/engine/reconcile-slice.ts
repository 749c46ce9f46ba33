/**
 * Cycle step 4 (SPEC §3.3), reconciliation: each synced folder that the core's listingsDue names is listed
 * whole by id (MailboxStore.listItemIds, a thousand ids a request), so every mapped item is verified at least
 * once a day at the interval. The mapped items of the folder's type that the complete listing did not show are
 * read: a missing one gets a deletion entry (a delete made while the add-in was not running), a present one
 * (a series exception, an e-mail outside Sent Items) is marked verified. When a folder's listing started is
 * kept as its checkpoint `listing:<folderId>` (the watermark), so a listed item costs no write of its mapping.
 */
import { listingsDue, unlistedMappings } from "../core/reconciliation";
import type { MailboxFolder } from "../ports/mailbox-store";
import { saveCheckpoints } from "./cache-writes";
import type { CycleContext } from "./cycle-context";

/** What reconciliation reads of a cycle: the cache, the mailbox, the clock, the interval and the types that sync. */
export interface ReconcileContext {
  readonly deps: Pick<CycleContext["deps"], "cache" | "mailbox" | "clock">;
  readonly settings: Pick<CycleContext["settings"], "intervalMinutes">;
  readonly syncTypes: CycleContext["syncTypes"];
}

/** The checkpoint key of a folder's last complete id listing; its watermark is when that listing started. */
export function listingCheckpointKey(folderId: string): string {
  return `listing:${folderId}`;
}

/** What one reconciliation step did. */
export interface ReconcileResult {
  readonly listedFolders: number;
  /** Mappings the listings did not show whose items were read and found. */
  readonly verified: number;
  /** Items found missing, each given a deletion entry. */
  readonly missing: number;
}

/**
 * Lists the folders of the types that sync this cycle that are due (every one with `all`, as Reconcile now
 * does) and settles the mappings their listings did not show.
 */
export async function reconcileFolders(
  context: ReconcileContext,
  options: { readonly all: boolean },
): Promise<ReconcileResult> {
  const { cache, mailbox, clock } = context.deps;
  const folders = await mailbox.listFolders([...context.syncTypes]);
  const times = await Promise.all(
    folders.map(async ({ folderId }) => ({
      folderId,
      listedAt: (await cache.getCheckpoint(listingCheckpointKey(folderId)))?.watermark ?? null,
    })),
  );
  const due = options.all
    ? folders
    : listingsDue(times, clock.now(), context.settings.intervalMinutes).map(
        (folderId) => folders.find((folder) => folder.folderId === folderId) as MailboxFolder,
      );
  let verified = 0;
  let missing = 0;
  for (const folder of due) {
    const found = await reconcileFolder(context, folder);
    verified += found.verified;
    missing += found.missing;
  }
  return { listedFolders: due.length, verified, missing };
}

async function reconcileFolder(
  context: ReconcileContext,
  folder: MailboxFolder,
): Promise<{ verified: number; missing: number }> {
  const { cache, mailbox, clock } = context.deps;
  const startedAt = clock.now();
  const listed = new Set<string>();
  let page: string | null = null;
  do {
    const answer = await mailbox.listItemIds(folder.folderId, page);
    for (const id of answer.itemIds) listed.add(id);
    page = answer.next;
  } while (page !== null);
  const mappings = (await cache.listMappings(folder.type)).filter((m) => m.linked && !m.deletedLocally);
  const candidates = unlistedMappings(mappings, listed, startedAt);
  const refs = candidates.flatMap((m) => (m.itemId === null ? [] : [{ itemId: m.itemId, type: m.type }]));
  const items = refs.length === 0 ? new Map() : await mailbox.getItems(refs);
  const verified: string[] = [];
  let missing = 0;
  for (const mapping of candidates) {
    if (mapping.itemId === null) continue;
    if (items.get(mapping.itemId) == null) {
      missing += 1;
      await cache.recordOutlookChange({ itemId: mapping.itemId, kind: "delete", at: clock.now() });
    } else {
      verified.push(mapping.mapId);
    }
  }
  if (verified.length > 0) await cache.markVerified(verified, clock.now());
  await saveCheckpoints(cache, [
    {
      key: listingCheckpointKey(folder.folderId),
      serverVersion: null,
      watermark: startedAt,
      deltaLink: null,
    },
  ]);
  return { verified: verified.length, missing };
}
