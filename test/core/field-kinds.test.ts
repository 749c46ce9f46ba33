// Field keys and value kinds of SPEC §2 (src/core/field-kinds.ts): every side's keys, every kind, every code
// table, and the problems named for bad keys and values.
import assert from "node:assert/strict";
import { DEFAULT_FIELD_MAPS, type FieldMaps } from "../../src/core/field-maps";
import { CRM_ONLY_FIELDS, fieldSpecs, findFieldProblem, NON_TEXT_FIELDS } from "../../src/core/field-kinds";
import type { CrmRecordType, Fields, Side } from "../../src/core/types";

function problem(type: CrmRecordType, side: Side, fields: Fields, maps?: FieldMaps): string | null {
  const found = findFieldProblem(type, side, fields, maps);
  return found === null ? null : `${found.key ?? "(fields)"}: ${found.problem}`;
}

describe("field kinds (SPEC §2 values)", () => {
  describe("keys", () => {
    it("gives each entity type's sides exactly the keys its rules name, and the CRM its CRM-only keys", () => {
      for (const type of ["contact", "appointment", "task", "email"] as const) {
        for (const side of ["outlook", "crm"] as const) {
          const expected = new Set([
            ...DEFAULT_FIELD_MAPS[type].flatMap((rule) => rule[side]),
            ...(side === "crm" ? (CRM_ONLY_FIELDS[type] ?? []) : []),
          ]);
          assert.deepEqual(new Set(fieldSpecs(type, side).keys()), expected, `${type} ${side}`);
        }
      }
    });

    it("gives an account its name on the CRM side and nothing in Outlook", () => {
      assert.deepEqual([...fieldSpecs("account", "crm").keys()], [...(CRM_ONLY_FIELDS.account ?? [])]);
      assert.equal(fieldSpecs("account", "outlook").size, 0);
      assert.equal(problem("account", "crm", { name: "Contoso" }), null);
      assert.equal(
        problem("account", "crm", { revenue: 5 }),
        'revenue: "revenue" is not a field of a CRM account',
      );
    });

    it("names every non-text key as a key of its side", () => {
      for (const [type, sides] of Object.entries(NON_TEXT_FIELDS)) {
        for (const [side, kinds] of Object.entries(sides)) {
          const specs = fieldSpecs(type as CrmRecordType, side as Side);
          for (const [key, kind] of Object.entries(kinds))
            assert.equal(specs.get(key)?.kind, kind, `${type} ${side} ${key}`);
        }
      }
    });

    it("refuses an Outlook key on the CRM side and a CRM key in Outlook, naming the other side's key", () => {
      assert.equal(
        problem("contact", "crm", { firstName: "Ann" }),
        'firstName: "firstName" is not a field of a CRM contact (it is the Outlook key; the CRM uses "firstname")',
      );
      assert.equal(
        problem("task", "outlook", { statecode: 0 }),
        'statecode: "statecode" is not a field of an Outlook task (it is the CRM key; Outlook uses "status")',
      );
      assert.equal(
        problem("contact", "outlook", { photo: "x" }),
        'photo: "photo" is not a field of an Outlook contact',
      );
    });

    it("follows the field maps it is given", () => {
      const maps: FieldMaps = {
        ...DEFAULT_FIELD_MAPS,
        contact: [{ outlook: ["nickname"], crm: ["nickname"], direction: "both", codec: "plain" }],
      };
      assert.equal(problem("contact", "outlook", { nickname: "Al" }, maps), null);
      assert.match(problem("contact", "outlook", { firstName: "Al" }, maps) ?? "", /not a field/);
    });
  });

  describe("values", () => {
    it("accepts null for any field: it clears the field", () => {
      assert.equal(problem("task", "crm", { scheduledend: null, prioritycode: null, statecode: null }), null);
    });

    it("checks text, numbers, booleans and lists", () => {
      assert.equal(problem("contact", "outlook", { firstName: 5 }), "firstName: expected text, found 5");
      assert.equal(
        problem("appointment", "outlook", { duration: "60" }),
        'duration: expected a number, found "60"',
      );
      assert.equal(
        problem("appointment", "crm", { scheduleddurationminutes: Number.NaN }),
        "scheduleddurationminutes: expected a number, found null",
      );
      assert.equal(
        problem("appointment", "outlook", { isAllDayEvent: "yes" }),
        'isAllDayEvent: expected true or false, found "yes"',
      );
      assert.equal(
        problem("appointment", "crm", { requiredattendees: "bob" }),
        'requiredattendees: expected an array of strings, found "bob"',
      );
      assert.equal(
        problem("appointment", "outlook", { duration: 30, isAllDayEvent: false, requiredAttendees: ["bob"] }),
        null,
      );
    });

    it("takes ISO 8601 dates and date-times with a time zone, and nothing else", () => {
      const good: [CrmRecordType, Side, string, string][] = [
        ["contact", "outlook", "birthday", "1980-02-29"],
        ["contact", "crm", "birthdate", "1980-02-29T00:00:00Z"],
        ["task", "crm", "scheduledend", "2026-03-10T11:00:00Z"],
        ["task", "outlook", "dueDate", "2026-03-10T11:00Z"],
        ["appointment", "outlook", "start", "2026-03-10T11:00:00.250+01:00"],
        ["email", "crm", "senton", "2026-12-31T23:59:59-05:30"],
      ];
      for (const [type, side, key, value] of good)
        assert.equal(problem(type, side, { [key]: value }), null, value);
      const bad: [CrmRecordType, Side, string, string | number][] = [
        ["contact", "crm", "birthdate", "someday"],
        ["contact", "crm", "birthdate", "2026-02-30"],
        ["contact", "outlook", "anniversary", "10/03/2026"],
        ["contact", "outlook", "anniversary", 20260310],
        ["task", "crm", "scheduledend", "2026-03-10"],
        ["task", "crm", "scheduledend", "2026-03-10T11:00:00"],
        ["task", "outlook", "dueDate", "2026-13-10T11:00:00Z"],
        ["appointment", "crm", "scheduledstart", "2026-03-10T24:00:00Z"],
        ["appointment", "crm", "scheduledstart", "2026-03-10T10:60:00Z"],
        ["appointment", "crm", "scheduledstart", "2026-03-10T10:00:61Z"],
        ["appointment", "crm", "scheduledstart", "2026-03-10T10:00:00+25:00"],
        ["appointment", "crm", "scheduledstart", "2026-03-10T10:00:00+01:75"],
        ["email", "outlook", "sentAt", "next Tuesday"],
      ];
      for (const [type, side, key, value] of bad) {
        assert.match(
          problem(type, side, { [key]: value }) ?? "",
          /^\w+: expected an ISO 8601 date/,
          String(value),
        );
      }
      assert.equal(
        problem("task", "crm", { scheduledend: "2026-03-10" }),
        'scheduledend: expected an ISO 8601 date and time with a time zone such as 2026-03-10T09:30:00Z, found "2026-03-10"',
      );
    });

    it("takes codes from their tables on each side", () => {
      assert.equal(problem("task", "crm", { prioritycode: 2, statecode: 2, statuscode: 6 }), null);
      assert.equal(
        problem("task", "crm", { prioritycode: 5 }),
        "prioritycode: 5 is not in the priority table (0, 1, 2)",
      );
      assert.equal(
        problem("task", "crm", { statuscode: 9 }),
        "statuscode: 9 is not in the taskStatus table (2, 3, 4, 7, 5, 6)",
      );
      assert.equal(
        problem("task", "outlook", { status: "done" }),
        'status: "done" is not in the taskStatus table ("notStarted", "inProgress", "waitingOnOthers", "deferred", "completed")',
      );
      assert.equal(
        problem("appointment", "outlook", { showTimeAs: "workingElsewhere", priority: "high" }),
        null,
      );
      assert.equal(problem("email", "crm", { directioncode: true }), null);
      assert.match(
        problem("email", "crm", { directioncode: 1 }) ?? "",
        /^directioncode: 1 is not in the emailDirection table/,
      );
    });

    it("takes a whole code pair only when it is a row of its table", () => {
      assert.equal(problem("appointment", "crm", { statecode: 1, statuscode: 3 }), null);
      assert.equal(
        problem("task", "crm", { statecode: 1, statuscode: 2 }),
        "(fields): statecode 1 with statuscode 2 is not a row of the taskStatus table",
      );
      assert.equal(problem("task", "crm", { statecode: 1 }), null, "half a pair is checked by column only");
      assert.equal(problem("task", "outlook", { status: "completed" }), null);
    });

    it("names the first problem in the order of the fields", () => {
      assert.equal(
        problem("contact", "crm", { firstname: "Ann", birthdate: "soon", lastName: "Lee" }),
        'birthdate: expected an ISO 8601 date such as 2026-03-10, found "soon"',
      );
    });
  });
});
