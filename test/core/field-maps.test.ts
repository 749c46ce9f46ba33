import assert from "node:assert/strict";
import {
  DEFAULT_FIELD_MAPS,
  NEVER_SYNCED_OUTLOOK_FIELDS,
  type FieldMaps,
  type FieldRule,
} from "../../src/core/field-maps";
import { toCrm, toOutlook } from "../../src/core/mapping";
import type { EntityType, FieldValue } from "../../src/core/types";

const OPTIONS = { updateCompanyField: true, parentAccountName: "Contoso" } as const;

/** SPEC §2 "Contact" table, copied row by row. */
const CONTACT_ROWS: readonly (readonly [string, string])[] = [
  ["anniversary", "anniversary"],
  ["assistantName", "assistantname"],
  ["assistantTelephoneNumber", "assistantphone"],
  ["birthday", "birthdate"],
  ["body", "description"],
  ["businessFaxNumber", "fax"],
  ["businessTelephoneNumber", "telephone1"],
  ["children", "childrensnames"],
  ["department", "department"],
  ["email1Address", "emailaddress1"],
  ["email2Address", "emailaddress2"],
  ["email3Address", "emailaddress3"],
  ["firstName", "firstname"],
  ["ftpSite", "ftpsiteurl"],
  ["governmentIdNumber", "governmentid"],
  ["homeTelephoneNumber", "telephone2"],
  ["jobTitle", "jobtitle"],
  ["lastName", "lastname"],
  ["mailingAddressCity", "address1_city"],
  ["mailingAddressCountry", "address1_country"],
  ["mailingAddressPostOfficeBox", "address1_postofficebox"],
  ["mailingAddressPostalCode", "address1_postalcode"],
  ["mailingAddressState", "address1_stateorprovince"],
  ["managerName", "managername"],
  ["middleName", "middlename"],
  ["mobileTelephoneNumber", "mobilephone"],
  ["nickname", "nickname"],
  ["otherTelephoneNumber", "telephone3"],
  ["pagerNumber", "pager"],
  ["spouse", "spousesname"],
  ["title", "salutation"],
  ["webPage", "websiteurl"],
  ["yomiFirstName", "yomifirstname"],
  ["yomiLastName", "yomilastname"],
];

/** SPEC §2 "Task" table rows that map one key to one key unchanged. */
const TASK_PLAIN_ROWS: readonly (readonly [string, string, FieldValue])[] = [
  ["body", "description", "Call back"],
  ["dueDate", "scheduledend", "2026-03-05"],
  ["startDate", "scheduledstart", "2026-03-01"],
  ["subject", "subject", "Quote"],
];

/** SPEC §2 "Appointment" table rows that map one key to one key unchanged. */
const APPOINTMENT_PLAIN_ROWS: readonly (readonly [string, string, FieldValue])[] = [
  ["isAllDayEvent", "isalldayevent", true],
  ["body", "description", "Agenda"],
  ["duration", "scheduleddurationminutes", 30],
  ["end", "scheduledend", "2026-03-02T10:30:00Z"],
  ["location", "location", "Room 4"],
  ["optionalAttendees", "optionalattendees", ["bob@example.com"]],
  ["organizer", "organizer", "alice@example.com"],
  ["requiredAttendees", "requiredattendees", ["carol@example.com", "dan@example.com"]],
  ["start", "scheduledstart", "2026-03-02T10:00:00Z"],
  ["subject", "subject", "Review"],
];

function bothWays(type: EntityType, outlookKey: string, crmKey: string, value: FieldValue): void {
  assert.deepEqual(toCrm(type, { [outlookKey]: value }), { [crmKey]: value });
  assert.deepEqual(toOutlook(type, { [crmKey]: value }, OPTIONS), { [outlookKey]: value });
}

