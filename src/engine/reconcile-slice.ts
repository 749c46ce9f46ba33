/**
 * Cycle step 4 (SPEC §3.3): verify the K mapped items with the oldest verifiedTime. A missing item gets a
 * deletion entry (a delete made while the add-in was not running); a present one is marked verified now.
 * K comes from the core's reconciliationSliceSize so every item is verified at least once a day.
 */
import { reconciliationSliceSize } from "../core/reconciliation";
import type { EntityType } from "../core/types";
import type { CycleContext } from "./cycle-context";

/** What one slice found. */
export interface ReconcileResult {
  readonly verified: number;
  readonly missing: number;
}

/** Runs one reconciliation slice over mappings of types that sync this cycle. */
export async function reconcileSlice(context: CycleContext): Promise<ReconcileResult> {
  const { cache, mailbox, clock } = context.deps;
  const k = reconciliationSliceSize(await cache.countMappings(), context.settings.intervalMinutes);
  if (k <= 0) return { verified: 0, missing: 0 };
  const slice = (await cache.reconciliationSlice(k)).filter((m) => m.linked && context.syncTypes.has(m.type));
  if (slice.length === 0) return { verified: 0, missing: 0 };
  const types = new Map<string, EntityType>();
  for (const mapping of slice) if (mapping.itemId !== null) types.set(mapping.itemId, mapping.type);
  const items = await mailbox.getItems([...types.keys()], types);
  const verified: string[] = [];
  let missing = 0;
  for (const mapping of slice) {
    if (mapping.itemId === null) continue;
    if (items.get(mapping.itemId) === null || items.get(mapping.itemId) === undefined) {
      missing += 1;
      await cache.recordOutlookChange({ itemId: mapping.itemId, kind: "delete", at: clock.now() });
    } else {
      verified.push(mapping.mapId);
    }
  }
  await cache.markVerified(verified, clock.now());
  return { verified: verified.length, missing };
}
