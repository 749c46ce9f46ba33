import assert from "node:assert/strict";
import fc from "fast-check";
import { SyncError } from "../../src/core/errors";
import {
  MANUAL_SYNC_SLICE_INTERVAL_MINUTES,
  MINUTES_PER_DAY,
  listingsDue,
  unlistedMappings,
} from "../../src/core/reconciliation";

const MINUTE = 60_000;

describe("reconciliation: which folders are listed (SPEC §3)", () => {
  const now = 10 * MINUTES_PER_DAY * MINUTE;
  const rows: readonly (readonly [string, number | null, number, boolean])[] = [
    ["never listed", null, 15, true],
    ["listed just now", now, 15, false],
    ["listed 23.5 h ago at 15 min", now - (MINUTES_PER_DAY - 30) * MINUTE, 15, true],
    ["listed 23.5 h ago less a minute", now - (MINUTES_PER_DAY - 31) * MINUTE, 15, false],
    ["listed 22 h ago at 60 min", now - (MINUTES_PER_DAY - 120) * MINUTE, 60, true],
    ["manual only uses 15 min", now - (MINUTES_PER_DAY - 30) * MINUTE, 0, true],
    ["manual only, 23 h 31 min ago", now - (MINUTES_PER_DAY - 29) * MINUTE, 0, true],
    ["manual only, 23 h ago", now - (MINUTES_PER_DAY - 60) * MINUTE, 0, false],
    ["an interval over half a day lists every time", now, 800, true],
  ];
  for (const [name, listedAt, interval, due] of rows) {
    it(`${name} → ${due ? "due" : "not due"}`, () => {
      assert.deepEqual(listingsDue([{ folderId: "f", listedAt }], now, interval), due ? ["f"] : []);
    });
  }

  it("keeps the given order", () => {
    assert.deepEqual(
      listingsDue(
        [
          { folderId: "b", listedAt: null },
          { folderId: "a", listedAt: now },
          { folderId: "c", listedAt: 0 },
        ],
        now,
        15,
      ),
      ["b", "c"],
    );
  });

  it("lists a folder again before a day has passed, when syncs run at the interval", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 720 }), fc.nat(5 * MINUTES_PER_DAY), (interval, offset) => {
        const step = (interval === 0 ? MANUAL_SYNC_SLICE_INTERVAL_MINUTES : interval) * MINUTE;
        let listedAt: number | null = null;
        let longest = 0;
        for (let at = offset * MINUTE; at < offset * MINUTE + 3 * MINUTES_PER_DAY * MINUTE; at += step) {
          if (listingsDue([{ folderId: "f", listedAt }], at, interval).length === 1) {
            if (listedAt !== null) longest = Math.max(longest, at - listedAt);
            listedAt = at;
          }
        }
        assert.ok(longest <= MINUTES_PER_DAY * MINUTE, `${longest / MINUTE} min between listings`);
      }),
    );
  });

  const invalid: readonly (readonly [number, number | null, number, RegExp])[] = [
    [Number.NaN, null, 15, /now/],
    [now, Number.POSITIVE_INFINITY, 15, /listedAt of folder f/],
    [now, null, -5, /intervalMinutes/],
    [now, null, Number.POSITIVE_INFINITY, /intervalMinutes/],
  ];
  for (const [at, listedAt, interval, pattern] of invalid) {
    it(`rejects (now ${at}, listedAt ${String(listedAt)}, interval ${interval}), naming the parameter`, () => {
      assert.throws(
        () => listingsDue([{ folderId: "f", listedAt }], at, interval),
        (error: unknown) => error instanceof SyncError && pattern.test(error.message),
      );
    });
  }
});

describe("reconciliation: the candidates for a delete", () => {
  const mappings = [
    { id: "listed", itemId: "i1", verifiedTime: 10 },
    { id: "gone", itemId: "i2", verifiedTime: 10 },
    { id: "no item", itemId: null, verifiedTime: 10 },
    { id: "made during the listing", itemId: "i4", verifiedTime: 100 },
    { id: "also gone", itemId: "i5", verifiedTime: 99 },
  ];

  it("are the mappings known before the listing whose item it did not show, in input order", () => {
    assert.deepEqual(
      unlistedMappings(mappings, new Set(["i1"]), 100).map((m) => m.id),
      ["gone", "also gone"],
    );
  });

  it("are none when the listing showed every item", () => {
    assert.deepEqual(unlistedMappings(mappings, new Set(["i1", "i2", "i4", "i5"]), 1000), []);
  });

  it("rejects a start that is not a time", () => {
    assert.throws(() => unlistedMappings(mappings, new Set(), Number.NaN), SyncError);
  });
});
