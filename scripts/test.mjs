// `npm test`: every suite (unit, integration, browser, scenarios) in one mocha run under c8, then the core's
// coverage check and the check that no tracked file changed, then the mocha tally again so that
// `tests: N passed, N failed, N skipped (why)` is the last line printed.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { changedBetween, trackedSnapshot } from "./tracked-files.mjs";

// Arguments replace the default spec, e.g. `npm test -- 'test/core/**/*.test.ts'`.
const mochaArgs = process.argv.length > 2 ? process.argv.slice(2) : ["test/**/*.test.ts"];

function run(command, args, { capture }) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ["ignore", capture ? "pipe" : "inherit", "inherit"] });
    let tail = "";
    child.stdout?.on("data", (chunk) => {
      process.stdout.write(chunk);
      tail = (tail + chunk.toString()).slice(-4096);
    });
    child.on("close", (code) => resolve({ code: code ?? 1, tail }));
  });
}

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = (name) => new URL(`../node_modules/.bin/${name}`, import.meta.url).pathname;
const before = trackedSnapshot(root);
const tests = await run(bin("c8"), ["--reporter=none", bin("mocha"), ...mochaArgs], { capture: true });
const coverage = await run(bin("c8"), ["report"], { capture: false });
const after = trackedSnapshot(root);
const changed = before === null || after === null ? [] : changedBetween(before, after);
const tally =
  /^tests: \d+ passed, \d+ failed(, \d+ skipped( \(.*\))?)?$/m.exec(tests.tail)?.[0] ??
  "tests: 0 passed, 1 failed";
if (coverage.code !== 0)
  process.stdout.write("\ncoverage of src/core is below the threshold in .c8rc.json\n");
if (changed.length > 0)
  process.stdout.write(
    `\nthe tests changed tracked files (write into test-output/ instead): ${changed.join(", ")}\n`,
  );
process.stdout.write(`\n${tally}\n`);
process.exit(tests.code !== 0 || coverage.code !== 0 || changed.length > 0 ? 1 : 0);
