/**
 * A CRM edit of a series reaching its exceptions (SPEC §15): when the merge writes new values on a series
 * master, each exception the mailbox store lists that still holds the master's old value of a field gets the
 * new value first (core `exceptionFollowWrites`); an exception with a value of its own keeps it. The exceptions
 * are written before the master, so a cycle that fails in between finds the same old values when it repeats.
 * A tracked exception's new value then reaches its exception record through the scan, like any Outlook edit.
 */
import { exceptionFollowWrites, sharedSeriesWrites } from "../core/series-edits";
import type { Fields } from "../core/types";
import type { MailboxItem } from "../ports/mailbox-store";
import type { CycleContext } from "./cycle-context";

/** Writes on the exceptions of `master` what of `writes` they take; nothing for an item that is no series master. */
export async function followSeriesEdit(
  context: CycleContext,
  master: MailboxItem,
  writes: Fields,
): Promise<void> {
  if (master.series?.eventType !== "seriesMaster") return;
  if (Object.keys(sharedSeriesWrites(writes)).length === 0) return;
  const { mailbox } = context.deps;
  for (const exception of await mailbox.listExceptions(master.itemId)) {
    const follow = exceptionFollowWrites(master.fields, writes, exception.fields);
    if (Object.keys(follow).length > 0) await mailbox.updateItem(exception, { fields: follow });
  }
}
