/**
 * The LocalCache contract: one list of cases that every adapter must pass (in the style of Replicache's
 * kv/store-test-util.ts). Plain async functions, so the same cases run under mocha in Node (run-all.ts)
 * and inside a Chromium page (browser/contract-page.ts).
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { SyncError } from "../../src/core/errors";
import type { EntityType } from "../../src/core/types";
import type { CacheLimits } from "../../src/adapters/cache-rules/cache-limits";
import type { Clock } from "../../src/ports/clock";
import {
  appliedBatch,
  type CrmChangeKind,
  type CrmPage,
  type LocalCache,
  type Mapping,
  type OutlookChangeKind,
} from "../../src/ports/local-cache";
import { DEFAULT_SETTINGS } from "../../src/ports/settings";
import { ManualClock } from "../support/manual-clock";
import { BULK_CASES } from "./bulk-cases";
import { PACKAGE_STATE_CASES } from "./package-state-cases";

/** What a case may ask of the adapter under test. */
export interface CacheOptions {
  readonly clock: Clock;
  /** Writes past this many bytes fail as a full browser profile would. */
  readonly quotaBytes?: number;
  readonly limits?: CacheLimits;
}

/** Opens a fresh, empty cache of the adapter under test. */
export type NewCache = (options: CacheOptions) => Promise<LocalCache>;

export interface ContractCase {
  readonly name: string;
  run(newCache: NewCache): Promise<void>;
}

const T0 = 1_700_000_000_000;

/** Runs `body` on a fresh cache with a manual clock at T0, and closes the cache. */
export async function withCache(
  newCache: NewCache,
  body: (cache: LocalCache, clock: ManualClock) => Promise<void>,
  options: Omit<CacheOptions, "clock"> = {},
): Promise<void> {
  const clock = new ManualClock(T0);
  const cache = await newCache({ ...options, clock });
  try {
    await body(cache, clock);
  } finally {
    cache.close();
  }
}

function mapping(mapId: string, fields: Partial<Mapping> = {}): Mapping {
  return {
    mapId,
    crmId: null,
    itemId: `item-${mapId}`,
    type: "contact",
    deletedLocally: false,
    linked: true,
    visited: false,
    verifiedTime: 0,
    crmVersion: null,
    trackedByHand: false,
    snapshot: { outlook: null, crm: null },
    ...fields,
  };
}

function page(
  entries: readonly (readonly [crmId: string, kind: CrmChangeKind, version: number, type?: EntityType])[],
  serverVersion: number | null,
  key = "crm",
): CrmPage {
  return {
    entries: entries.map(([crmId, kind, version, type]) => ({
      crmId,
      kind,
      version,
      type: type ?? "contact",
    })),
    checkpoint: { key, serverVersion, watermark: null, deltaLink: null },
  };
}

/** A mapId source: `${prefix}-1`, `${prefix}-2`, …, throwing on call `crashAt` (1-based) when given. */
function mapIds(prefix = "m-new", crashAt?: number): () => string {
  let n = 0;
  return () => {
    n += 1;
    if (n === crashAt) throw new Error(`crash at newMapId call ${n}`);
    return `${prefix}-${n}`;
  };
}

function isSyncError(code: SyncError["code"], mentions?: string): (error: unknown) => boolean {
  return (error) =>
    error instanceof SyncError &&
    error.code === code &&
    (mentions === undefined || error.message.includes(mentions));
}

/** Everything a cache holds that the cases compare before and after a failed write. */
async function dump(cache: LocalCache, checkpointKeys: readonly string[] = ["crm", "folder:inbox"]) {
  return {
    mappings: await cache.listMappings(),
    entries: await cache.dueEntries(Number.MAX_SAFE_INTEGER, 100_000),
    checkpoints: await Promise.all(checkpointKeys.map((key) => cache.getCheckpoint(key))),
    pendingCreates: await cache.listPendingCreates(),
    conflicts: await cache.listConflicts(100_000),
    settings: await cache.getSettings(),
    status: await cache.getStatus(),
    log: await cache.exportLog(),
  };
}

/** Mappings m1 (c1) and m2 (c2), and a stored page: c1 upsert@3, c2 `kind`@4. */
async function seedTwo(cache: LocalCache, kind: CrmChangeKind): Promise<void> {
  await cache.putMappings([mapping("m1", { crmId: "c1" }), mapping("m2", { crmId: "c2" })]);
  await cache.storeCrmPage(
    page(
      [
        ["c1", "upsert", 3],
        ["c2", kind, 4],
      ],
      4,
    ),
    mapIds(),
  );
}

/** Stores one page announcing `count` new records c0, c1, … (versions 1, 2, …), mapped to m-1, m-2, …. */
async function storeUpserts(cache: LocalCache, count: number): Promise<void> {
  const entries = Array.from({ length: count }, (_, i) => [`c${i}`, "upsert", i + 1] as const);
  await cache.storeCrmPage(page(entries, count), mapIds("m"));
}

const conflict = (mapId: string, field: string, at = T0) => ({
  at,
  mapId,
  type: "contact" as const,
  field,
  kept: "new",
  overwritten: "old",
  winner: "crm" as const,
});

