/**
 * LocalCache contract cases for the bulk forms `getMappings` and `putPendingCreates`: the same answers and the
 * same validation as the single forms, one transaction, bounded input. Part of CONTRACT_CASES.
 */
import assert from "node:assert/strict";
import { SyncError } from "../../src/core/errors";
import {
  appliedBatch,
  BULK_LIMIT,
  type LocalCache,
  type Mapping,
  type PendingCreate,
} from "../../src/ports/local-cache";
import { withCache, type ContractCase } from "./contract-cases";

const T0 = 1_700_000_000_000;

function isInvalidInput(...mentions: readonly string[]): (error: unknown) => boolean {
  return (error) =>
    error instanceof SyncError &&
    error.code === "invalidInput" &&
    mentions.every((mention) => error.message.includes(mention));
}

/** Mapping `m00`…`m39`, added in that order (in IndexedDB: three packed rows). */
function numbered(n: number): Mapping {
  const mapId = `m${String(n).padStart(2, "0")}`;
  return {
    mapId,
    crmId: n % 2 === 0 ? `crm-${mapId}` : null,
    itemId: `item-${mapId}`,
    type: n % 3 === 0 ? "task" : "contact",
    deletedLocally: false,
    linked: n % 2 === 0,
    visited: false,
    verifiedTime: T0 + n,
    crmVersion: n % 2 === 0 ? n : null,
    trackedByHand: false,
    snapshot: { outlook: { subject: `s${n}` }, crm: null },
  };
}

function pending(key: string, fields: Partial<PendingCreate> = {}): PendingCreate {
  return { idempotencyKey: key, mapId: `m-${key}`, side: "outlook", type: "task", createdAt: T0, ...fields };
}

/** A map's entries ordered by key, for deepEqual (the browser's assert compares own keys, which a Map lacks). */
function sorted(map: ReadonlyMap<string, Mapping>): [string, Mapping][] {
  return [...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** What `getMappings(ids)` must answer: each known id once, as `getMapping` answers it, ordered by id. */
async function oneByOne(cache: LocalCache, ids: readonly string[]): Promise<[string, Mapping][]> {
  const expected = new Map<string, Mapping>();
  for (const mapId of ids) {
    const mapping = await cache.getMapping(mapId);
    if (mapping) expected.set(mapId, mapping);
  }
  return sorted(expected);
}

export const BULK_CASES: readonly ContractCase[] = [
  {
    name: "getMappings answers each known id once, as getMapping does, and leaves unknown ids out",
    run: (newCache) =>
      withCache(newCache, async (cache) => {
        await cache.putMappings(Array.from({ length: 40 }, (_, n) => numbered(n)));
        await cache.applyBatch(appliedBatch({ deleteMappings: ["m04", "m20"] }));
        const few = ["m39", "m00", "unknown", "m17", "m00", "m04"];
        const alternate = Array.from({ length: 20 }, (_, n) => numbered(n * 2).mapId);
        const spread = ["m01", "m03", "m07", "m11", "m13", "m19", "m20", "m23", "m29", "m31"].concat([
          "m33",
          "m35",
          "m36",
          "m37",
          "m38",
          "m39",
          "m39a",
        ]);
        for (const ids of [few, alternate, spread]) {
          const got = await cache.getMappings(ids);
          const expected = await oneByOne(cache, ids);
          assert.deepEqual(sorted(got), expected, ids.join(","));
          assert.ok(!got.has("m04") && !got.has("m20") && !got.has("unknown"));
        }
        assert.deepEqual(
          sorted(await cache.getMappings(few)),
          [numbered(0), numbered(17), numbered(39)].map((m) => [m.mapId, m]),
        );
        assert.equal((await cache.getMappings(alternate)).size, 18);
        assert.equal((await cache.getMappings([])).size, 0);
      }),
  },
  {
    name: "getMappings hands out copies and rejects more than BULK_LIMIT ids or an empty id, naming it",
    run: (newCache) =>
      withCache(newCache, async (cache) => {
        await cache.putMappings([numbered(1)]);
        const got = await cache.getMappings(["m01"]);
        (got.get("m01")?.snapshot.outlook as Record<string, unknown>)["subject"] = "changed";
        assert.deepEqual(await cache.getMapping("m01"), numbered(1));
        const many = Array.from({ length: BULK_LIMIT + 1 }, (_, n) => `x${n}`);
        await assert.rejects(cache.getMappings(many), isInvalidInput("mapIds", String(BULK_LIMIT + 1)));
        await assert.rejects(cache.getMappings(["m01", ""]), isInvalidInput("mapIds.1"));
        assert.equal((await cache.getMappings(many.slice(0, BULK_LIMIT))).size, 0);
      }),
  },
  {
    name: "putPendingCreates writes the creates in order, so a key given twice keeps the last",
    run: (newCache) =>
      withCache(newCache, async (cache) => {
        await cache.putPendingCreate(pending("k2"));
        await cache.putPendingCreates([
          pending("k3"),
          pending("k1", { side: "crm" }),
          pending("k3", { createdAt: T0 + 5 }),
          pending("k2", { mapId: "other" }),
        ]);
        assert.deepEqual(await cache.listPendingCreates(), [
          pending("k1", { side: "crm" }),
          pending("k2", { mapId: "other" }),
          pending("k3", { createdAt: T0 + 5 }),
        ]);
        await cache.putPendingCreates([]);
        assert.equal((await cache.listPendingCreates()).length, 3);
      }),
  },
  {
    name: "putPendingCreates writes none when one create is invalid or there are more than BULK_LIMIT",
    run: (newCache) =>
      withCache(newCache, async (cache) => {
        await cache.putPendingCreate(pending("k1"));
        const before = await cache.listPendingCreates();
        await assert.rejects(
          cache.putPendingCreates([
            pending("k1", { createdAt: T0 + 9 }),
            pending("k2"),
            pending("k3", { side: "both" as "crm" }),
          ]),
          isInvalidInput("creates.2.side"),
        );
        const many = Array.from({ length: BULK_LIMIT + 1 }, (_, n) => pending(`n${n}`));
        await assert.rejects(
          cache.putPendingCreates(many),
          isInvalidInput("creates", String(BULK_LIMIT + 1)),
        );
        assert.deepEqual(await cache.listPendingCreates(), before);
        await cache.putPendingCreates(many.slice(0, BULK_LIMIT));
        assert.equal((await cache.listPendingCreates()).length, BULK_LIMIT + 1);
      }),
  },
];
