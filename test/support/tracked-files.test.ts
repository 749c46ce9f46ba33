// `npm test` fails when the tests change a tracked file: the snapshot comparison behind that check, on a real
// throw-away git repository.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { changedBetween as changed, trackedSnapshot as snapshot } from "../../scripts/tracked-files.mjs";

function git(cwd: string, ...args: string[]): void {
  const result = spawnSync("git", args, { cwd, encoding: "utf8" });
  assert.equal(result.status, 0, result.stderr);
}

describe("tracked files left as they were (scripts/tracked-files.mjs)", () => {
  let repo = "";
  beforeEach(() => {
    repo = mkdtempSync(join(tmpdir(), "tracked-"));
    git(repo, "init", "-q");
    writeFileSync(join(repo, "a.txt"), "a\n");
    writeFileSync(join(repo, "b.png"), "b\n");
    git(repo, "add", ".");
    git(repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "init");
  });
  afterEach(() => rmSync(repo, { recursive: true, force: true }));

  function now(): Map<string, string> {
    const taken = snapshot(repo);
    assert.ok(taken, "a git checkout has a snapshot");
    return taken;
  }

  it("names a tracked file that changed in between, and not the untouched ones", () => {
    const before = now();
    writeFileSync(join(repo, "b.png"), "changed\n");
    writeFileSync(join(repo, "new-output.txt"), "untracked files do not count\n");
    assert.deepEqual(changed(before, now()), ["b.png"]);
  });

  it("does not blame the run for an edit made before it, unless the run changed that file again", () => {
    writeFileSync(join(repo, "a.txt"), "edited by hand\n");
    const before = now();
    assert.deepEqual(changed(before, now()), []);
    writeFileSync(join(repo, "a.txt"), "edited again by the run\n");
    assert.deepEqual(changed(before, now()), ["a.txt"]);
  });

  it("is null outside a git checkout", () => {
    const plain = mkdtempSync(join(tmpdir(), "plain-"));
    try {
      assert.equal(snapshot(plain), null);
    } finally {
      rmSync(plain, { recursive: true, force: true });
    }
  });
});
