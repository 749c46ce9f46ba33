/**
 * Tracking e-mail when it is sent (SPEC §7 "Draft e-mail"): a draft is never placed in the CRM; the message
 * it became in Sent Items still carries the "trackOnSend" stamp, and this step records a track entry for it.
 * Runs right after a send and in every cycle on every client, so a send the add-in did not see is caught too.
 * The record's idempotency key is the message's internet message id, so two clients reach one record.
 */
import { scanFoldersOnce } from "./cache-writes";
import type { CycleContext } from "./cycle-context";

/** Records track entries for sent messages stamped "trackOnSend"; returns their mapping ids. */
export async function trackSentMessages(context: CycleContext): Promise<string[]> {
  const { mailbox, cache, clock, newId } = context.deps;
  const mapIds: string[] = [];
  const folders = (await mailbox.listFolders(["email"])).map(({ folderId }) => ({ folderId, full: false }));
  await scanFoldersOnce(cache, mailbox, folders, async (scan) => {
    for (const item of scan.changed) {
      if (item.link?.state !== "trackOnSend") continue;
      const entry = await cache.recordOutlookChange({
        itemId: item.itemId,
        kind: "track",
        at: clock.now(),
        create: { mapId: newId(), type: "email", trackedByHand: true },
      });
      mapIds.push(entry.mapId);
    }
  });
  return mapIds;
}
