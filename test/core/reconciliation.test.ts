import assert from "node:assert/strict";
import fc from "fast-check";
import { SyncError } from "../../src/core/errors";
import {
  MANUAL_SYNC_SLICE_INTERVAL_MINUTES,
  MINUTES_PER_DAY,
  reconciliationSliceSize,
  selectForReconciliation,
} from "../../src/core/reconciliation";

describe("reconciliation: slice size (SPEC §3)", () => {
  const rows: readonly (readonly [number, number, number])[] = [
    [0, 15, 0],
    [1, 15, 1],
    [96, 15, 1],
    [97, 15, 2],
    [10_000, 15, 105],
    [10, 60, 1],
    [100, 1440, 100],
    [100, 3000, 100],
    [960, 0, 10],
  ];
  for (const [count, interval, expected] of rows) {
    it(`${count} mappings every ${interval} min → K = ${expected}`, () => {
      assert.equal(reconciliationSliceSize(count, interval), expected);
    });
  }

  it("verifies every mapping at least once a day at the interval", () => {
    fc.assert(
      fc.property(fc.nat(100_000), fc.integer({ min: 0, max: 3000 }), (count, interval) => {
        const k = reconciliationSliceSize(count, interval);
        const effective = interval === 0 ? MANUAL_SYNC_SLICE_INTERVAL_MINUTES : interval;
        const syncsPerDay = Math.max(1, Math.floor(MINUTES_PER_DAY / effective));
        assert.ok(k * syncsPerDay >= count);
        assert.ok(k <= count);
      }),
    );
  });

  const invalid: readonly (readonly [number, number, RegExp])[] = [
    [-1, 15, /mappedCount/],
    [1.5, 15, /mappedCount/],
    [10, -5, /intervalMinutes/],
    [10, Number.POSITIVE_INFINITY, /intervalMinutes/],
  ];
  for (const [count, interval, pattern] of invalid) {
    it(`rejects (${count}, ${interval}), naming the parameter`, () => {
      assert.throws(
        () => reconciliationSliceSize(count, interval),
        (error: unknown) => error instanceof SyncError && pattern.test(error.message),
      );
    });
  }
});

describe("reconciliation: selection", () => {
  const mappings = [
    { id: "a", verifiedTime: 30 },
    { id: "b", verifiedTime: 10 },
    { id: "c", verifiedTime: 20 },
    { id: "d", verifiedTime: 10 },
  ];

  it("takes the k oldest verifiedTime first, equal times in input order", () => {
    assert.deepEqual(
      selectForReconciliation(mappings, 3).map((m) => m.id),
      ["b", "d", "c"],
    );
  });

  it("returns everything when k exceeds the count, and nothing for k = 0", () => {
    assert.equal(selectForReconciliation(mappings, 10).length, 4);
    assert.deepEqual(selectForReconciliation(mappings, 0), []);
  });

  it("does not reorder its input", () => {
    selectForReconciliation(mappings, 2);
    assert.deepEqual(
      mappings.map((m) => m.id),
      ["a", "b", "c", "d"],
    );
  });

  it("rejects a negative k", () => {
    assert.throws(() => selectForReconciliation(mappings, -1), SyncError);
  });
});