describe("field maps: SPEC §2 contact table", () => {
  for (const [outlookKey, crmKey] of CONTACT_ROWS) {
    it(`${outlookKey} ↔ ${crmKey}`, () => bothWays("contact", outlookKey, crmKey, `v-${outlookKey}`));
  }

  it("mailingAddressStreet ↔ address1_line1 / address1_line2 / address1_line3", () => {
    assert.deepEqual(toCrm("contact", { mailingAddressStreet: "1 Main St\nSuite 2\nFloor 3" }), {
      address1_line1: "1 Main St",
      address1_line2: "Suite 2",
      address1_line3: "Floor 3",
    });
    assert.deepEqual(
      toOutlook(
        "contact",
        { address1_line1: "1 Main St", address1_line2: "Suite 2", address1_line3: "Floor 3" },
        OPTIONS,
      ),
      { mailingAddressStreet: "1 Main St\nSuite 2\nFloor 3" },
    );
  });

  it("maps every SPEC contact row and nothing unexpected", () => {
    const expected = new Set([
      ...CONTACT_ROWS.map(([outlook]) => outlook),
      "mailingAddressStreet",
      "companyName",
    ]);
    assert.deepEqual(new Set(DEFAULT_FIELD_MAPS.contact.flatMap((rule) => rule.outlook)), expected);
  });
});

describe("field maps: SPEC §2 task table", () => {
  for (const [outlookKey, crmKey, value] of TASK_PLAIN_ROWS) {
    it(`${outlookKey} ↔ ${crmKey}`, () => bothWays("task", outlookKey, crmKey, value));
  }

  it("priority ↔ prioritycode", () => {
    assert.deepEqual(toCrm("task", { priority: "high" }), { prioritycode: 2 });
    assert.deepEqual(toOutlook("task", { prioritycode: 2 }, OPTIONS), { priority: "high" });
  });

  it("status ↔ statecode + statuscode", () => {
    assert.deepEqual(toCrm("task", { status: "inProgress" }), { statecode: 0, statuscode: 3 });
    assert.deepEqual(toOutlook("task", { statecode: 0, statuscode: 3 }, OPTIONS), { status: "inProgress" });
  });

  it("reminderTime is set from the time part of scheduledend, CRM→Outlook only", () => {
    assert.deepEqual(toOutlook("task", { scheduledend: "2026-03-05T14:30:00Z" }, OPTIONS), {
      dueDate: "2026-03-05T14:30:00Z",
      reminderTime: "2026-03-05T14:30:00Z",
    });
    assert.deepEqual(toCrm("task", { reminderTime: "2026-03-05T09:00:00Z" }), {});
  });

  it("maps every SPEC task row and nothing unexpected", () => {
    const expected = new Set([
      ...TASK_PLAIN_ROWS.map(([outlook]) => outlook),
      "priority",
      "status",
      "reminderTime",
    ]);
    assert.deepEqual(new Set(DEFAULT_FIELD_MAPS.task.flatMap((rule) => rule.outlook)), expected);
  });
});

describe("field maps: SPEC §2 appointment table", () => {
  for (const [outlookKey, crmKey, value] of APPOINTMENT_PLAIN_ROWS) {
    it(`${outlookKey} ↔ ${crmKey}`, () => bothWays("appointment", outlookKey, crmKey, value));
  }

  it("priority ↔ prioritycode", () => {
    assert.deepEqual(toCrm("appointment", { priority: "low" }), { prioritycode: 0 });
    assert.deepEqual(toOutlook("appointment", { prioritycode: 0 }, OPTIONS), { priority: "low" });
  });

  it("showTimeAs ↔ statecode + statuscode", () => {
    assert.deepEqual(toCrm("appointment", { showTimeAs: "tentative" }), { statecode: 3, statuscode: 2 });
    assert.deepEqual(toOutlook("appointment", { statecode: 3, statuscode: 2 }, OPTIONS), {
      showTimeAs: "tentative",
    });
  });

  it("maps every SPEC appointment row and nothing unexpected", () => {
    const expected = new Set([
      ...APPOINTMENT_PLAIN_ROWS.map(([outlook]) => outlook),
      "priority",
      "showTimeAs",
      "iCalUId",
      "recurrence",
      "cancelledOccurrences",
      "originalStart",
    ]);
    assert.deepEqual(new Set(DEFAULT_FIELD_MAPS.appointment.flatMap((rule) => rule.outlook)), expected);
  });
});

describe("field maps: SPEC §2 priority table", () => {
  const rows: readonly (readonly [string, number])[] = [
    ["low", 0],
    ["normal", 1],
    ["high", 2],
  ];
  for (const type of ["task", "appointment"] as const) {
    for (const [outlook, crm] of rows) {
      it(`${type}: ${outlook} ↔ ${crm}`, () => {
        assert.deepEqual(toCrm(type, { priority: outlook }), { prioritycode: crm });
        assert.deepEqual(toOutlook(type, { prioritycode: crm }, OPTIONS), { priority: outlook });
      });
    }
  }
});

