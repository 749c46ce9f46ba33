// The closing tally of test/support/reporter.cjs: the `tests: N passed, N failed, N skipped` shape CI reads,
// with why tests were skipped, from a real mocha run of a fixture.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "../..");

describe("test tally (reporter)", function () {
  this.timeout(60_000);

  it("ends with the counts and the reasons for skipping, most frequent first", () => {
    const run = spawnSync(
      process.execPath,
      [
        resolve(ROOT, "node_modules/mocha/bin/mocha.js"),
        "--no-config",
        "--node-option",
        "import=tsx",
        "--extension",
        "ts",
        "--reporter",
        resolve(ROOT, "test/support/reporter.cjs"),
        resolve(ROOT, "test/support/fixtures/skipped-suites.fixture.ts"),
      ],
      { cwd: ROOT, encoding: "utf8" },
    );
    assert.equal(run.status, 0, run.stderr);
    const lines = run.stdout.trimEnd().split("\n");
    assert.equal(
      lines.at(-1),
      "tests: 1 passed, 0 failed, 6 skipped " +
        "(3: no browser here; 2: HTTP faults the twin cannot have; 1: no reason given)",
    );
    assert.match(lines.at(-1) ?? "", /^tests: \d+ passed, \d+ failed, \d+ skipped/);
  });
});
