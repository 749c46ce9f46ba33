import assert from "node:assert/strict";
import fc from "fast-check";
import { SyncError } from "../../src/core/errors";
import {
  checkPackageCompatibility,
  compareVersions,
  parseVersion,
  parseVersionRanges,
  versionInRanges,
  type CompatibilityInput,
} from "../../src/core/version-range";

function rangeError(pattern: RegExp): (error: unknown) => boolean {
  return (error: unknown) =>
    error instanceof SyncError && error.code === "invalidVersionRange" && pattern.test(error.details ?? "");
}

describe("version ranges: parsing (SPEC §11)", () => {
  it("parses the seed's example 3.05.15.00-3.05.30.99;3.06.00.00", () => {
    const ranges = parseVersionRanges("3.05.15.00-3.05.30.99;3.06.00.00");
    assert.deepEqual(
      ranges.map((range) => [range.from.parts, range.to.parts]),
      [
        [
          [3, 5, 15, 0],
          [3, 5, 30, 99],
        ],
        [
          [3, 6, 0, 0],
          [3, 6, 0, 0],
        ],
      ],
    );
    assert.equal(ranges[0]?.from.text, "3.05.15.00");
  });

  it("allows spaces around versions and separators", () => {
    assert.equal(parseVersionRanges(" 1.0.0.0 - 2.0.0.0 ; 3.0.0.0 ").length, 2);
    assert.deepEqual(parseVersion(" 3.05.15.00 ").parts, [3, 5, 15, 0]);
  });

  const malformed: readonly (readonly [string, RegExp])[] = [
    ["3.05.15.00-3.05.x0.99", /position 16 .*expected a number, found "x0"/],
    ["3.05.15", /position 7 .*expected "\.", found the end of the text/],
    ["3.05.15.00;;3.06.00.00", /position 11 .*expected a number, found ";"/],
    ["3.05.15.00;", /position 11 .*found the end of the text/],
    ["3.05.15.00.1", /position 10 .*expected "-", ";" or the end of the text, found "\."/],
    ["3.06.00.00-3.05.00.00", /position 0 .*start is not after its end, found "3"/],
    ["", /position 0 .*found the end of the text/],
    ["v3.05.15.00", /position 0 .*found "v3"/],
  ];
  for (const [text, pattern] of malformed) {
    it(`rejects ${JSON.stringify(text)}, naming the position and the text found there`, () => {
      assert.throws(() => parseVersionRanges(text), rangeError(pattern));
    });
  }

  it("rejects trailing text after a single version", () => {
    assert.throws(
      () => parseVersion("3.05.15.00 x"),
      rangeError(/position 11 .*expected the end of the text, found "x"/),
    );
  });
});

describe("version ranges: comparison", () => {
  const rows: readonly (readonly [string, string, -1 | 0 | 1])[] = [
    ["3.05.15.00", "3.05.15.00", 0],
    ["3.5.15.0", "3.05.15.00", 0],
    ["3.05.15.00", "3.05.30.99", -1],
    ["3.10.00.00", "3.9.00.00", 1],
    ["4.00.00.00", "3.99.99.99", 1],
    ["3.05.15.01", "3.05.15.00", 1],
  ];
  for (const [a, b, expected] of rows) {
    it(`${a} vs ${b} → ${expected}`, () => assert.equal(compareVersions(a, b), expected));
  }

  it("is antisymmetric and numeric (property)", () => {
    const version = fc
      .tuple(fc.nat(200), fc.nat(200), fc.nat(200), fc.nat(200))
      .map((parts) => parts.join("."));
    fc.assert(
      fc.property(version, version, (a, b) => {
        assert.equal(compareVersions(a, b), -compareVersions(b, a) || 0);
        const padded = a
          .split(".")
          .map((part) => part.padStart(3, "0"))
          .join(".");
        assert.equal(compareVersions(a, padded), 0);
      }),
    );
  });

  const membership: readonly (readonly [string, boolean])[] = [
    ["3.05.15.00", true],
    ["3.05.20.00", true],
    ["3.05.30.99", true],
    ["3.05.31.00", false],
    ["3.05.14.99", false],
    ["3.06.00.00", true],
    ["3.06.00.01", false],
  ];
  for (const [version, expected] of membership) {
    it(`${version} ${expected ? "is" : "is not"} in 3.05.15.00-3.05.30.99;3.06.00.00`, () => {
      assert.equal(
        versionInRanges(version, parseVersionRanges("3.05.15.00-3.05.30.99;3.06.00.00")),
        expected,
      );
    });
  }
});

