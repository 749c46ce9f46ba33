import assert from "node:assert/strict";
import {
  DEFAULT_PACKAGE_METADATA,
  packageMetadataProblems,
  samePackage,
  type CustomizationPackage,
  type PackageMetadata,
} from "../../src/core/customization-package";
import { DEFAULT_FIELD_MAPS, type FieldRule } from "../../src/core/field-maps";
import { FILTER_CRITERIA, filterRecordOf, isInFilter } from "../../src/core/filter-rules";
import {
  decidePackageOffer,
  OFFER_RULES,
  PACKAGE_PROBLEMS,
  planPackageRebuild,
  UNSAVED_REASON_TEXT,
  unsavedLocalChanges,
  type OfferAction,
} from "../../src/core/package-rules";

const offered = (fields: Partial<CustomizationPackage> = {}): CustomizationPackage => ({
  role: "salesperson",
  version: "2.0.0.0",
  preferredProduct: "1.0.0.0",
  products: "1.0.0.0-1.9.9.9",
  schemas: "1.0.0.0-1.9.9.9",
  ...DEFAULT_PACKAGE_METADATA,
  ...fields,
});

const APPLIED = offered({ version: "1.0.0.0", schemas: "1.0.0.0" });

describe("package rules: what to do with an offered package (SPEC §11)", () => {
  const rows: readonly (readonly [string, Parameters<typeof decidePackageOffer>[0], OfferAction])[] = [
    [
      "the package applied is offered again: keep",
      { productVersion: "1.0.0.0", applied: APPLIED, offered: APPLIED, confirmed: false },
      "keep",
    ],
    [
      "the same version written another way is the same package: keep",
      {
        productVersion: "1.0.0.0",
        applied: APPLIED,
        offered: { ...APPLIED, version: "1.00.0.0" },
        confirmed: false,
      },
      "keep",
    ],
    [
      "the add-in is not in products: reject",
      { productVersion: "2.0.0.0", applied: APPLIED, offered: offered(), confirmed: false },
      "reject",
    ],
    [
      "reject wins over a confirmation",
      {
        productVersion: "2.0.0.0",
        applied: APPLIED,
        offered: offered({ schemas: "9.0.0.0" }),
        confirmed: true,
      },
      "reject",
    ],
    [
      "the first package needs no confirmation: push, then apply",
      {
        productVersion: "1.0.0.0",
        applied: null,
        offered: offered({ schemas: "9.0.0.0" }),
        confirmed: false,
      },
      "applyAfterPush",
    ],
    [
      "the applied version is in schemas: push, then apply",
      { productVersion: "1.0.0.0", applied: APPLIED, offered: offered(), confirmed: false },
      "applyAfterPush",
    ],
    [
      "schema incompatible and not confirmed: wait",
      {
        productVersion: "1.0.0.0",
        applied: APPLIED,
        offered: offered({ schemas: "2.0.0.0" }),
        confirmed: false,
      },
      "wait",
    ],
    [
      "schema incompatible, confirmed: apply as it is",
      {
        productVersion: "1.0.0.0",
        applied: APPLIED,
        offered: offered({ schemas: "2.0.0.0" }),
        confirmed: true,
      },
      "applyConfirmed",
    ],
    [
      "another role's package with the applied version: decided like any other",
      {
        productVersion: "1.0.0.0",
        applied: APPLIED,
        offered: { ...APPLIED, role: "manager" },
        confirmed: false,
      },
      "applyAfterPush",
    ],
  ];
  for (const [name, input, action] of rows) {
    it(name, () => assert.equal(decidePackageOffer(input).action, action));
  }

  it("ends with a row that matches everything, so no offer falls through the table", () => {
    assert.deepEqual(OFFER_RULES.at(-1)?.when, {});
  });

  it("reports the preferred version when the product is incompatible, or compatible with another preference", () => {
    const report = (productVersion: string, preferredProduct: string | null) =>
      decidePackageOffer({
        productVersion,
        applied: null,
        offered: offered({ preferredProduct }),
        confirmed: false,
      }).preferredProduct;
    assert.equal(report("2.0.0.0", "1.5.0.0"), "1.5.0.0", "incompatible");
    assert.equal(report("1.0.0.0", "1.5.0.0"), "1.5.0.0", "compatible, another preference");
    assert.equal(report("1.5.0.0", "1.05.0.0"), null, "the preference is this version");
    assert.equal(report("2.0.0.0", null), null, "the package names no preference");
  });
});