describe("field maps: SPEC §2 task status table", () => {
  const rows: readonly (readonly [string, number, number])[] = [
    ["notStarted", 0, 2],
    ["inProgress", 0, 3],
    ["waitingOnOthers", 0, 4],
    ["deferred", 0, 7],
    ["completed", 1, 5],
  ];
  for (const [status, state, code] of rows) {
    it(`${status} ↔ (${state}, ${code})`, () => {
      assert.deepEqual(toCrm("task", { status }), { statecode: state, statuscode: code });
      assert.deepEqual(toOutlook("task", { statecode: state, statuscode: code }, OPTIONS), { status });
    });
  }

  it("a canceled CRM task (2, 6) shows in Outlook as completed", () => {
    assert.deepEqual(toOutlook("task", { statecode: 2, statuscode: 6 }, OPTIONS), { status: "completed" });
  });
});

describe("field maps: SPEC §2 appointment showTimeAs table", () => {
  const rows: readonly (readonly [string, number, number])[] = [
    ["free", 3, 1],
    ["tentative", 3, 2],
    ["busy", 3, 5],
    ["oof", 3, 6],
  ];
  for (const [showTimeAs, state, code] of rows) {
    it(`${showTimeAs} ↔ (${state}, ${code})`, () => {
      assert.deepEqual(toCrm("appointment", { showTimeAs }), { statecode: state, statuscode: code });
      assert.deepEqual(toOutlook("appointment", { statecode: state, statuscode: code }, OPTIONS), {
        showTimeAs,
      });
    });
  }

  it("a completed CRM appointment (1, 3) shows as busy", () => {
    assert.deepEqual(toOutlook("appointment", { statecode: 1, statuscode: 3 }, OPTIONS), {
      showTimeAs: "busy",
    });
  });

  it("a canceled CRM appointment (2, 4) shows as free", () => {
    assert.deepEqual(toOutlook("appointment", { statecode: 2, statuscode: 4 }, OPTIONS), {
      showTimeAs: "free",
    });
  });

  it("Outlook workingElsewhere is sent to the CRM as busy", () => {
    assert.deepEqual(toCrm("appointment", { showTimeAs: "workingElsewhere" }), {
      statecode: 3,
      statuscode: 5,
    });
  });
});

describe("field maps: never-synced fields", () => {
  for (const type of ["contact", "task", "appointment", "email"] as const) {
    it(`${type}: no rule names a never-synced field, and none crosses in either direction`, () => {
      const mapped = new Set(DEFAULT_FIELD_MAPS[type].flatMap((rule) => rule.outlook));
      const never = NEVER_SYNCED_OUTLOOK_FIELDS[type];
      for (const key of never) assert.equal(mapped.has(key), false, key);
      assert.deepEqual(toCrm(type, Object.fromEntries(never.map((key) => [key, "x"]))), {});
    });
  }

  it("lists the SPEC's never-synced contact, task and appointment fields", () => {
    assert.ok(NEVER_SYNCED_OUTLOOK_FIELDS.contact.includes("photo"));
    assert.ok(NEVER_SYNCED_OUTLOOK_FIELDS.task.includes("mileage"));
    assert.ok(NEVER_SYNCED_OUTLOOK_FIELDS.appointment.includes("label"));
  });
});

describe("field maps: plain data", () => {
  it("survives a JSON round trip unchanged, so a customization package can ship one", () => {
    const copy = JSON.parse(JSON.stringify(DEFAULT_FIELD_MAPS)) as FieldMaps;
    assert.deepEqual(copy, DEFAULT_FIELD_MAPS);
  });

  it("is used as given: a replacement map changes the mapping", () => {
    const rule: FieldRule = { outlook: ["nickname"], crm: ["new_nick"], direction: "both", codec: "plain" };
    const maps: FieldMaps = { ...DEFAULT_FIELD_MAPS, contact: [rule] };
    assert.deepEqual(toCrm("contact", { nickname: "Bo", firstName: "Ann" }, maps), { new_nick: "Bo" });
  });
});
