/**
 * The pending local changes a new customization package must not lose (SPEC §11): pushing them under the
 * package in force before a schema-compatible one applies, and listing them (item, changed fields) so the core
 * can say which ones a schema-incompatible package could not save. Both first run the missed-change scan on a
 * primary client, so edits the add-in was not told about are in the change log too.
 */
import { readValue, sameValue } from "../core/field-values";
import { flowsToCrm } from "../core/mapping";
import type { LocalChange } from "../core/package-rules";
import type { Fields } from "../core/types";
import type { ChangeLogEntry, Mapping } from "../ports/local-cache";
import type { MailboxItem } from "../ports/mailbox-store";
import { typeSyncs, type CycleContext } from "./cycle-context";
import { processChangeLog } from "./entry-processor";
import { scanOutlook } from "./outlook-scan";

/** How many change-log entries one look at the log reads at most. */
const LOG_LIMIT = 100_000;
/** Items read from the mailbox per request while listing changes. */
const ITEM_BATCH = 100;

/** The entries with an Outlook-side change of a type that syncs now, whatever their retry time, and their mappings. */
async function localEntries(context: CycleContext): Promise<{ entry: ChangeLogEntry; mapping: Mapping }[]> {
  const { cache } = context.deps;
  const entries = (await cache.dueEntries(Number.MAX_SAFE_INTEGER, LOG_LIMIT)).filter(
    (entry) => entry.outlookChange !== null,
  );
  const found: { entry: ChangeLogEntry; mapping: Mapping }[] = [];
  for (const entry of entries) {
    const mapping = await cache.getMapping(entry.mapId);
    if (mapping !== undefined && !mapping.deletedLocally && typeSyncs(context, mapping.type))
      found.push({ entry, mapping });
  }
  return found;
}

async function scanFirst(context: CycleContext): Promise<void> {
  if (context.role === "primary") await scanOutlook(context, new Set());
}

/**
 * Pushes every pending local change now, under the package in force (retry waits are skipped: the package
 * waits for them). Returns the mappings whose change is still pending (it failed); empty when all reached the CRM.
 */
export async function pushLocalChanges(context: CycleContext): Promise<string[]> {
  await scanFirst(context);
  const pending = await localEntries(context);
  if (pending.length === 0) return [];
  await processChangeLog(context, {
    only: new Set(pending.map((p) => p.mapping.mapId)),
    dueUntil: Number.MAX_SAFE_INTEGER,
  });
  return (await localEntries(context)).map((p) => p.mapping.mapId);
}

/** What the user knows an item as: its subject, or a contact's name. */
export function itemLabel(fields: Fields): string {
  const text = (key: string): string => {
    const value = readValue(fields, key);
    return typeof value === "string" ? value.trim() : "";
  };
  const name = [text("firstName"), text("lastName")].filter(Boolean).join(" ");
  return text("subject") || name || text("email1Address") || "(untitled)";
}

function changedFields(context: CycleContext, mapping: Mapping, item: MailboxItem, track: boolean): string[] {
  const rules = context.maps[mapping.type].filter((rule) =>
    track ? flowsToCrm(rule) : rule.direction === "both",
  );
  const snapshot = track ? null : mapping.snapshot.outlook;
  return rules
    .flatMap((rule) => rule.outlook)
    .filter((key) => {
      const now = readValue(item.fields, key);
      return snapshot === null ? now !== null : !sameValue(readValue(snapshot, key), now);
    });
}

/**
 * The pending local changes as the core's {@link LocalChange}s (fields compared with the snapshot under the
 * package in force), with the items they belong to, by mapping id.
 */
export async function listLocalChanges(context: CycleContext): Promise<{
  changes: LocalChange[];
  items: Map<string, { itemId: string | null; crmId: string | null; label: string }>;
}> {
  await scanFirst(context);
  const pending = await localEntries(context);
  const refs = pending.flatMap(({ mapping }) =>
    mapping.itemId === null ? [] : [{ itemId: mapping.itemId, type: mapping.type }],
  );
  const items = new Map<string, MailboxItem | null>();
  for (let start = 0; start < refs.length; start += ITEM_BATCH) {
    const read = await context.deps.mailbox.getItems(refs.slice(start, start + ITEM_BATCH));
    for (const [id, item] of read) items.set(id, item);
  }
  const changes: LocalChange[] = [];
  const named = new Map<string, { itemId: string | null; crmId: string | null; label: string }>();
  for (const { entry, mapping } of pending) {
    const item = mapping.itemId === null ? null : (items.get(mapping.itemId) ?? null);
    const removed = item === null || (entry.outlookChange !== "upsert" && entry.outlookChange !== "track");
    const track = entry.outlookChange === "track" || (mapping.crmId === null && !mapping.linked);
    changes.push({
      mapId: mapping.mapId,
      type: mapping.type,
      kind: removed ? "remove" : track ? "track" : "upsert",
      fields: item === null || removed ? [] : changedFields(context, mapping, item, track),
    });
    named.set(mapping.mapId, {
      itemId: mapping.itemId,
      crmId: mapping.crmId,
      label: item === null ? mapping.type : itemLabel(item.fields),
    });
  }
  return { changes, items: named };
}
