// `npm ci` must install on every Node version package.json declares without an engine warning (EBADENGINE):
// each locked package's `engines.node` range must cover the whole declared range, as npm checks it.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import semver from "semver";

const ROOT = resolve(import.meta.dirname, "../..");

/** A lockfile entry; `engines` is an object of ranges (very old packages list strings, which name no `node` key). */
interface LockEntry {
  readonly version?: string;
  readonly engines?: Readonly<Record<string, string | undefined>>;
}

const manifest = JSON.parse(readFileSync(resolve(ROOT, "package.json"), "utf8")) as {
  engines: { node: string };
};
const lock = JSON.parse(readFileSync(resolve(ROOT, "package-lock.json"), "utf8")) as {
  packages: Readonly<Record<string, LockEntry>>;
};
const declared = manifest.engines.node;

/** The locked packages whose Node range leaves out some version the project declares. */
function uncovered(range: string): string[] {
  return Object.entries(lock.packages).flatMap(([path, entry]) => {
    const node = entry.engines?.["node"];
    if (path === "" || node === undefined) return [];
    return semver.subset(range, node) ? [] : [`${path}@${entry.version ?? "?"} needs node ${node}`];
  });
}

describe("Node versions (package.json engines and the lockfile)", () => {
  it("declares a valid range that includes the Node running the tests", () => {
    assert.ok(semver.validRange(declared), `engines.node ${declared} is not a range`);
    assert.ok(
      semver.satisfies(process.versions.node, declared),
      `Node ${process.versions.node} ∉ ${declared}`,
    );
  });

  it("has every locked package support every declared Node version (no EBADENGINE on npm ci)", () => {
    assert.deepEqual(uncovered(declared), []);
  });

  it("would catch a dependency that needs a newer Node than declared", () => {
    assert.ok(
      uncovered(">=18").length > 0,
      "the check finds packages that do not support Node 18, which the project does not declare",
    );
  });

  it("keeps the lockfile's own engines in step with package.json", () => {
    assert.deepEqual(lock.packages[""]?.engines, manifest.engines);
  });
});
