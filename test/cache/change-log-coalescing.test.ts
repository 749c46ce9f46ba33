import assert from "node:assert/strict";
import fc from "fast-check";
import {
  afterStaleHandling,
  coalesceCrmPart,
  coalesceOutlookKind,
  withCrmChange,
  withOutlookChange,
} from "../../src/adapters/cache-rules/change-log-coalescing";
import type { CrmChangeKind, OutlookChangeKind } from "../../src/ports/local-cache";

const OUTLOOK_KINDS: readonly OutlookChangeKind[] = [
  "upsert",
  "delete",
  "track",
  "untrack",
  "untrackAndDelete",
];
const CRM_KINDS: readonly CrmChangeKind[] = ["upsert", "delete", "leftFilter"];
const outlookKind = fc.constantFrom(...OUTLOOK_KINDS);
const crmPart = fc.record({ kind: fc.constantFrom(...CRM_KINDS), version: fc.integer({ min: 0, max: 50 }) });

describe("change-log coalescing rules", () => {
  it("the Outlook table: rows are the kind already there, columns the notice that arrives", () => {
    const table: Record<OutlookChangeKind, Record<OutlookChangeKind, OutlookChangeKind>> = {
      upsert: {
        upsert: "upsert",
        delete: "delete",
        track: "track",
        untrack: "untrack",
        untrackAndDelete: "untrackAndDelete",
      },
      delete: {
        upsert: "delete",
        delete: "delete",
        track: "delete",
        untrack: "untrack",
        untrackAndDelete: "untrackAndDelete",
      },
      track: {
        upsert: "track",
        delete: "delete",
        track: "track",
        untrack: "untrack",
        untrackAndDelete: "untrackAndDelete",
      },
      untrack: {
        upsert: "untrack",
        delete: "untrack",
        track: "track",
        untrack: "untrack",
        untrackAndDelete: "untrackAndDelete",
      },
      untrackAndDelete: {
        upsert: "untrackAndDelete",
        delete: "untrackAndDelete",
        track: "track",
        untrack: "untrack",
        untrackAndDelete: "untrackAndDelete",
      },
    };
    for (const previous of OUTLOOK_KINDS) {
      for (const next of OUTLOOK_KINDS) {
        assert.equal(coalesceOutlookKind(previous, next), table[previous][next], `${previous} then ${next}`);
      }
      assert.equal(coalesceOutlookKind(null, previous), previous);
    }
  });

  it("an Outlook notice keeps the latest timestamp and resets the retry state", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(outlookKind, fc.nat(1e9)), { minLength: 1, maxLength: 10 }),
        (notices) => {
          let entry = withOutlookChange(undefined, "m1", { kind: "upsert", at: 0 }, 1);
          entry = { ...entry, attempts: 3, lastError: { code: "x", message: "y" }, nextAttemptAt: 99 };
          for (const [index, [kind, at]] of notices.entries()) {
            entry = withOutlookChange(entry, "m1", { kind, at }, index + 2);
          }
          assert.equal(entry.outlookTimestamp, Math.max(0, ...notices.map(([, at]) => at)));
          assert.equal(entry.revision, notices.length + 1);
          assert.deepEqual([entry.attempts, entry.lastError, entry.nextAttemptAt], [0, null, 0]);
        },
      ),
    );
  });

  it("without deletes the CRM part has the highest version, leftFilter winning a tie", () => {
    const part = fc.record({
      kind: fc.constantFrom<CrmChangeKind>("upsert", "leftFilter"),
      version: fc.nat(50),
    });
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 12 }), (parts) => {
        let current: { kind: CrmChangeKind; version: number } | null = null;
        for (const next of parts) current = coalesceCrmPart(current, next) ?? current;
        const top = Math.max(...parts.map((p) => p.version));
        const leftAtTop = parts.some((p) => p.version === top && p.kind === "leftFilter");
        assert.deepEqual({ ...current }, { kind: leftAtTop ? "leftFilter" : "upsert", version: top });
      }),
    );
  });

  it("a CRM delete is final: nothing that arrives later replaces it", () => {
    fc.assert(
      fc.property(fc.nat(50), fc.array(crmPart, { maxLength: 12 }), (version, later) => {
        const deleted = { kind: "delete" as const, version };
        for (const next of later) assert.equal(coalesceCrmPart(deleted, next), null);
      }),
    );
  });

  it("a CRM change already contained writes nothing", () => {
    fc.assert(
      fc.property(crmPart, (part) => {
        const once = withCrmChange(undefined, "m1", { ...part, at: 5 }, 1);
        assert.ok(once);
        assert.equal(withCrmChange(once, "m1", { ...part, at: 6 }, 2), undefined);
        assert.equal(coalesceCrmPart(part, { kind: "upsert", version: part.version }), null);
      }),
    );
  });

  it("a stale handled entry loses only the CRM part the mapping has applied", () => {
    const entry = withOutlookChange(
      withCrmChange(undefined, "m1", { kind: "upsert", version: 4, at: 1 }, 1),
      "m1",
      {
        kind: "upsert",
        at: 2,
      },
      2,
    );
    assert.equal(afterStaleHandling(entry, 3, 3), entry);
    assert.equal(afterStaleHandling(entry, null, 3), entry);
    const kept = afterStaleHandling(entry, 4, 3);
    assert.deepEqual(kept, { ...entry, revision: 3, crmChange: null, crmVersion: null, crmTimestamp: null });
    const crmOnly = withCrmChange(undefined, "m2", { kind: "delete", version: 4, at: 1 }, 1);
    assert.ok(crmOnly);
    assert.equal(afterStaleHandling(crmOnly, 9, 2), null);
  });
});
