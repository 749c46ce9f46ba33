import assert from "node:assert/strict";
import * as core from "../../src/core/index";
import * as codecs from "../../src/core/codecs";
import * as customizationPackage from "../../src/core/customization-package";
import * as deletionRules from "../../src/core/deletion-rules";
import * as errors from "../../src/core/errors";
import * as fieldKinds from "../../src/core/field-kinds";
import * as fieldMaps from "../../src/core/field-maps";
import * as fieldValues from "../../src/core/field-values";
import * as filterRules from "../../src/core/filter-rules";
import * as mapping from "../../src/core/mapping";
import * as matchKeys from "../../src/core/match-keys";
import * as merge from "../../src/core/merge";
import * as packageRules from "../../src/core/package-rules";
import * as reconciliation from "../../src/core/reconciliation";
import * as recurrence from "../../src/core/recurrence";
import * as retryPolicy from "../../src/core/retry-policy";
import * as ruleTable from "../../src/core/rule-table";
import * as seriesEdits from "../../src/core/series-edits";
import * as trackingRules from "../../src/core/tracking-rules";
import * as types from "../../src/core/types";
import * as versionRange from "../../src/core/version-range";

const MODULES = {
  codecs,
  customizationPackage,
  deletionRules,
  errors,
  fieldKinds,
  fieldMaps,
  fieldValues,
  filterRules,
  mapping,
  matchKeys,
  merge,
  packageRules,
  reconciliation,
  recurrence,
  retryPolicy,
  ruleTable,
  seriesEdits,
  trackingRules,
  types,
  versionRange,
} as const;

describe("core index: the public API", () => {
  for (const [name, module] of Object.entries(MODULES)) {
    it(`re-exports every runtime export of ${name} unchanged`, () => {
      const exported = Object.entries(module);
      assert.ok(exported.length > 0);
      for (const [key, value] of exported) {
        assert.equal((core as Readonly<Record<string, unknown>>)[key], value, `${name}.${key}`);
      }
    });
  }

  it("exposes the API names the engine and server code against", () => {
    for (const name of [
      "DEFAULT_FIELD_MAPS",
      "toCrm",
      "toOutlook",
      "merge",
      "decideCrmSideOfOutlookDelete",
      "decideOutlookSideOfCrmDelete",
      "offersDeleteChoiceOnUntrack",
      "decideSyncTiming",
      "isInFilter",
      "leftFilterAction",
      "listingsDue",
      "unlistedMappings",
      "MAX_ATTEMPTS",
      "nextRetryDelay",
      "isUserVisibleFailure",
      "normalizeEmail",
      "matchKey",
      "parseVersion",
      "compareVersions",
      "parseVersionRanges",
      "versionInRanges",
      "checkPackageCompatibility",
      "decidePackageOffer",
      "planPackageRebuild",
      "unsavedLocalChanges",
      "packageMetadataProblems",
      "DEFAULT_PACKAGE_METADATA",
    ]) {
      assert.ok(name in core, name);
    }
  });

  it("lists the synced and downloadable entity types and the privileges", () => {
    assert.deepEqual(types.SYNCED_ENTITY_TYPES, ["contact", "appointment", "task", "email"]);
    assert.deepEqual(types.DOWNLOADABLE_ENTITY_TYPES, ["contact", "appointment", "task"]);
    assert.deepEqual(types.PRIVILEGES, ["SyncToOutlook", "GoOffline"]);
  });
});
