// `npm run screenshot`: runs the browser test that photographs the pinned task pane (it writes
// test-output/taskpane.png, never a tracked file) and copies the picture to docs/taskpane.png for the README.
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const shot = `${root}test-output/taskpane.png`;
const target = `${root}docs/taskpane.png`;
const started = Date.now();

const mocha = spawnSync(
  process.execPath,
  [
    `${root}node_modules/mocha/bin/mocha.js`,
    "--grep",
    "screenshot of the pinned task pane",
    `${root}test/ui/simulator.test.ts`,
  ],
  // CI=true: without Chromium the browser test fails instead of skipping, so nothing is copied silently.
  { cwd: root, stdio: "inherit", env: { ...process.env, CI: "true" } },
);
if (mocha.status !== 0) process.exit(mocha.status ?? 1);
if (!existsSync(shot) || statSync(shot).mtimeMs < started) {
  process.stderr.write(`screenshot: the test ran but ${shot} was not written\n`);
  process.exit(1);
}
copyFileSync(shot, target);
process.stdout.write(`screenshot: ${target} refreshed\n`);
