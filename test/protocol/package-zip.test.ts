// The add-in's content check of a customization package zip (SPEC §11 "Download or content errors"), and the
// builder the server and the admin command share.
import assert from "node:assert/strict";
import { strToU8, zipSync } from "fflate";
import { DEFAULT_PACKAGE_METADATA, type PackageInfo } from "../../src/core/customization-package";
import {
  buildPackageZip,
  packageFiles,
  PACKAGE_LIMITS,
  readPackageFiles,
  readPackageInfo,
  readPackageZip,
  zipFiles,
} from "../../src/protocol";

const INFO: PackageInfo = {
  role: "salesperson",
  version: "2.0.0.0",
  preferredProduct: "3.05.30.00",
  products: "3.05.15.00-3.05.30.99",
  schemas: "3.04.00.00-3.05.30.99",
};

const files = (change: Record<string, string | undefined> = {}): Record<string, string> => {
  const all: Record<string, string | undefined> = {
    ...packageFiles({ info: INFO, metadata: DEFAULT_PACKAGE_METADATA }),
    ...change,
  };
  return Object.fromEntries(
    Object.entries(all).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
};

function refused(result: ReturnType<typeof readPackageFiles>): string {
  assert.equal(result.ok, false, "the package was accepted");
  return result.ok ? "" : result.problem;
}

describe("customization package zips", () => {
  it("reads back what the builder wrote: info.xml's compatibility element and the metadata", () => {
    const result = readPackageZip(
      buildPackageZip({ info: INFO, metadata: DEFAULT_PACKAGE_METADATA }),
      "2.0.0.0",
    );
    assert.ok(result.ok);
    assert.deepEqual(result.package, { ...INFO, ...DEFAULT_PACKAGE_METADATA });
  });

  it("reads the seed's compatibility element, spaces and all, and a package without a preferred version", () => {
    const xml = `<?xml version="1.0"?>
      <package version="3.05.30.00" role="sales rep">
        <compatibility preferred_product="3.05.30.00">
          <products>3.05.15.00-3.05.30.99</products>
          <schemas> 3.04.00.00-3.05.30.99 ; 3.06.00.00 </schemas>
        </compatibility>
      </package>`;
    assert.deepEqual(readPackageInfo(xml), {
      role: "sales rep",
      version: "3.05.30.00",
      preferredProduct: "3.05.30.00",
      products: "3.05.15.00-3.05.30.99",
      schemas: "3.04.00.00-3.05.30.99 ; 3.06.00.00",
    });
    assert.equal(readPackageInfo(xml.replace(' preferred_product="3.05.30.00"', "")).preferredProduct, null);
  });

  const rows: readonly (readonly [string, Record<string, string | undefined>, RegExp])[] = [
    ["a missing metadata file", { "filters.json": undefined }, /lacks the required file filters\.json/],
    [
      "two missing files",
      { "entities.json": undefined, "info.xml": undefined },
      /required files info\.xml, entities\.json/,
    ],
    ["info.xml that is not XML", { "info.xml": "<package><compatibility></package>" }, /info\.xml: line 1: /],
    [
      "info.xml without the compatibility element",
      { "info.xml": '<package version="2.0.0.0" role="r"/>' },
      /needs exactly one <compatibility>/,
    ],
    [
      "a malformed range list, naming the element and position",
      {
        "info.xml":
          '<package version="2.0.0.0" role="r"><compatibility><products>1.0.0.0-</products><schemas>1.0.0.0</schemas></compatibility></package>',
      },
      /info\.xml: In <products>: At position 8 .*expected a number/,
    ],
    [
      "a version that is not four numbers",
      {
        "info.xml":
          '<package version="2.0" role="r"><compatibility><products>1.0.0.0</products><schemas>1.0.0.0</schemas></compatibility></package>',
      },
      /<package version> "2\.0" is not four dot-separated numbers/,
    ],
    ["metadata that is not JSON", { "entities.json": "{" }, /entities\.json: not JSON/],
    [
      "metadata of the wrong shape",
      { "entities.json": '{"entityTypes":["fax"]}' },
      /entities\.json: entityTypes\.0: /,
    ],
    [
      "a synced type without its rules",
      { "field-maps.json": "{}" },
      /field-maps\.json: no rules for "contact"/,
    ],
    [
      "a synced type without its filter",
      { "filters.json": '{"contact":{"rules":["owner"]}}' },
      /filters\.json: no rules for "appointment"/,
    ],
    [
      "metadata that means nothing to the add-in",
      {
        "filters.json":
          '{"contact":{"rules":["organizer"]},"appointment":{"rules":["organizer"]},"task":{"rules":["owner"]}}',
      },
      /filters\.json: contact cannot use "organizer"/,
    ],
  ];
  for (const [name, change, problem] of rows) {
    it(`refuses ${name}`, () => assert.match(refused(readPackageFiles(files(change))), problem));
  }

  it("refuses a zip whose info.xml names another version than the one published, keeping info.xml's facts", () => {
    const result = readPackageFiles(files(), "2.1.0.0");
    assert.match(refused(result), /info\.xml says version 2\.0\.0\.0, but it was published as 2\.1\.0\.0/);
    assert.equal(result.ok ? null : result.info?.version, "2.0.0.0");
  });

  it("refuses what is not a zip, and bounds the work: an oversized zip or file is not unpacked", () => {
    assert.match(refused(readPackageZip(strToU8("not a zip"))), /not a readable zip/);
    assert.match(refused(readPackageZip(new Uint8Array(PACKAGE_LIMITS.zipBytes + 1))), /larger than/);
    const big = zipSync({ "entities.json": new Uint8Array(PACKAGE_LIMITS.fileBytes + 1) }, { level: 9 });
    assert.match(refused(readPackageZip(big)), /entities\.json larger than/);
  });

  it("ignores files it does not need", () => {
    const result = readPackageZip(zipFiles({ ...files(), "readme.txt": "notes" }));
    assert.ok(result.ok);
  });
});