describe("package rules: the rebuild an applied package needs (SPEC §11 object structure, §12)", () => {
  const base = { role: "salesperson", metadata: DEFAULT_PACKAGE_METADATA };
  const next = (metadata: Partial<PackageMetadata>, role = "salesperson") => ({
    role,
    metadata: { ...DEFAULT_PACKAGE_METADATA, ...metadata },
  });

  it("the same metadata as before needs nothing, also for the first package over the defaults", () => {
    assert.deepEqual(planPackageRebuild(base, next({})), { teardown: [], build: [] });
    assert.deepEqual(planPackageRebuild({ ...base, role: null }, next({})), { teardown: [], build: [] });
  });

  it("a dropped type is torn down, an added one gets an initial synchronization", () => {
    const before = {
      role: "salesperson",
      metadata: { ...DEFAULT_PACKAGE_METADATA, entityTypes: ["contact", "email"] as const },
    };
    assert.deepEqual(planPackageRebuild(before, next({ entityTypes: ["task", "contact"] })), {
      teardown: ["email"],
      build: ["task"],
    });
  });

  it("a type mapped or filtered differently gets an initial synchronization", () => {
    const maps = { ...DEFAULT_FIELD_MAPS, task: DEFAULT_FIELD_MAPS.task.slice(1) };
    assert.deepEqual(planPackageRebuild(base, next({ fieldMaps: maps })).build, ["task"]);
    const filters = { ...DEFAULT_PACKAGE_METADATA.filters, appointment: ["organizer"] as const };
    assert.deepEqual(planPackageRebuild(base, next({ filters })).build, ["appointment"]);
    const reordered = { ...DEFAULT_PACKAGE_METADATA.filters, contact: ["trackedByHand", "owner"] as const };
    assert.deepEqual(planPackageRebuild(base, next({ filters: reordered })).build, [], "criteria are a set");
  });

  it("a role change is a metadata change: every type of the new package is synchronized again", () => {
    assert.deepEqual(planPackageRebuild(base, next({ entityTypes: ["contact", "email"] }, "manager")), {
      teardown: ["appointment", "task"],
      build: ["contact", "email"],
    });
  });
});

