import assert from "node:assert/strict";
import fc from "fast-check";
import { SyncError } from "../../src/core/errors";
import {
  isPermanentFailure,
  isUserVisibleFailure,
  MAX_ATTEMPTS,
  nextRetryDelay,
  RETRY_BASE_DELAY_MS,
  RETRY_MAX_DELAY_MS,
} from "../../src/core/retry-policy";

describe("retry policy (SPEC §5)", () => {
  const rows: readonly (readonly [number, number, number])[] = [
    [1, 1, 30_000],
    [1, 0, 15_000],
    [2, 1, 60_000],
    [3, 0.5, 90_000],
    [7, 1, 1_800_000],
    [50, 1, 1_800_000],
  ];
  for (const [attempts, jitter, expected] of rows) {
    it(`after ${attempts} failures with jitter ${jitter}: ${expected} ms`, () => {
      assert.equal(nextRetryDelay(attempts, jitter), expected);
    });
  }

  it("never waits longer than the cap and never shrinks as failures grow", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (attempts, jitter) => {
          const delay = nextRetryDelay(attempts, jitter);
          assert.ok(delay >= RETRY_BASE_DELAY_MS / 2 && delay <= RETRY_MAX_DELAY_MS);
          assert.ok(nextRetryDelay(attempts + 1, jitter) >= delay);
        },
      ),
    );
  });

  it("rejects attempts below 1 and jitter outside [0, 1]", () => {
    assert.throws(
      () => nextRetryDelay(0, 0.5),
      (error: unknown) => error instanceof SyncError && /attempts/.test(error.message),
    );
    assert.throws(
      () => nextRetryDelay(1, 1.5),
      (error: unknown) => error instanceof SyncError && /jitter01/.test(error.message),
    );
    assert.throws(() => nextRetryDelay(1, Number.NaN), SyncError);
  });

  it(`an entry becomes a user-visible error at ${MAX_ATTEMPTS} failed attempts`, () => {
    assert.equal(MAX_ATTEMPTS, 5);
    assert.equal(isUserVisibleFailure(4), false);
    assert.equal(isUserVisibleFailure(5), true);
    assert.equal(isUserVisibleFailure(6), true);
  });

  it("treats only a refused write (forbidden) as a failure no retry can cure", () => {
    assert.equal(isPermanentFailure("forbidden"), true);
    for (const code of ["network", "serverError", "conflict", "rateLimited", "notFound", "invalidInput"]) {
      assert.equal(isPermanentFailure(code), false, code);
    }
  });
});
