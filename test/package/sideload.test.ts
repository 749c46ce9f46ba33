// `npm run sideload` never fails silently: when office-addin-debugging cannot run (no registry, the native
// keychain module does not build), the script names what failed, prints the manual steps and exits non-zero.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

const script = path.resolve(import.meta.dirname, "../../scripts/sideload.mjs");

describe("npm run sideload (scripts/sideload.mjs)", () => {
  let dir = "";
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "sideload-"));
    const npx = path.join(dir, "npx");
    await writeFile(npx, "#!/bin/sh\necho 'npm error code E404' >&2\nexit 7\n");
    await chmod(npx, 0o755);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("reports a failed office-addin-debugging with its exit code and the manual steps, and exits 1", () => {
    const run = spawnSync(process.execPath, [script], {
      env: { ...process.env, PATH: dir },
      encoding: "utf8",
    });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /exited with 7/);
    assert.match(run.stderr, /To sideload by hand:/);
    assert.match(run.stderr, /aka\.ms\/olksideload/);
  });

  it("reports a command that cannot be started at all", () => {
    const run = spawnSync(process.execPath, [script], {
      env: { ...process.env, PATH: "/nonexistent" },
      encoding: "utf8",
    });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /could not run npx/);
    assert.match(run.stderr, /Add from file/);
  });
});