describe("package rules: local changes a new package could not save", () => {
  const withoutTasks = {
    ...DEFAULT_PACKAGE_METADATA,
    entityTypes: ["contact", "appointment", "email"] as const,
  };
  const noJobTitle = {
    ...DEFAULT_PACKAGE_METADATA,
    fieldMaps: {
      ...DEFAULT_FIELD_MAPS,
      contact: DEFAULT_FIELD_MAPS.contact.filter((rule) => !rule.outlook.includes("jobTitle")),
    },
  };

  it("names the whole change when the type is no longer synced, whatever the change", () => {
    assert.deepEqual(
      unsavedLocalChanges(
        [
          { mapId: "m1", type: "task", kind: "upsert", fields: ["subject"] },
          { mapId: "m2", type: "task", kind: "remove", fields: [] },
        ],
        withoutTasks,
      ),
      [
        { mapId: "m1", type: "task", field: null, reason: "typeNotSynced" },
        { mapId: "m2", type: "task", field: null, reason: "typeNotSynced" },
      ],
    );
  });

  it("names each edited field no rule sends to the CRM, and nothing for the fields it still sends", () => {
    assert.deepEqual(
      unsavedLocalChanges(
        [
          { mapId: "m1", type: "contact", kind: "upsert", fields: ["firstName", "jobTitle"] },
          { mapId: "m2", type: "contact", kind: "remove", fields: [] },
        ],
        noJobTitle,
      ),
      [{ mapId: "m1", type: "contact", field: "jobTitle", reason: "fieldNotSynced" }],
    );
  });

  it("counts one-way fields: an edit of an onTrack e-mail field is not saved, a new item sends it", () => {
    const changes = (kind: "track" | "upsert") => [
      { mapId: "m1", type: "email" as const, kind, fields: ["subject"] },
    ];
    assert.equal(unsavedLocalChanges(changes("upsert"), DEFAULT_PACKAGE_METADATA).length, 1);
    assert.deepEqual(unsavedLocalChanges(changes("track"), DEFAULT_PACKAGE_METADATA), []);
  });

  it("says which item, which field and why", () => {
    const facts = { version: "2.0.0.0", type: "contact" as const, label: "Ann Lee", field: "jobTitle" };
    assert.match(
      UNSAVED_REASON_TEXT.fieldNotSynced(facts),
      /"jobTitle" of the contact "Ann Lee".*package 2\.0\.0\.0/,
    );
    assert.match(
      UNSAVED_REASON_TEXT.typeNotSynced({ ...facts, type: "task", field: null }),
      /does not sync tasks/,
    );
  });
});

describe("package rules: what the user is told about a package problem", () => {
  const facts = {
    role: "manager",
    version: "2.0.0.0",
    productVersion: "1.0.0.0",
    preferredProduct: "3.05.30.00",
    detail: "the zip lacks the required file filters.json",
  };

  it("names the likely cause (Oracle seed) and the preferred version (Siebel seed)", () => {
    assert.match(PACKAGE_PROBLEMS.forbidden.message(facts), /privilege.*403/);
    assert.match(PACKAGE_PROBLEMS.notPublished.message(facts), /role "manager"/);
    assert.match(PACKAGE_PROBLEMS.content.message(facts), /2\.0\.0\.0 is incomplete.*filters\.json/);
    assert.match(
      PACKAGE_PROBLEMS.productIncompatible.message(facts),
      /1\.0\.0\.0.*preferred add-in version is 3\.05\.30\.00/,
    );
    assert.match(
      PACKAGE_PROBLEMS.content.message({ ...facts, version: null }),
      /^The CRM package is incomplete/,
    );
  });

  it("uses the three package codes of the scenario format", () => {
    const codes = new Set(Object.values(PACKAGE_PROBLEMS).map((problem) => problem.code));
    assert.deepEqual([...codes].sort(), ["packageUnavailable", "productIncompatible", "schemaIncompatible"]);
    for (const problem of Object.values(PACKAGE_PROBLEMS)) assert.ok(problem.action.length > 10);
  });
});

