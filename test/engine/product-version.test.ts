// The add-in's product version, which customization packages name in `products` (SPEC §11), is the manifest's.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { ADDIN_VERSION } from "../../src/engine/product-version";

describe("the add-in's product version", () => {
  it("is manifest.xml's <Version>", () => {
    const manifest = readFileSync(resolve(import.meta.dirname, "../../manifest.xml"), "utf8");
    assert.equal(/<Version>([^<]+)<\/Version>/.exec(manifest)?.[1], ADDIN_VERSION);
  });
});
