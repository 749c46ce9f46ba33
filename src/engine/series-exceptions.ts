/**
 * Recurring series at the tracking cycle (SPEC §15): the exceptions Outlook already holds when a series is
 * tracked become the series' exception records together with it, not when they next change. Which exceptions:
 * those the mailbox store lists in its calendar window that neither have a mapping nor carry a CRM id (a
 * stamped one is linked again by the scan, SPEC §12).
 */
import type { Mapping } from "../ports/local-cache";
import type { MailboxItem } from "../ports/mailbox-store";
import type { CycleContext } from "./cycle-context";

/** The exceptions of series `masterId` that are to be created in the CRM with the series' record. */
export async function exceptionsToTrack(context: CycleContext, masterId: string): Promise<MailboxItem[]> {
  const { cache, mailbox } = context.deps;
  const untracked: MailboxItem[] = [];
  for (const exception of await mailbox.listExceptions(masterId)) {
    if (exception.link?.crmId != null) continue;
    if ((await cache.findByItemId(exception.itemId)) === undefined) untracked.push(exception);
  }
  return untracked;
}

/** The mapping of an exception tracked with its series, before its record exists (tracked by hand, as the series). */
export function exceptionMapping(mapId: string, exception: MailboxItem): Mapping {
  return {
    mapId,
    crmId: null,
    itemId: exception.itemId,
    type: exception.type,
    deletedLocally: false,
    linked: false,
    visited: true,
    verifiedTime: 0,
    crmVersion: null,
    trackedByHand: true,
    snapshot: { outlook: null, crm: null },
  };
}
