import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { productionBuild } from "../manifest/production-build";

/** Issue 7: the task pane's script stays at or under 150 KB gzipped, office.js not counted. */
const BUDGET_BYTES = 150 * 1024;
const OFFICE_JS = "https://appsforoffice.microsoft.com/lib/1/hosted/office.js";

describe("task pane bundle size", function () {
  this.timeout(180_000);

  it("loads at most 150 KB of gzipped script besides office.js", async () => {
    const dist = await productionBuild();
    const html = readFileSync(path.join(dist, "taskpane.html"), "utf8");
    const scripts = [...html.matchAll(/<script[^>]*src=["']?([^"' >]+)/g)].map((m) => m[1] ?? "");
    assert.ok(scripts.includes(OFFICE_JS), "office.js comes from the CDN");
    const own = scripts.filter((src) => src !== OFFICE_JS);
    assert.deepEqual(own, ["taskpane.js"]);
    const gzipped = own.reduce((sum, src) => sum + gzipSync(readFileSync(path.join(dist, src))).length, 0);
    assert.ok(gzipped > 1024, "the measured script is the real bundle");
    assert.ok(
      gzipped <= BUDGET_BYTES,
      `taskpane.js is ${(gzipped / 1024).toFixed(1)} KB gzipped; the budget is 150 KB`,
    );
  });
});