export const CONTRACT_CASES: readonly ContractCase[] = [
  {
    name: "starts empty",
    run: (newCache) =>
      withCache(newCache, async (cache) => {
        assert.equal(await cache.countMappings(), 0);
        assert.equal(await cache.countEntries(), 0);
        assert.equal(await cache.getMapping("m1"), undefined);
        assert.equal(await cache.getCheckpoint("crm"), undefined);
        assert.equal(await cache.getSettings(), undefined);
        assert.equal(await cache.exportLog(), "");
        assert.deepEqual(await cache.listLogSegments(), []);
      }),
  },
  {
    name: "putMappings stores mappings and finds them by mapId, crmId, itemId and type",
    run: (newCache) =>
      withCache(newCache, async (cache) => {
        const a = mapping("m2", {
          crmId: "c2",
          snapshot: { outlook: { firstName: "Ann" }, crm: { firstname: "Ann" } },
        });
        const b = mapping("m1", { crmId: "c1", type: "task", itemId: null });
        await cache.putMappings([a, b]);
        assert.deepEqual(await cache.getMapping("m2"), a);
        assert.deepEqual(await cache.findByCrmId("c1"), b);
        assert.deepEqual(await cache.findByItemId("item-m2"), a);
        assert.deepEqual(await cache.listMappings(), [b, a]);
        assert.deepEqual(await cache.listMappings("task"), [b]);
        assert.equal(await cache.countMappings(), 2);
      }),
  },
  {
    name: "putMappings replaces a mapping and moves its crmId and itemId with it",
    run: (newCache) =>
      withCache(newCache, async (cache) => {
        await cache.putMappings([mapping("m1", { crmId: "c1" })]);
        await cache.putMappings([mapping("m1", { crmId: "c2", itemId: "item-x" })]);
        assert.equal(await cache.findByCrmId("c1"), undefined);
        assert.equal(await cache.findByItemId("item-m1"), undefined);
        assert.equal((await cache.findByCrmId("c2"))?.mapId, "m1");
        assert.equal((await cache.findByItemId("item-x"))?.mapId, "m1");
        await cache.putMappings([mapping("m2", { crmId: "c1", itemId: "item-m1" })]);
        assert.equal((await cache.findByCrmId("c1"))?.mapId, "m2");
      }),
  },
  {
    name: "putMappings rejects a crmId or itemId that belongs to another mapping, writing nothing",
    run: (newCache) =>
      withCache(newCache, async (cache) => {
        await cache.putMappings([mapping("m1", { crmId: "c1" })]);
        await assert.rejects(
          cache.putMappings([mapping("m2", { crmId: "c9" }), mapping("m3", { crmId: "c1" })]),
          isSyncError("invalidInput", "m3"),
        );
        await assert.rejects(
          cache.putMappings([mapping("m4", { itemId: "item-m1" })]),
          isSyncError("invalidInput", "m4"),
        );
        assert.deepEqual(
          (await cache.listMappings()).map((m) => m.mapId),
          ["m1"],
        );
      }),
  },
  {
    name: "putMappings rejects malformed mappings naming the field, writing nothing",
    run: (newCache) =>
      withCache(newCache, async (cache) => {
        const bad = { ...mapping("m2"), type: "fax" } as unknown as Mapping;
        await assert.rejects(
          cache.putMappings([mapping("m1"), bad]),
          isSyncError("invalidInput", "mappings.1.type"),
        );
        await assert.rejects(
          cache.putMappings([mapping("m3", { itemId: null })]),
          isSyncError("invalidInput", "crmId or an itemId"),
        );
        const badSnapshot = mapping("m4", {
          snapshot: { outlook: { x: { y: 1 } as unknown as string }, crm: null },
        });
        await assert.rejects(
          cache.putMappings([badSnapshot]),
          isSyncError("invalidInput", "snapshot.outlook.x"),
        );
        assert.equal(await cache.countMappings(), 0);
      }),
  },
  {
    name: "values returned are copies: changing them changes nothing stored",
    run: (newCache) =>
      withCache(newCache, async (cache) => {
        await cache.putMappings([mapping("m1", { snapshot: { outlook: { a: "1" }, crm: null } })]);
        const got = await cache.getMapping("m1");
        assert.ok(got);
        Object.assign(got, { crmId: "changed" });
        Object.assign(got.snapshot, { outlook: { a: "2" } });
        assert.deepEqual(
          await cache.getMapping("m1"),
          mapping("m1", { snapshot: { outlook: { a: "1" }, crm: null } }),
        );
      }),
  },
  {
    name: "recordOutlookChange creates the mapping from `create` and a pending entry",
    run: (newCache) =>
      withCache(newCache, async (cache) => {
        const entry = await cache.recordOutlookChange({
          itemId: "i1",
          kind: "track",
          at: T0 + 5,
          create: { mapId: "m1", type: "appointment", trackedByHand: true },
        });
        assert.equal(entry.mapId, "m1");
        assert.equal(entry.outlookChange, "track");
        assert.equal(entry.outlookTimestamp, T0 + 5);
        assert.equal(entry.crmChange, null);
        assert.equal(entry.attempts, 0);
        assert.ok(entry.revision > 0);
        assert.deepEqual(await cache.getEntry("m1"), entry);
        assert.deepEqual(await cache.getMapping("m1"), {
          ...mapping("m1", { itemId: "i1", type: "appointment", trackedByHand: true }),
          linked: false,
        });
      }),
  },
  {
    name: "recordOutlookChange for an unknown item without `create` rejects and writes nothing",
    run: (newCache) =>
      withCache(newCache, async (cache) => {
        await assert.rejects(
          cache.recordOutlookChange({ itemId: "i1", kind: "upsert", at: T0 }),
          isSyncError("invalidInput", "i1"),
        );
        await assert.rejects(
          cache.recordOutlookChange({ itemId: "", kind: "upsert", at: T0 }),
          isSyncError("invalidInput", "change.itemId"),
        );
        assert.equal(await cache.countEntries(), 0);
        assert.equal(await cache.countMappings(), 0);
      }),
  },
  {
    name: "recordOutlookChange uses the existing mapping and ignores `create`",
    run: (newCache) =>
      withCache(newCache, async (cache) => {
        await cache.putMappings([mapping("m1")]);
        const entry = await cache.recordOutlookChange({
          itemId: "item-m1",
          kind: "upsert",
          at: T0,
          create: { mapId: "other", type: "task", trackedByHand: false },
        });
        assert.equal(entry.mapId, "m1");
        assert.equal(await cache.countMappings(), 1);
        await assert.rejects(
          cache.recordOutlookChange({
            itemId: "i2",
            kind: "upsert",
            at: T0,
            create: { mapId: "m1", type: "task", trackedByHand: false },
          }),
          isSyncError("invalidInput", "m1"),
        );
        assert.equal(await cache.findByItemId("i2"), undefined);
      }),
  },
  {
    name: "Outlook notices coalesce into one entry per mapping with the latest timestamp and a new revision",
    run: (newCache) =>
      withCache(newCache, async (cache) => {
        await cache.putMappings([mapping("m1")]);
        const first = await cache.recordOutlookChange({ itemId: "item-m1", kind: "upsert", at: T0 + 10 });
        const second = await cache.recordOutlookChange({ itemId: "item-m1", kind: "upsert", at: T0 + 5 });
        assert.equal(await cache.countEntries(), 1);
        assert.equal(second.outlookTimestamp, T0 + 10);
        assert.ok(second.revision > first.revision);
        const third = await cache.recordOutlookChange({ itemId: "item-m1", kind: "upsert", at: T0 + 20 });
        assert.equal(third.outlookTimestamp, T0 + 20);
        assert.ok(third.revision > second.revision);
      }),
  },
  {
    name: "Outlook coalescing: delete and untrack dominate upsert, untrack beats delete, track re-tracks",
    run: (newCache) =>
      withCache(newCache, async (cache) => {
        const sequences: readonly (readonly [readonly OutlookChangeKind[], OutlookChangeKind])[] = [
          [["upsert", "delete", "upsert"], "delete"],
          [["delete", "upsert"], "delete"],
          [["track", "upsert"], "track"],
          [["upsert", "track"], "track"],
          [["delete", "track"], "delete"],
          [["upsert", "untrack", "delete"], "untrack"],
          [["delete", "untrackAndDelete"], "untrackAndDelete"],
          [["untrack", "track"], "track"],
          [["track", "untrackAndDelete", "upsert"], "untrackAndDelete"],
          [["untrackAndDelete", "untrack"], "untrack"],
        ];
        for (const [index, [kinds, expected]] of sequences.entries()) {
          const itemId = `i${index}`;
          let kind: OutlookChangeKind | null = null;
          for (const [step, next] of kinds.entries()) {
            const create = { mapId: `m${index}`, type: "task" as const, trackedByHand: false };
            kind = (await cache.recordOutlookChange({ itemId, kind: next, at: T0 + step, create }))
              .outlookChange;
          }
          assert.equal(kind, expected, `${kinds.join(" → ")}`);
          assert.equal((await cache.getEntry(`m${index}`))?.outlookChange, expected);
        }
      }),
  },
  {
    name: "new changes reset attempts, lastError and nextAttemptAt",
    run: (newCache) =>
      withCache(newCache, async (cache) => {
        await cache.putMappings([mapping("m1", { crmId: "c1" })]);
        const entry = await cache.recordOutlookChange({ itemId: "item-m1", kind: "upsert", at: T0 });
        const failed = await cache.markFailed(
          "m1",
          entry.revision,
          { code: "network", message: "down" },
          T0 + 60_000,
        );
        assert.equal(failed?.attempts, 1);
        const again = await cache.recordOutlookChange({ itemId: "item-m1", kind: "upsert", at: T0 + 1 });
        assert.equal(again.attempts, 0);
        assert.equal(again.lastError, null);
        assert.equal(again.nextAttemptAt, 0);
        const refailed = await cache.markFailed("m1", again.revision, { code: "x", message: "y" }, T0 + 5);
        assert.ok(refailed);
        await cache.storeCrmPage(page([["c1", "upsert", 4]], 4), mapIds());
        const fromCrm = await cache.getEntry("m1");
        assert.equal(fromCrm?.attempts, 0);
        assert.equal(fromCrm?.lastError, null);
        assert.equal(fromCrm?.outlookChange, "upsert");
        assert.equal(fromCrm?.crmChange, "upsert");
      }),
  },
  {
    name: "storeCrmPage creates mappings for unseen records and stores entries with the checkpoint",
    run: (newCache) =>
      withCache(newCache, async (cache, clock) => {
        clock.advance(1000);
        await cache.storeCrmPage(
          page(
            [
              ["c1", "upsert", 3],
              ["c2", "upsert", 4, "task"],
            ],
            4,
          ),
          mapIds(),
        );
        const m1 = await cache.findByCrmId("c1");
        assert.deepEqual(m1, { ...mapping("m-new-1", { crmId: "c1", itemId: null }), linked: false });
        assert.equal((await cache.findByCrmId("c2"))?.type, "task");
        const entry = await cache.getEntry("m-new-2");
        assert.equal(entry?.crmChange, "upsert");
        assert.equal(entry?.crmVersion, 4);
        assert.equal(entry?.crmTimestamp, T0 + 1000);
        assert.equal(entry?.outlookChange, null);
        assert.deepEqual(await cache.getCheckpoint("crm"), page([], 4).checkpoint);
      }),
  },
  {
    name: "storeCrmPage skips deletes and leftFilter of records it has never seen",
    run: (newCache) =>
      withCache(newCache, async (cache) => {
        await cache.storeCrmPage(
          page(
            [
              ["c1", "delete", 3],
              ["c2", "leftFilter", 4],
            ],
            9,
          ),
          mapIds(),
        );
        assert.equal(await cache.countMappings(), 0);
        assert.equal(await cache.countEntries(), 0);
        assert.equal((await cache.getCheckpoint("crm"))?.serverVersion, 9);
      }),
  },
  {
    name: "CRM coalescing keeps the highest version, lets delete/leftFilter win ties, and a delete is final",
    run: (newCache) =>
      withCache(newCache, async (cache) => {
        const steps: readonly (readonly [CrmChangeKind, number, CrmChangeKind, number])[] = [
          ["upsert", 1, "upsert", 1],
          ["upsert", 3, "upsert", 3],
          ["upsert", 2, "upsert", 3],
          ["leftFilter", 3, "leftFilter", 3],
          ["upsert", 3, "leftFilter", 3],
          ["upsert", 5, "upsert", 5],
          ["delete", 6, "delete", 6],
          ["upsert", 7, "delete", 6],
          ["leftFilter", 8, "delete", 6],
        ];
        for (const [kind, version, expectedKind, expectedVersion] of steps) {
          await cache.storeCrmPage(page([["c1", kind, version]], version), mapIds());
          const entry = await cache.getEntry("m-new-1");
          assert.equal(entry?.crmChange, expectedKind, `after ${kind}@${version}`);
          assert.equal(entry?.crmVersion, expectedVersion, `after ${kind}@${version}`);
        }
        assert.equal(await cache.countMappings(), 1);
        assert.equal(await cache.countEntries(), 1);
      }),
  },
  {
    name: "storing the same page twice changes no revision",
    run: (newCache) =>
      withCache(newCache, async (cache) => {
        const twice = page(
          [
            ["c1", "upsert", 1],
            ["c2", "delete", 2],
            ["c1", "upsert", 2],
          ],
          2,
        );
        await cache.storeCrmPage(twice, mapIds());
        const before = await dump(cache);
        await cache.storeCrmPage(twice, () => "never-called");
        assert.deepEqual(await dump(cache), before);
        assert.equal(before.entries.length, 1);
        assert.equal(before.entries[0]?.crmVersion, 2);
      }),
  },
  {
    name: "storeCrmPage skips entries at or below the mapping's applied crmVersion",
    run: (newCache) =>
      withCache(newCache, async (cache) => {
        await cache.putMappings([mapping("m1", { crmId: "c1", crmVersion: 5 })]);
        await cache.storeCrmPage(page([["c1", "upsert", 5]], 5), mapIds());
        assert.equal(await cache.getEntry("m1"), undefined);
        await cache.storeCrmPage(page([["c1", "upsert", 6]], 6), mapIds());
        assert.equal((await cache.getEntry("m1"))?.crmVersion, 6);
      }),
  },
  {
    name: "storeCrmPage rejects a type mismatch, a version past the checkpoint, or a mapId in use, writing nothing",
    run: (newCache) =>
      withCache(newCache, async (cache) => {
        await cache.putMappings([mapping("m1", { crmId: "c1" })]);
        await cache.storeCrmPage(page([["c0", "upsert", 1]], 1), mapIds());
        const before = await dump(cache);
        await assert.rejects(
          cache.storeCrmPage(
            page(
              [
                ["c5", "upsert", 2],
                ["c1", "upsert", 2, "task"],
              ],
              2,
            ),
            () => "m5",
          ),
          isSyncError("invalidInput", "c1"),
        );
        await assert.rejects(
          cache.storeCrmPage(page([["c6", "upsert", 7]], 6), mapIds()),
          isSyncError("invalidInput", "page.entries.0.version"),
        );
        await assert.rejects(
          cache.storeCrmPage(page([["c7", "upsert", 3]], 3), () => "m1"),
          isSyncError("invalidInput", "m1"),
        );
        assert.deepEqual(await dump(cache), before);
      }),
  },
  {
    name: "crash: a page aborted halfway leaves nothing of itself, and the checkpoint stays behind its data",
    run: (newCache) =>
      withCache(newCache, async (cache) => {
        await cache.putMappings([mapping("m1", { crmId: "c1" })]);
        await cache.storeCrmPage(page([["c0", "upsert", 2]], 2), mapIds());
        const before = await dump(cache);
        const halfway = page(
          [
            ["c1", "upsert", 3],
            ["c2", "upsert", 4],
            ["c3", "upsert", 5],
            ["c4", "upsert", 6],
            ["c5", "upsert", 7],
          ],
          7,
        );
        await assert.rejects(cache.storeCrmPage(halfway, mapIds("m-crash", 3)), /crash at newMapId call 3/);
        assert.deepEqual(await dump(cache), before);
        assert.equal((await cache.getCheckpoint("crm"))?.serverVersion, 2);
        await cache.storeCrmPage(halfway, mapIds("m-retry"));
        assert.equal((await cache.getCheckpoint("crm"))?.serverVersion, 7);
        assert.equal(await cache.countEntries(), 6);
      }),
  },
  {
    name: "crash (property): for any page and crash point, the whole page with its checkpoint is stored, or none of it",
    run: async (newCache) => {
      const entry = fc.tuple(
        fc.constantFrom("c1", "c2", "c3", "c4", "c5", "c6"),
        fc.constantFrom<CrmChangeKind>("upsert", "upsert", "delete", "leftFilter"),
        fc.integer({ min: 1, max: 20 }),
      );
      await fc.assert(
        fc.asyncProperty(
          fc.array(entry, { maxLength: 8 }),
          fc.integer({ min: 1, max: 6 }),
          async (entries, crashAt) =>
            withCache(newCache, async (cache) => {
              await cache.storeCrmPage(page([["c1", "upsert", 1]], 1), mapIds());
              const before = await dump(cache);
              const next = page(entries, 20);
              const unseenUpserts = new Set(
                entries.filter(([id, kind]) => id !== "c1" && kind === "upsert").map(([id]) => id),
              );
              let crashed = false;
              try {
                await cache.storeCrmPage(next, mapIds("m-next", crashAt + 1));
              } catch (error) {
                assert.match(String(error), /crash at newMapId/);
                crashed = true;
              }
              assert.equal(crashed, unseenUpserts.size > crashAt);
              if (crashed) {
                assert.deepEqual(await dump(cache), before);
                return;
              }
              assert.equal((await cache.getCheckpoint("crm"))?.serverVersion, 20);
              for (const crmId of unseenUpserts) {
                const mapped = await cache.findByCrmId(crmId);
                assert.ok(
                  mapped && (await cache.getEntry(mapped.mapId)),
                  `${crmId} stored with the checkpoint`,
                );
              }
            }),
        ),
        { numRuns: 20 },
      );
    },
  },
  {
    name: "dueEntries returns due entries by nextAttemptAt then revision, up to the limit",
    run: (newCache) =>
      withCache(newCache, async (cache) => {
        await cache.putMappings([mapping("m1"), mapping("m2"), mapping("m3"), mapping("m4")]);
        for (const id of ["m3", "m1", "m2", "m4"]) {
          await cache.recordOutlookChange({ itemId: `item-${id}`, kind: "upsert", at: T0 });
        }
        const m2 = await cache.getEntry("m2");
        assert.ok(m2);
        await cache.markFailed("m2", m2.revision, { code: "network", message: "down" }, T0 + 100);
        const m4 = await cache.getEntry("m4");
        assert.ok(m4);
        await cache.markFailed("m4", m4.revision, { code: "network", message: "down" }, T0 + 50);
        const ids = async (now: number, limit: number) =>
          (await cache.dueEntries(now, limit)).map((e) => e.mapId);
        assert.deepEqual(await ids(T0, 10), ["m3", "m1"]);
        assert.deepEqual(await ids(T0 + 100, 10), ["m3", "m1", "m4", "m2"]);
        assert.deepEqual(await ids(T0 + 100, 3), ["m3", "m1", "m4"]);
        assert.deepEqual(await ids(T0 + 100, 0), []);
        await assert.rejects(cache.dueEntries(T0, -1), isSyncError("invalidInput", "limit"));
      }),
  },
  {
    name: "applyBatch writes mappings, deletions, checkpoints, pending creates and conflicts, and removes handled entries",
    run: (newCache) =>
      withCache(newCache, async (cache) => {
        await seedTwo(cache, "delete");
        await cache.putPendingCreate({
          idempotencyKey: "k1",
          mapId: "m1",
          side: "crm",
          type: "contact",
          createdAt: T0,
        });
        const [e1, e2] = await cache.dueEntries(T0, 10);
        assert.ok(e1 && e2);
        const m1 = mapping("m1", {
          crmId: "c1",
          crmVersion: 3,
          snapshot: { outlook: { a: "x" }, crm: { a: "x" } },
        });
        const folder = { key: "folder:inbox", serverVersion: null, watermark: T0, deltaLink: "delta-1" };
        await cache.applyBatch(
          appliedBatch({
            mappings: [m1],
            deleteMappings: ["m2"],
            handled: [
              { mapId: e1.mapId, revision: e1.revision },
              { mapId: e2.mapId, revision: e2.revision },
            ],
            checkpoints: [folder],
            pendingCreatesDone: ["k1"],
            conflicts: [conflict("m1", "a")],
          }),
        );
        assert.deepEqual(await cache.listMappings(), [m1]);
        assert.equal(await cache.countEntries(), 0);
        assert.deepEqual(await cache.getCheckpoint("folder:inbox"), folder);
        assert.deepEqual(await cache.listPendingCreates(), []);
        assert.deepEqual(await cache.listConflicts(10), [conflict("m1", "a")]);
      }),
  },
  {
    name: "applyBatch keeps an entry that changed since it was read, dropping only a CRM part already applied",
    run: (newCache) =>
      withCache(newCache, async (cache) => {
        await seedTwo(cache, "upsert");
        const read1 = await cache.getEntry("m1");
        const read2 = await cache.getEntry("m2");
        assert.ok(read1 && read2);
        const newer1 = await cache.recordOutlookChange({ itemId: "item-m1", kind: "upsert", at: T0 });
        await cache.storeCrmPage(page([["c2", "upsert", 6]], 6), mapIds());
        const newer2 = await cache.getEntry("m2");
        assert.ok(newer2);
        await cache.applyBatch(
          appliedBatch({
            mappings: [
              mapping("m1", { crmId: "c1", crmVersion: 3 }),
              mapping("m2", { crmId: "c2", crmVersion: 4 }),
            ],
            handled: [
              { mapId: "m1", revision: read1.revision },
              { mapId: "m2", revision: read2.revision },
            ],
          }),
        );
        const kept1 = await cache.getEntry("m1");
        assert.equal(kept1?.outlookChange, "upsert");
        assert.equal(kept1?.crmChange, null);
        assert.equal(kept1?.crmVersion, null);
        assert.ok(kept1 && kept1.revision > newer1.revision);
        assert.deepEqual(await cache.getEntry("m2"), newer2);
      }),
  },
  {
    name: "applyBatch of many handled entries removes exactly those it handled, never the entries between them",
    run: (newCache) =>
      withCache(newCache, async (cache) => {
        await cache.storeCrmPage(page([["c-outside", "upsert", 1]], 1), mapIds("a"));
        const crmIds = Array.from({ length: 120 }, (_, i) => `c${i}`);
        await cache.storeCrmPage(
          page(
            crmIds.map((crmId, i) => [crmId, "upsert", i + 2] as const),
            200,
          ),
          mapIds("m"),
        );
        const due = (await cache.dueEntries(Number.MAX_SAFE_INTEGER, 1000)).filter((e) => e.mapId !== "a-1");
        assert.equal(due.length, 120);
        const inKeyOrder = [...due].sort((x, y) => (x.mapId < y.mapId ? -1 : 1));
        const handled = inKeyOrder.filter((_, i) => i % 3 === 0);
        const stale = handled[5];
        assert.ok(stale);
        const staleMapping = await cache.getMapping(stale.mapId);
        await cache.storeCrmPage(page([[staleMapping?.crmId ?? "", "upsert", 150]], 200), mapIds("x"));
        const newer = await cache.getEntry(stale.mapId);
        assert.ok(newer && newer.revision > stale.revision);
        const first = handled[0];
        assert.ok(first);
        await cache.applyBatch(
          appliedBatch({
            handled: [...handled, first, { mapId: "m-none", revision: 1 }].map((e) => ({
              mapId: e.mapId,
              revision: e.revision,
            })),
          }),
        );
        for (const entry of inKeyOrder) {
          const now = await cache.getEntry(entry.mapId);
          if (entry.mapId === stale.mapId) assert.deepEqual(now, newer);
          else if (handled.includes(entry)) assert.equal(now, undefined, `${entry.mapId} was handled`);
          else assert.deepEqual(now, entry, `${entry.mapId} was not handled`);
        }
        assert.equal(await cache.countEntries(), 1 + 80 + 1);
        const rest = (await cache.dueEntries(Number.MAX_SAFE_INTEGER, 1000)).filter((e) => e.mapId !== "a-1");
        await cache.applyBatch(
          appliedBatch({ handled: rest.map((e) => ({ mapId: e.mapId, revision: e.revision })) }),
        );
        assert.equal(await cache.countEntries(), 1);
        assert.equal((await cache.getEntry("a-1"))?.crmChange, "upsert");
      }),
  },
  {
    name: "a batch that changes, deletes and re-keys some of many mappings leaves the others as they were, by every key",
    run: (newCache) =>
      withCache(newCache, async (cache) => {
        await storeUpserts(cache, 100);
        const before = await cache.listMappings();
        assert.equal(before.length, 100);
        const gone = before.filter((_, i) => i % 11 === 3);
        const donor = gone[0];
        const far = before[97];
        assert.ok(donor && far && !gone.includes(far));
        const changed = before
          .filter((_, i) => i % 7 === 1 && i % 11 !== 3)
          .map((m, i) => ({
            ...m,
            itemId: `item-${m.mapId}`,
            linked: true,
            crmVersion: i + 1,
            snapshot: { outlook: { lastName: `L${i}` }, crm: { lastname: `L${i}` } },
          }));
        const receiver = { ...far, crmId: donor.crmId, itemId: `item-${donor.mapId}` };
        const added = [mapping("n-1", { crmId: far.crmId }), mapping("n-2")];
        await cache.applyBatch(
          appliedBatch({
            deleteMappings: gone.map((m) => m.mapId),
            mappings: [...changed, receiver, ...added],
            checkpoints: [{ key: "folder:inbox", serverVersion: null, watermark: 5, deltaLink: null }],
          }),
        );
        const expected = new Map(before.map((m) => [m.mapId, m]));
        for (const m of gone) expected.delete(m.mapId);
        for (const m of [...changed, receiver, ...added]) expected.set(m.mapId, m);
        const all = [...expected.values()].sort((a, b) => (a.mapId < b.mapId ? -1 : 1));
        assert.deepEqual(await cache.listMappings(), all);
        assert.deepEqual(await cache.listMappings("contact"), all);
        assert.equal(await cache.countMappings(), 100 - gone.length + added.length);
        for (const m of all) {
          assert.deepEqual(await cache.getMapping(m.mapId), m);
          if (m.crmId !== null) assert.deepEqual(await cache.findByCrmId(m.crmId), m, `crmId ${m.crmId}`);
          if (m.itemId !== null)
            assert.deepEqual(await cache.findByItemId(m.itemId), m, `itemId ${m.itemId}`);
        }
        for (const m of gone.slice(1)) {
          assert.equal(await cache.getMapping(m.mapId), undefined);
          assert.equal(await cache.findByCrmId(m.crmId ?? ""), undefined);
        }
        assert.equal((await cache.getCheckpoint("folder:inbox"))?.watermark, 5);
      }),
  },
  {
    name: "a write giving a mapping the crmId or itemId of one written long before rejects whole, naming it",
    run: (newCache) =>
      withCache(newCache, async (cache) => {
        await storeUpserts(cache, 80);
        await cache.putMappings(
          (await cache.listMappings()).map((m) => ({ ...m, itemId: `item-${m.crmId ?? ""}` })),
        );
        const early = await cache.findByCrmId("c2");
        const late = await cache.findByCrmId("c75");
        assert.ok(early && late);
        const before = await dump(cache, ["folder:inbox"]);
        await assert.rejects(
          cache.applyBatch(
            appliedBatch({
              mappings: [
                { ...early, linked: false },
                { ...late, crmId: "c2" },
              ],
              checkpoints: [{ key: "folder:inbox", serverVersion: null, watermark: 5, deltaLink: null }],
            }),
          ),
          isSyncError("invalidInput", late.mapId),
        );
        await assert.rejects(
          cache.putMappings([{ ...late, itemId: "item-new" }, mapping("n-1", { itemId: "item-c2" })]),
          isSyncError("invalidInput", "n-1"),
        );
        assert.deepEqual(await dump(cache, ["folder:inbox"]), before);
        assert.deepEqual(await cache.findByCrmId("c2"), early);
        assert.deepEqual(await cache.findByItemId("item-c75"), late);
      }),
  },
  {
    name: "an entry whose mapping was deleted and made again is handled against the mapping as it is now",
    run: (newCache) =>
      withCache(newCache, async (cache) => {
        await cache.putMappings([mapping("m1"), mapping("m0")]);
        const entry = await cache.recordOutlookChange({ itemId: "item-m1", kind: "upsert", at: T0 });
        await cache.applyBatch(appliedBatch({ deleteMappings: ["m1", "m0"] }));
        await cache.putMappings([mapping("m2"), mapping("m1", { itemId: "item-again" })]);
        await cache.applyBatch(
          appliedBatch({
            mappings: [mapping("m1", { itemId: "item-again", linked: false })],
            handled: [{ mapId: "m1", revision: entry.revision }],
          }),
        );
        assert.equal(await cache.getEntry("m1"), undefined);
        assert.deepEqual(
          await cache.findByItemId("item-again"),
          mapping("m1", { itemId: "item-again", linked: false }),
        );
        assert.deepEqual(await cache.getMapping("m2"), mapping("m2"));
        assert.equal(await cache.findByItemId("item-m1"), undefined);
        assert.equal(await cache.countMappings(), 2);
      }),
  },
  {
    name: "revisions never repeat: a stale handled revision cannot remove a later entry for the same mapping",
    run: (newCache) =>
      withCache(newCache, async (cache) => {
        await cache.putMappings([mapping("m1")]);
        const first = await cache.recordOutlookChange({ itemId: "item-m1", kind: "upsert", at: T0 });
        await cache.applyBatch(appliedBatch({ handled: [{ mapId: "m1", revision: first.revision }] }));
        assert.equal(await cache.getEntry("m1"), undefined);
        const second = await cache.recordOutlookChange({ itemId: "item-m1", kind: "upsert", at: T0 + 1 });
        assert.ok(second.revision > first.revision);
        await cache.applyBatch(appliedBatch({ handled: [{ mapId: "m1", revision: first.revision }] }));
        assert.deepEqual(await cache.getEntry("m1"), second);
      }),
  },
  {
    name: "applyBatch failing halfway writes nothing of the batch",
    run: (newCache) =>
      withCache(newCache, async (cache) => {
        await cache.putMappings([mapping("m1", { crmId: "c1" }), mapping("m2", { crmId: "c2" })]);
        await cache.storeCrmPage(page([["c1", "upsert", 3]], 3), mapIds());
        await cache.putPendingCreate({
          idempotencyKey: "k1",
          mapId: "m2",
          side: "crm",
          type: "contact",
          createdAt: T0,
        });
        const entry = await cache.getEntry("m1");
        assert.ok(entry);
        const before = await dump(cache);
        await assert.rejects(
          cache.applyBatch(
            appliedBatch({
              mappings: [
                mapping("m1", { crmId: "c1", crmVersion: 3 }),
                mapping("m3", { crmId: "c3" }),
                mapping("m4", { itemId: "item-m2" }),
              ],
              deleteMappings: ["m2x"],
              handled: [{ mapId: "m1", revision: entry.revision }],
              checkpoints: [{ key: "crm", serverVersion: 99, watermark: null, deltaLink: null }],
              pendingCreatesDone: ["k1"],
              conflicts: [conflict("m1", "a")],
            }),
          ),
          isSyncError("invalidInput", "m4"),
        );
        assert.deepEqual(await dump(cache), before);
      }),
  },
  {
    name: "a write that exceeds the storage quota fails whole with quotaExceeded",
    run: (newCache) =>
      withCache(
        newCache,
        async (cache) => {
          await cache.putMappings([mapping("m1", { crmId: "c1" })]);
          await cache.storeCrmPage(page([["c1", "upsert", 3]], 3), mapIds());
          const entry = await cache.getEntry("m1");
          assert.ok(entry);
          const before = await dump(cache);
          const big = Array.from({ length: 60 }, (_, i) =>
            mapping(`b${i}`, {
              crmId: `cb${i}`,
              snapshot: { outlook: { body: "x".repeat(500) }, crm: null },
            }),
          );
          await assert.rejects(
            cache.applyBatch(
              appliedBatch({
                mappings: big,
                handled: [{ mapId: "m1", revision: entry.revision }],
                checkpoints: [{ key: "crm", serverVersion: 99, watermark: null, deltaLink: null }],
              }),
            ),
            isSyncError("quotaExceeded"),
          );
          assert.deepEqual(await dump(cache), before);
        },
        { quotaBytes: 20_000 },
      ),
  },
  {
    name: "markFailed counts attempts and schedules the retry; stale revisions and unknown ids change nothing",
    run: (newCache) =>
      withCache(newCache, async (cache) => {
        await cache.putMappings([mapping("m1"), mapping("m2")]);
        const entry = await cache.recordOutlookChange({ itemId: "item-m1", kind: "upsert", at: T0 });
        await cache.recordOutlookChange({ itemId: "item-m2", kind: "upsert", at: T0 });
        let current = entry;
        for (let attempt = 1; attempt <= 5; attempt++) {
          const failed = await cache.markFailed(
            "m1",
            current.revision,
            { code: "serverError", message: "500" },
            T0 + attempt,
          );
          assert.ok(failed);
          assert.equal(failed.attempts, attempt);
          assert.deepEqual(failed.lastError, { code: "serverError", message: "500" });
          assert.equal(failed.nextAttemptAt, T0 + attempt);
          assert.equal(failed.outlookChange, "upsert");
          current = failed;
        }
        const stale = await cache.markFailed("m1", entry.revision, { code: "x", message: "y" }, T0 + 99);
        assert.deepEqual(stale, current);
        assert.equal(await cache.markFailed("nope", 1, { code: "x", message: "y" }, T0), undefined);
        assert.deepEqual(
          (await cache.failedEntries(5)).map((e) => e.mapId),
          ["m1"],
        );
        assert.deepEqual(
          (await cache.failedEntries(0)).map((e) => e.mapId),
          ["m2", "m1"],
        );
        assert.equal(await cache.countEntries(), 2);
      }),
  },
  {
    name: "markVerified moves verifiedTime of the named mappings only and ignores unknown ids",
    run: (newCache) =>
      withCache(newCache, async (cache) => {
        await cache.putMappings([
          mapping("m1", { verifiedTime: T0 + 30 }),
          mapping("m2", { verifiedTime: T0 + 10 }),
          mapping("m6", { verifiedTime: 0 }),
        ]);
        await cache.markVerified(["m6", "m2", "unknown"], T0 + 100);
        assert.deepEqual(
          (await cache.listMappings()).map((m) => [m.mapId, m.verifiedTime]),
          [
            ["m1", T0 + 30],
            ["m2", T0 + 100],
            ["m6", T0 + 100],
          ],
        );
        assert.equal(await cache.getMapping("unknown"), undefined);
      }),
  },
  {
    name: "pending creates are kept by idempotency key",
    run: (newCache) =>
      withCache(newCache, async (cache) => {
        const b = {
          idempotencyKey: "k2",
          mapId: "m2",
          side: "outlook" as const,
          type: "task" as const,
          createdAt: T0,
        };
        const a = { ...b, idempotencyKey: "k1", mapId: "m1" };
        await cache.putPendingCreate(b);
        await cache.putPendingCreate(a);
        assert.deepEqual(await cache.getPendingCreate("k2"), b);
        assert.deepEqual(await cache.listPendingCreates(), [a, b]);
        await cache.putPendingCreate({ ...a, createdAt: T0 + 1 });
        assert.equal((await cache.getPendingCreate("k1"))?.createdAt, T0 + 1);
        await assert.rejects(
          cache.putPendingCreate({ ...a, side: "both" as "crm" }),
          isSyncError("invalidInput", "create.side"),
        );
      }),
  },
  {
    name: "conflicts are listed newest first and only the newest are kept",
    run: (newCache) =>
      withCache(
        newCache,
        async (cache) => {
          await cache.appendConflicts([conflict("m1", "a"), conflict("m1", "b")]);
          await cache.applyBatch(appliedBatch({ conflicts: [conflict("m1", "c")] }));
          assert.deepEqual(
            (await cache.listConflicts(10)).map((c) => c.field),
            ["c", "b", "a"],
          );
          await cache.appendConflicts([conflict("m1", "d"), conflict("m1", "e")]);
          assert.deepEqual(
            (await cache.listConflicts(10)).map((c) => c.field),
            ["e", "d", "c"],
          );
          await cache.appendConflicts(["f", "g", "h", "i"].map((field) => conflict("m2", field)));
          assert.deepEqual(
            (await cache.listConflicts(2)).map((c) => c.field),
            ["i", "h"],
          );
          assert.equal((await cache.listConflicts(10)).length, 3);
        },
        { limits: { logSegmentBytes: 1024, logSegmentsKept: 2, conflictsKept: 3 } },
      ),
  },
  {
    name: "settings and status round-trip, and malformed ones are rejected",
    run: (newCache) =>
      withCache(newCache, async (cache) => {
        await cache.putSettings(DEFAULT_SETTINGS);
        assert.deepEqual(await cache.getSettings(), DEFAULT_SETTINGS);
        const status = {
          lastSyncAt: T0,
          nextSyncAt: T0 + 900_000,
          pending: 2,
          progress: { done: 1, total: 4, phase: "pull" },
          errors: [{ mapId: "m1", code: "network", message: "down" }],
          conflicts: 1,
        };
        await cache.putStatus(status);
        assert.deepEqual(await cache.getStatus(), status);
        await assert.rejects(
          cache.putSettings({ ...DEFAULT_SETTINGS, entities: ["email" as "task"] }),
          isSyncError("invalidInput", "settings.entities.0"),
        );
        assert.deepEqual(await cache.getSettings(), DEFAULT_SETTINGS);
      }),
  },
  {
    name: "the log rotates into numbered segments at the size limit and keeps the newest",
    run: (newCache) =>
      withCache(
        newCache,
        async (cache) => {
          for (const line of ["line 1", "line 2", "line 3", "line 4", "line 5"]) await cache.appendLog(line);
          assert.deepEqual(await cache.listLogSegments(), [
            { name: "log.0002.txt", bytes: 14 },
            { name: "log.0003.txt", bytes: 7 },
          ]);
          assert.equal(await cache.exportLog(), "line 3\nline 4\nline 5\n");
          await cache.appendLog("a line longer than one whole segment");
          await cache.appendLog("é");
          assert.deepEqual(await cache.listLogSegments(), [
            { name: "log.0004.txt", bytes: 37 },
            { name: "log.0005.txt", bytes: 3 },
          ]);
          assert.equal(await cache.exportLog(), "a line longer than one whole segment\né\n");
        },
        { limits: { logSegmentBytes: 15, logSegmentsKept: 2, conflictsKept: 10 } },
      ),
  },
  {
    name: "clear drops the sync state but keeps the log, and revisions keep increasing",
    run: (newCache) =>
      withCache(newCache, async (cache) => {
        await cache.putMappings([mapping("m1")]);
        const entry = await cache.recordOutlookChange({ itemId: "item-m1", kind: "upsert", at: T0 });
        await cache.storeCrmPage(page([["c1", "upsert", 1]], 1), mapIds());
        await cache.putSettings(DEFAULT_SETTINGS);
        await cache.appendConflicts([conflict("m1", "a")]);
        await cache.appendLog("kept");
        await cache.clear();
        assert.deepEqual(await dump(cache), {
          mappings: [],
          entries: [],
          checkpoints: [undefined, undefined],
          pendingCreates: [],
          conflicts: [],
          settings: undefined,
          status: undefined,
          log: "kept\n",
        });
        await cache.putMappings([mapping("m1")]);
        const next = await cache.recordOutlookChange({ itemId: "item-m1", kind: "upsert", at: T0 });
        assert.ok(next.revision > entry.revision);
      }),
  },
  ...PACKAGE_STATE_CASES,
  ...BULK_CASES,
];