describe("version ranges: package compatibility (SPEC §11)", () => {
  const next = {
    version: "3.05.30.00",
    preferredProduct: "3.05.30.00",
    products: "3.05.15.00-3.05.30.99",
    schemas: "3.04.00.00-3.05.30.99",
    entityTypes: ["contact", "task", "appointment"],
  };
  const input = (overrides: Partial<CompatibilityInput>): CompatibilityInput => ({
    productVersion: "3.05.30.00",
    current: { version: "3.05.00.00", entityTypes: ["contact", "task", "appointment"] },
    next,
    ...overrides,
  });

  it("product compatible with the preferred version: no preferred version reported", () => {
    const report = checkPackageCompatibility(input({}));
    assert.equal(report.product, "compatible");
    assert.equal(report.preferredProduct, null);
  });

  it("product compatible but the preferred version differs: the preferred version is reported", () => {
    const report = checkPackageCompatibility(input({ productVersion: "3.05.20.00" }));
    assert.deepEqual([report.product, report.preferredProduct], ["compatible", "3.05.30.00"]);
  });

  it("product incompatible: not applied, the preferred version is named", () => {
    const report = checkPackageCompatibility(input({ productVersion: "3.04.00.00" }));
    assert.deepEqual([report.product, report.preferredProduct], ["incompatible", "3.05.30.00"]);
  });

  it("product incompatible without a preferred version: reported as null", () => {
    const report = checkPackageCompatibility(
      input({ productVersion: "3.04.00.00", next: { ...next, preferredProduct: null } }),
    );
    assert.deepEqual([report.product, report.preferredProduct], ["incompatible", null]);
  });

  it("schema compatible: the current package's version is in schemas", () => {
    assert.equal(checkPackageCompatibility(input({})).schema, "compatible");
  });

  it("schema incompatible: the current package's version is not in schemas", () => {
    const report = checkPackageCompatibility(input({ current: { version: "3.03.00.00", entityTypes: [] } }));
    assert.equal(report.schema, "incompatible");
  });

  it("first install: no current package, every offered type is added", () => {
    const report = checkPackageCompatibility(input({ current: null }));
    assert.equal(report.schema, "firstInstall");
    assert.deepEqual(report.structure, { added: ["contact", "task", "appointment"], removed: [] });
  });

  it("object structure changed: added and removed entity types are listed", () => {
    const report = checkPackageCompatibility(
      input({ current: { version: "3.05.00.00", entityTypes: ["contact", "task", "opportunity"] } }),
    );
    assert.deepEqual(report.structure, { added: ["appointment"], removed: ["opportunity"] });
  });

  it("object structure unchanged: nothing to rebuild", () => {
    assert.deepEqual(checkPackageCompatibility(input({})).structure, { added: [], removed: [] });
  });

  it("a malformed products list names the element and the position", () => {
    assert.throws(
      () => checkPackageCompatibility(input({ next: { ...next, products: "3.05.15.00-" } })),
      rangeError(/^In <products>: At position 11 .*found the end of the text/),
    );
  });

  it("a malformed schemas list names the element", () => {
    assert.throws(
      () => checkPackageCompatibility(input({ next: { ...next, schemas: "3.04;3.05.00.00" } })),
      rangeError(/^In <schemas>: At position 4 /),
    );
  });

  it("a malformed product version is rejected", () => {
    assert.throws(() => checkPackageCompatibility(input({ productVersion: "3.5" })), rangeError(/"3\.5"/));
  });
});
