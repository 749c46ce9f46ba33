/**
 * Skipping with a reason that the closing tally prints (`tests: … skipped (4: HTTP faults …)`, see
 * test/support/reporter.cjs). Mocha's own `this.skip()` records no reason, so the tally could not say why.
 */

/** The property of a mocha test or suite that holds why it was skipped (read by test/support/reporter.cjs). */
export const SKIP_REASON = "skipReason";

/** In a test or a `beforeEach` hook: skips the current test because of `reason`. Never returns. */
export function skipTestBecause(context: Mocha.Context, reason: string): never {
  const test = context.currentTest ?? context.test;
  if (test !== undefined) Object.assign(test, { [SKIP_REASON]: reason });
  context.skip();
}

/** In a `before` hook: skips every test of the hook's suite, nested suites included, because of `reason`. */
export function skipSuiteBecause(context: Mocha.Context, reason: string): never {
  const suite = context.test?.parent;
  if (suite !== undefined) Object.assign(suite, { [SKIP_REASON]: reason });
  context.skip();
}
