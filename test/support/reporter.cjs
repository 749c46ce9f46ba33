// Mocha reporter: the spec reporter's output, then one closing line that CI reads:
// `tests: N passed, N failed, N skipped`, followed by why tests were skipped when any were, e.g.
// `tests: 600 passed, 0 failed, 4 skipped (4: HTTP faults the in-process twin cannot have)`.
// Every test that did not pass or get skipped is counted as failed, hooks included. A skip's reason is the
// `skipReason` that test/support/skip.ts put on the test or on one of its suites.
"use strict";
const Mocha = require("mocha");
const { EVENT_RUN_END, EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_TEST_PENDING } = Mocha.Runner.constants;

const NO_REASON = "no reason given";

/** The reason recorded on the test or the nearest suite above it. */
function skipReason(test) {
  for (let node = test; node; node = node.parent) {
    if (typeof node.skipReason === "string" && node.skipReason !== "") return node.skipReason;
  }
  return NO_REASON;
}

/** `tests: …` with the skip reasons, most frequent first: ` (4: a; 1: b)`. */
function tallyLine(passed, failed, reasons) {
  let skipped = 0;
  for (const count of reasons.values()) skipped += count;
  const why = [...reasons.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([reason, count]) => `${count}: ${reason}`)
    .join("; ");
  return `tests: ${passed} passed, ${failed} failed, ${skipped} skipped${why === "" ? "" : ` (${why})`}`;
}

class TallyReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    let passed = 0;
    let failed = 0;
    const reasons = new Map();
    runner.on(EVENT_TEST_PASS, () => (passed += 1));
    runner.on(EVENT_TEST_FAIL, () => (failed += 1));
    runner.on(EVENT_TEST_PENDING, (test) => {
      const reason = skipReason(test);
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    });
    runner.once(EVENT_RUN_END, () => {
      process.stdout.write(`\n${tallyLine(passed, failed, reasons)}\n`);
    });
  }
}

module.exports = TallyReporter;
