/**
 * LocalCache contract cases for the customization package state (SPEC §11): stored whole, replaced only together
 * with the batch that applies a package, validated on the way in, and dropped by clear(). Part of CONTRACT_CASES.
 */
import assert from "node:assert/strict";
import { DEFAULT_PACKAGE_METADATA, type CustomizationPackage } from "../../src/core/customization-package";
import { SyncError } from "../../src/core/errors";
import {
  appliedBatch,
  EMPTY_PACKAGE_STATE,
  type LocalCache,
  type PackageState,
} from "../../src/ports/local-cache";
import { ManualClock } from "../support/manual-clock";
import type { ContractCase, NewCache } from "./contract-cases";

const T0 = 1_700_000_000_000;

const PACKAGE: CustomizationPackage = {
  role: "salesperson",
  version: "2.0.0.0",
  preferredProduct: "1.0.0.0",
  products: "1.0.0.0-1.9.9.9",
  schemas: "1.0.0.0",
  ...DEFAULT_PACKAGE_METADATA,
  entityTypes: ["contact", "email"],
};

const APPLIED: PackageState = {
  ...EMPTY_PACKAGE_STATE,
  applied: { etag: '"p7"', package: PACKAGE },
  notSaved: [
    {
      mapId: "m1",
      itemId: "item-m1",
      crmId: null,
      label: "Call Fabrikam",
      type: "task",
      field: null,
      reason: "typeNotSynced",
      message: "CRM package 2.0.0.0 does not sync tasks.",
    },
  ],
  build: ["contact"],
  unstamp: [{ itemId: "item-m1", type: "task" }],
};

async function withCache(newCache: NewCache, body: (cache: LocalCache) => Promise<void>): Promise<void> {
  const cache = await newCache({ clock: new ManualClock(T0) });
  try {
    await body(cache);
  } finally {
    cache.close();
  }
}

const linked = (mapId: string) => ({
  mapId,
  crmId: `c-${mapId}`,
  itemId: `item-${mapId}`,
  type: "task" as const,
  deletedLocally: false,
  linked: true,
  visited: false,
  verifiedTime: 0,
  crmVersion: 1,
  trackedByHand: false,
  snapshot: { outlook: null, crm: null },
});

export const PACKAGE_STATE_CASES: readonly ContractCase[] = [
  {
    name: "package state: absent at first, then stored whole by the batch that applies a package",
    run: (newCache) =>
      withCache(newCache, async (cache) => {
        assert.equal(await cache.getPackageState(), undefined);
        await cache.putMappings([linked("m1"), linked("m2")]);
        const entry = await cache.recordOutlookChange({ itemId: "item-m1", kind: "upsert", at: T0 });
        await cache.applyBatch(
          appliedBatch({
            deleteMappings: ["m1"],
            handled: [{ mapId: "m1", revision: entry.revision }],
            packageState: APPLIED,
          }),
        );
        assert.deepEqual(await cache.getPackageState(), APPLIED);
        assert.equal(await cache.getMapping("m1"), undefined);
        assert.equal(await cache.getEntry("m1"), undefined);
        await cache.applyBatch(appliedBatch({ mappings: [linked("m3")] }));
        assert.deepEqual(await cache.getPackageState(), APPLIED, "a batch without a package state keeps it");
      }),
  },
  {
    name: "package state: a batch that fails writes neither the package state nor its teardown",
    run: (newCache) =>
      withCache(newCache, async (cache) => {
        await cache.putMappings([linked("m1"), linked("m2")]);
        await assert.rejects(
          cache.applyBatch(
            appliedBatch({
              deleteMappings: ["m1"],
              mappings: [{ ...linked("m3"), crmId: "c-m2" }],
              packageState: APPLIED,
            }),
          ),
          (error: unknown) => error instanceof SyncError && error.code === "invalidInput",
        );
        assert.equal(await cache.getPackageState(), undefined);
        assert.deepEqual(
          (await cache.listMappings()).map((m) => m.mapId),
          ["m1", "m2"],
        );
      }),
  },
  {
    name: "package state: invalid input is refused naming the field, and nothing is written",
    run: (newCache) =>
      withCache(newCache, async (cache) => {
        const broken = { ...APPLIED, build: ["calendar"] } as unknown as PackageState;
        await assert.rejects(
          cache.applyBatch(appliedBatch({ packageState: broken })),
          (error: unknown) =>
            error instanceof SyncError &&
            error.code === "invalidInput" &&
            error.message.includes("packageState.build"),
        );
        assert.equal(await cache.getPackageState(), undefined);
      }),
  },
  {
    name: "package state: clear() drops it with the rest of the sync state",
    run: (newCache) =>
      withCache(newCache, async (cache) => {
        await cache.applyBatch(appliedBatch({ packageState: APPLIED }));
        await cache.clear();
        assert.equal(await cache.getPackageState(), undefined);
      }),
  },
];