describe("customization package metadata checks", () => {
  it("accepts the default package (SPEC §2 and §4 as data)", () => {
    assert.deepEqual(packageMetadataProblems(DEFAULT_PACKAGE_METADATA), []);
    assert.deepEqual(DEFAULT_PACKAGE_METADATA.filters, {
      contact: FILTER_CRITERIA.contact,
      appointment: FILTER_CRITERIA.appointment,
      task: FILTER_CRITERIA.task,
    });
  });

  const withRule = (rule: FieldRule): PackageMetadata => ({
    ...DEFAULT_PACKAGE_METADATA,
    fieldMaps: { ...DEFAULT_FIELD_MAPS, task: [...DEFAULT_FIELD_MAPS.task, rule] },
  });
  const rows: readonly (readonly [string, PackageMetadata, RegExp])[] = [
    [
      "an unknown entity type",
      { ...DEFAULT_PACKAGE_METADATA, entityTypes: ["contact", "fax" as "contact"] },
      /entities\.json: unknown entity type "fax"/,
    ],
    [
      "a type listed twice",
      { ...DEFAULT_PACKAGE_METADATA, entityTypes: ["task", "task"] },
      /"task" is listed twice/,
    ],
    [
      "a codec with the wrong number of keys",
      withRule({ outlook: ["mileage"], crm: ["a", "b"], direction: "both", codec: "plain" }),
      /task\[7\]: codec plain takes 1 CRM key$/,
    ],
    [
      "a lookup rule without its table",
      withRule({ outlook: ["subject"], crm: ["x"], direction: "both", codec: "lookup" }),
      /value table goes with the lookup codec/,
    ],
    [
      "a lookup rule without CRM keys",
      withRule({
        outlook: ["importance"],
        crm: [],
        direction: "both",
        codec: "lookup",
        lookup: { name: "priority", rows: [{ outlook: "low", crm: [0], direction: "both" }] },
      }),
      /codec lookup takes one or more CRM keys/,
    ],
    [
      "a value table without rows",
      withRule({
        outlook: ["importance"],
        crm: ["prioritycode"],
        direction: "both",
        codec: "lookup",
        lookup: { name: "priority", rows: [] },
      }),
      /value table "priority" has no rows/,
    ],
    [
      "a value table row with the wrong number of CRM values",
      withRule({
        outlook: ["importance"],
        crm: ["prioritycode"],
        direction: "both",
        codec: "lookup",
        lookup: { name: "priority", rows: [{ outlook: "low", crm: [0, 1], direction: "both" }] },
      }),
      /value table row 0 needs 1 CRM values/,
    ],
    [
      "a one-way codec that flows both ways",
      withRule({ outlook: ["reminderTime"], crm: ["x"], direction: "both", codec: "reminderFromDue" }),
      /flows CRM→Outlook only/,
    ],
    [
      "an Outlook field the add-in does not sync",
      withRule({ outlook: ["mileage"], crm: ["mileage"], direction: "both", codec: "plain" }),
      /"mileage" is not an Outlook task field/,
    ],
    [
      "one Outlook field written by two rules",
      withRule({ outlook: ["subject"], crm: ["title"], direction: "both", codec: "plain" }),
      /"subject" is mapped by two rules/,
    ],
    [
      "a filter criterion the server does not evaluate",
      { ...DEFAULT_PACKAGE_METADATA, filters: { ...DEFAULT_PACKAGE_METADATA.filters, task: ["attendee"] } },
      /filters\.json: task cannot use "attendee"/,
    ],
  ];
  for (const [name, metadata, problem] of rows) {
    it(`refuses ${name}`, () => {
      const problems = packageMetadataProblems(metadata);
      assert.ok(
        problems.some((text) => problem.test(text)),
        problems.join("\n"),
      );
    });
  }

  it("compares packages by role and numeric version", () => {
    assert.equal(samePackage(APPLIED, { role: "salesperson", version: "1.00.0.00" }), true);
    assert.equal(samePackage(APPLIED, { role: "manager", version: "1.0.0.0" }), false);
    assert.equal(samePackage(null, APPLIED), false);
  });
});

describe("filter rules with a package's criteria", () => {
  const user = { id: "alice", emails: ["alice@contoso.example"] };

  it("reads organizer and attendees from CRM fields as the server does (lists or text split on ; and ,)", () => {
    const record = filterRecordOf("appointment", "bob", {
      organizer: " bob ",
      requiredattendees: "carol@x.example; alice@contoso.example",
      optionalattendees: ["dee", " "],
    });
    assert.deepEqual(record, {
      type: "appointment",
      owner: "bob",
      organizer: "bob",
      attendees: ["carol@x.example", "alice@contoso.example", "dee"],
    });
    assert.equal(isInFilter(record, user, false), true, "SPEC §4: the user attends");
    assert.equal(
      isInFilter(record, user, false, { appointment: ["organizer"] }),
      false,
      "a package narrowed it",
    );
    assert.equal(filterRecordOf("task", "alice", {}).organizer, null);
  });
});
