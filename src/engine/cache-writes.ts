/**
 * Small cache writes the cycle steps share: saving checkpoints alone (after the entries they cover are
 * written), one batch made of several, and the mapping of an item found already stamped with a CRM id.
 */
import type { EntityType } from "../core/types";
import type { AppliedBatch, Checkpoint, LocalCache, Mapping } from "../ports/local-cache";
import type { FolderScan, MailboxStore } from "../ports/mailbox-store";

/** Saves checkpoints in one transaction. Call it only after every entry the checkpoints cover is stored. */
export function saveCheckpoints(cache: LocalCache, checkpoints: readonly Checkpoint[]): Promise<void> {
  return cache.applyBatch({
    mappings: [],
    deleteMappings: [],
    handled: [],
    checkpoints,
    pendingCreatesDone: [],
    conflicts: [],
  });
}

/**
 * The batches of several entries as one, for one transaction. Each entry's batch touches only its own mapping,
 * so the order `applyBatch` applies the parts in (deletes before puts) keeps every entry's meaning. A package
 * state, which only the metadata step writes, is never combined.
 */
export function combinedBatch(batches: readonly AppliedBatch[]): AppliedBatch {
  return {
    mappings: batches.flatMap((batch) => batch.mappings),
    deleteMappings: batches.flatMap((batch) => batch.deleteMappings),
    handled: batches.flatMap((batch) => batch.handled),
    checkpoints: batches.flatMap((batch) => batch.checkpoints),
    pendingCreatesDone: batches.flatMap((batch) => batch.pendingCreatesDone),
    conflicts: batches.flatMap((batch) => batch.conflicts),
  };
}

/**
 * A linked mapping without snapshots, for an item that carries `crmId` but has no mapping here: the next merge
 * treats every field of both sides as changed, so the later modification wins (SPEC §6, §12).
 */
export function stampedItemMapping(input: {
  readonly mapId: string;
  readonly crmId: string;
  readonly itemId: string;
  readonly type: EntityType;
  readonly now: number;
  readonly trackedByHand: boolean;
}): Mapping {
  return {
    mapId: input.mapId,
    crmId: input.crmId,
    itemId: input.itemId,
    type: input.type,
    deletedLocally: false,
    linked: true,
    visited: true,
    verifiedTime: input.now,
    crmVersion: null,
    trackedByHand: input.trackedByHand,
    snapshot: { outlook: null, crm: null },
  };
}

/** Cache checkpoint key of a folder. */
export function folderCheckpointKey(folderId: string): string {
  return `folder:${folderId}`;
}

/**
 * Scans these folders, each from its stored checkpoint (from scratch with `full`), in one call of the store
 * (which may read them in one round trip); then, folder by folder in order, lets `note` write the entries for
 * what changed and only then saves that folder's new checkpoint.
 */
export async function scanFoldersOnce(
  cache: LocalCache,
  mailbox: MailboxStore,
  folders: readonly { readonly folderId: string; readonly full: boolean }[],
  note: (scan: FolderScan, index: number) => Promise<void>,
): Promise<void> {
  if (folders.length === 0) return;
  const checkpoints = await Promise.all(
    folders.map(async ({ folderId, full }) => {
      const stored = full ? undefined : await cache.getCheckpoint(folderCheckpointKey(folderId));
      return stored ? { deltaLink: stored.deltaLink, watermark: stored.watermark } : null;
    }),
  );
  const scans = await mailbox.scanFolders(
    folders.map(({ folderId }, index) => ({ folderId, checkpoint: checkpoints[index] ?? null })),
  );
  for (const [index, { folderId }] of folders.entries()) {
    const scan = scans[index];
    if (scan === undefined) throw new Error(`the mailbox store answered no scan for folder ${folderId}`);
    await note(scan, index);
    await saveCheckpoints(cache, [
      {
        key: folderCheckpointKey(folderId),
        serverVersion: null,
        watermark: scan.checkpoint.watermark,
        deltaLink: scan.checkpoint.deltaLink,
      },
    ]);
  }
}
