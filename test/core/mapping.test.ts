import assert from "node:assert/strict";
import { BugError, SyncError } from "../../src/core/errors";
import { DEFAULT_FIELD_MAPS, type FieldMaps, type FieldRule } from "../../src/core/field-maps";
import { ruleToCrm, toCrm, toOutlook } from "../../src/core/mapping";

const OPTIONS = { updateCompanyField: true, parentAccountName: "Contoso" } as const;

function invalidInput(pattern: RegExp): (error: unknown) => boolean {
  return (error: unknown) =>
    error instanceof SyncError && error.code === "invalidInput" && pattern.test(error.message);
}

describe("mapping: street lines (SPEC §2)", () => {
  const rows: readonly (readonly [string, Record<string, string>])[] = [
    ["1 Main St", { address1_line1: "1 Main St" }],
    ["a\nb\nc\nd\ne", { address1_line1: "a", address1_line2: "b", address1_line3: "c, d, e" }],
    ["a\r\nb", { address1_line1: "a", address1_line2: "b" }],
    ["a\n\nc", { address1_line1: "a", address1_line3: "c" }],
  ];
  for (const [street, crm] of rows) {
    it(`${JSON.stringify(street)} → ${JSON.stringify(crm)}`, () => {
      assert.deepEqual(toCrm("contact", { mailingAddressStreet: street }), crm);
    });
  }

  it("a fourth line joined into line 3 comes back on line 3", () => {
    const crm = toCrm("contact", { mailingAddressStreet: "a\nb\nc\nd" });
    assert.deepEqual(toOutlook("contact", crm, OPTIONS), { mailingAddressStreet: "a\nb\nc, d" });
  });

  it("keeps an empty middle line so the street round-trips", () => {
    assert.deepEqual(toOutlook("contact", { address1_line1: "a", address1_line3: "c" }, OPTIONS), {
      mailingAddressStreet: "a\n\nc",
    });
  });

  it("rejects a street that is not text, naming the field", () => {
    assert.throws(
      () => toCrm("contact", { mailingAddressStreet: 5 }),
      invalidInput(/mailingAddressStreet.*found 5/),
    );
    assert.throws(
      () => toOutlook("contact", { address1_line2: true }, OPTIONS),
      invalidInput(/address1_line2/),
    );
  });
});

describe("mapping: value tables", () => {
  it("rejects an Outlook value outside the table, naming the table and value", () => {
    assert.throws(
      () => toCrm("task", { priority: "urgent" }),
      invalidInput(/"urgent" is not in the priority table/),
    );
  });

  it("rejects CRM values outside the table, naming them", () => {
    assert.throws(
      () => toOutlook("task", { statecode: 0, statuscode: 99 }, OPTIONS),
      invalidInput(/\(0, 99\) are not in the taskStatus table/),
    );
  });

  it("a lossy CRM→Outlook row is never used Outlook→CRM, and the reverse", () => {
    assert.deepEqual(toCrm("task", { status: "completed" }), { statecode: 1, statuscode: 5 });
    assert.throws(() => toOutlook("appointment", { statecode: 9, statuscode: 5 }, OPTIONS), SyncError);
  });

  it("no value on either side maps to no value", () => {
    assert.deepEqual(toCrm("task", { status: null, priority: null }), {});
    assert.deepEqual(toOutlook("task", { statecode: null }, OPTIONS), {});
  });

  it("a lookup rule without its table is rejected with the rule named", () => {
    const rule: FieldRule = {
      outlook: ["priority"],
      crm: ["prioritycode"],
      direction: "both",
      codec: "lookup",
    };
    const maps: FieldMaps = { ...DEFAULT_FIELD_MAPS, task: [rule] };
    assert.throws(
      () => toCrm("task", { priority: "low" }, maps),
      invalidInput(/priority ↔ prioritycode.*value table/),
    );
    assert.throws(() => toOutlook("task", { prioritycode: 0 }, OPTIONS, maps), invalidInput(/value table/));
  });
});

describe("mapping: one-way fields", () => {
  it("a due date without a time part sets no reminder", () => {
    assert.deepEqual(toOutlook("task", { scheduledend: "2026-03-05" }, OPTIONS), { dueDate: "2026-03-05" });
  });

  it("rejects a due date that is not text", () => {
    assert.throws(() => toOutlook("task", { scheduledend: 42 }, OPTIONS), invalidInput(/reminderTime/));
  });

  const companyRows: readonly (readonly [
    string,
    Record<string, string>,
    Parameters<typeof toOutlook>[2],
    object,
  ])[] = [
    [
      "setting on: the parent account's name",
      { parentaccount: "acc-1" },
      OPTIONS,
      { companyName: "Contoso" },
    ],
    [
      "setting off: never written",
      { parentaccount: "acc-1" },
      { updateCompanyField: false, parentAccountName: "Contoso" },
      {},
    ],
    ["name not known: left untouched", { parentaccount: "acc-1" }, { updateCompanyField: true }, {}],
    ["no parent account: no company", {}, OPTIONS, {}],
  ];
  for (const [title, crm, options, expected] of companyRows) {
    it(`company name, ${title}`, () => assert.deepEqual(toOutlook("contact", crm, options), expected));
  }

  it("companyName and reminderTime are never sent to the CRM", () => {
    assert.deepEqual(toCrm("contact", { companyName: "X" }), {});
    const reminder = DEFAULT_FIELD_MAPS.task.find((rule) => rule.codec === "reminderFromDue");
    assert.ok(reminder);
    assert.throws(() => ruleToCrm(reminder, { reminderTime: "2026-03-05T09:00:00Z" }), BugError);
    const company = DEFAULT_FIELD_MAPS.contact.find((rule) => rule.codec === "companyFromParent");
    assert.ok(company);
    assert.throws(() => ruleToCrm(company, { companyName: "X" }), BugError);
  });
});

describe("mapping: e-mail and unknown fields", () => {
  it("a tracked e-mail sends its fields to the CRM; none flow back except regarding", () => {
    const outlook = {
      subject: "Hi",
      body: "Text",
      from: "ann@example.com",
      to: ["bob@example.com"],
      direction: "incoming",
      internetMessageId: "<m1@example.com>",
      regarding: "opp-1",
    };
    const crm = toCrm("email", outlook);
    assert.deepEqual(crm, {
      subject: "Hi",
      description: "Text",
      from: "ann@example.com",
      to: ["bob@example.com"],
      directioncode: false,
      messageid: "<m1@example.com>",
      regardingobjectid: "opp-1",
    });
    assert.deepEqual(toOutlook("email", crm, OPTIONS), { regarding: "opp-1" });
  });

  it("drops keys that no rule names, and treats null like a missing key", () => {
    assert.deepEqual(toCrm("contact", { firstName: "Ann", lastName: null, photo: "x", unknownKey: 1 }), {
      firstname: "Ann",
    });
  });
});

describe("mapping: a replacement value table", () => {
  it("skips rows whose CRM tuple has another length and names the values it could not find", () => {
    const rule: FieldRule = {
      outlook: ["status"],
      crm: ["statecode", "statuscode"],
      direction: "both",
      codec: "lookup",
      lookup: { name: "custom", rows: [{ outlook: "open", crm: [0], direction: "both" }] },
    };
    const maps: FieldMaps = { ...DEFAULT_FIELD_MAPS, task: [rule] };
    assert.throws(
      () => toOutlook("task", { statecode: 0, statuscode: 2 }, OPTIONS, maps),
      invalidInput(/custom table/),
    );
  });
});
