// Scenario validation: the first problem is named by its JSON path (docs/SCENARIOS.md exit status 2).
import assert from "node:assert/strict";
import { SyncError } from "../../src/core/errors";
import { scenarioProblem } from "./support/scenario-problem";
import { formatPath, validateScenario } from "../../src/sim/scenario/validate-scenario";

const BASE = {
  version: 1,
  start: "2026-03-02T09:00:00Z",
  users: [{ id: "alice", privileges: ["SyncToOutlook"] }],
  mailbox: "alice",
  clients: [{ id: "desk", role: "primary" }],
  settings: { entities: ["contact"], updateCompanyField: true, intervalMinutes: 15, roaming: false },
  crm: [{ ref: "a1", type: "account", owner: "alice", fields: { name: "Contoso" } }],
  outlook: [],
  steps: [{ do: "sync", client: "desk" }],
};

const problem = (change: Record<string, unknown>): string => scenarioProblem(BASE, change);

describe("validateScenario", () => {
  it("accepts a valid file and resolves step times (+N, absolute, and one second after the previous)", () => {
    const checked = validateScenario(
      JSON.stringify({
        ...BASE,
        steps: [
          { at: "+15m", do: "sync", client: "desk" },
          { do: "sync", client: "desk" },
        ],
      }),
    );
    assert.deepEqual(checked.stepTimes, [
      Date.parse("2026-03-02T09:15:00Z"),
      Date.parse("2026-03-02T09:15:01Z"),
    ]);
  });

  it("formats paths as docs/SCENARIOS.md shows them", () => {
    assert.equal(formatPath(["steps", 3, "ref"]), "steps[3].ref");
    assert.equal(formatPath([]), "$");
  });

  const cases: [string, Record<string, unknown>, string | RegExp][] = [
    [
      "a shape problem",
      { steps: [{ do: "track", ref: "a1", client: "desk", via: "ribbon" }] },
      /^steps\[0\]\.via: /,
    ],
    ["an unknown step", { steps: [{ do: "dance", client: "desk" }] }, /^steps\[0\]\.do: /],
    [
      "an unknown client",
      { steps: [{ do: "sync", client: "phone" }] },
      'steps[0].client: unknown client "phone"',
    ],
    ["an unknown ref", { steps: [{ do: "crm.delete", ref: "k9" }] }, 'steps[0].ref: unknown ref "k9"'],
    [
      "an unknown owner",
      { steps: [{ do: "crm.assign", ref: "a1", owner: "zed" }] },
      'steps[0].owner: unknown user "zed"',
    ],
    [
      "a reused ref",
      { steps: [{ do: "crm.create", ref: "a1", type: "task", owner: "alice", fields: {} }] },
      'steps[0].ref: ref "a1" is already used',
    ],
    [
      "time going backwards",
      {
        steps: [
          { at: "+5m", do: "sync", client: "desk" },
          { at: "+1m", do: "sync", client: "desk" },
        ],
      },
      /^steps\[1\]\.at: time goes backwards/,
    ],
    [
      "sending what was never composed",
      { steps: [{ do: "send", ref: "a1", client: "desk" }] },
      'steps[0].ref: ref "a1" is not a composed draft',
    ],
    [
      "a parent that is not an account",
      { crm: [{ ref: "k1", type: "contact", owner: "alice", fields: { parentaccount: "x" } }] },
      'crm[0].fields.parentaccount: unknown account ref "x"',
    ],
    [
      "a series that is not an appointment",
      { crm: [{ ref: "x1", type: "appointment", owner: "alice", fields: { seriesid: "a1" } }] },
      'crm[0].fields.seriesid: unknown appointment series ref "a1"',
    ],
    [
      "an occurrence step on something that is not an appointment",
      { steps: [{ do: "outlook.cancelOccurrence", series: "a1", originalStart: "2026-03-09T09:00:00Z" }] },
      'steps[0].series: ref "a1" is not an appointment',
    ],
    [
      "an occurrence step without a date-time",
      {
        outlook: [{ ref: "s1", type: "appointment", fields: { subject: "Series" } }],
        steps: [
          { do: "outlook.updateOccurrence", ref: "e1", series: "s1", originalStart: "Monday", fields: {} },
        ],
      },
      /^steps\[0\]\.originalStart: expected an ISO 8601 date and time/,
    ],
    [
      "an occurrence step on an unknown series",
      { steps: [{ do: "outlook.cancelOccurrence", series: "s9", originalStart: "2026-03-09T09:00:00Z" }] },
      'steps[0].series: unknown ref "s9"',
    ],
    [
      "a bad recurrence pattern",
      { outlook: [{ ref: "s1", type: "appointment", fields: { recurrence: "pattern=daily;interval=1" } }] },
      /^outlook\[0\]\.fields\.recurrence: Recurrence: range= is missing/,
    ],
    [
      "a duplicate client",
      {
        clients: [
          { id: "desk", role: "primary" },
          { id: "desk", role: "secondary" },
        ],
      },
      'clients[1].id: duplicate id "desk"',
    ],
    ["an unknown mailbox user", { mailbox: "bob" }, 'mailbox: unknown user "bob"'],
    ["an unknown top-level key", { extra: true }, /^\$: /],
  ];
  for (const [name, change, expected] of cases) {
    it(`names the path of ${name}`, () => {
      const found = problem(change);
      if (typeof expected === "string") assert.equal(found, expected);
      else assert.match(found, expected);
    });
  }

  it("rejects text that is not JSON at the root", () => {
    assert.throws(
      () => validateScenario("{ nope"),
      (error: unknown) => error instanceof SyncError && /^\$: not valid JSON/.test(error.details ?? ""),
    );
  });
});

describe("validateScenario: field keys and values (SPEC §2, checked with the core's field tables)", () => {
  const task = { ref: "t1", type: "task", owner: "alice", fields: { subject: "Call" } };
  const cases: [string, Record<string, unknown>, string][] = [
    [
      "an Outlook key on a CRM step",
      {
        steps: [
          { do: "crm.update", ref: "a1", fields: { name: "Fabrikam" } },
          { do: "crm.create", ref: "k1", type: "contact", owner: "alice", fields: { firstName: "Ann" } },
        ],
      },
      'steps[1].fields.firstName: "firstName" is not a field of a CRM contact (it is the Outlook key; the CRM uses "firstname")',
    ],
    [
      "a CRM key on an Outlook item",
      { outlook: [{ ref: "o1", type: "contact", fields: { lastname: "Lee" } }] },
      'outlook[0].fields.lastname: "lastname" is not a field of an Outlook contact (it is the CRM key; Outlook uses "lastName")',
    ],
    [
      "a key SPEC §2 does not have",
      { crm: [{ ref: "a1", type: "account", owner: "alice", fields: { name: "Contoso", revenue: 10 } }] },
      'crm[0].fields.revenue: "revenue" is not a field of a CRM account',
    ],
    [
      "a date that is not ISO 8601",
      { crm: [task], steps: [{ do: "crm.update", ref: "t1", fields: { scheduledend: "next Friday" } }] },
      'steps[0].fields.scheduledend: expected an ISO 8601 date and time with a time zone such as 2026-03-10T09:30:00Z, found "next Friday"',
    ],
    [
      "a date that does not exist",
      { outlook: [{ ref: "o1", type: "contact", fields: { birthday: "1990-02-30" } }] },
      'outlook[0].fields.birthday: expected an ISO 8601 date such as 2026-03-10, found "1990-02-30"',
    ],
    [
      "a CRM code outside its table",
      { steps: [{ do: "crm.create", ref: "t1", type: "task", owner: "alice", fields: { prioritycode: 7 } }] },
      "steps[0].fields.prioritycode: 7 is not in the priority table (0, 1, 2)",
    ],
    [
      "an Outlook code outside its table, on an item made by an earlier step",
      {
        steps: [
          { do: "outlook.create", ref: "o1", type: "task", fields: { subject: "Call" } },
          { do: "outlook.update", ref: "o1", fields: { status: "done" } },
        ],
      },
      'steps[1].fields.status: "done" is not in the taskStatus table ("notStarted", "inProgress", "waitingOnOthers", "deferred", "completed")',
    ],
    [
      "a code pair that is not a row of its table",
      { crm: [{ ...task, fields: { subject: "Call", statecode: 1, statuscode: 2 } }] },
      "crm[0].fields: statecode 1 with statuscode 2 is not a row of the taskStatus table",
    ],
    [
      "a contact key on a draft",
      { steps: [{ do: "compose", ref: "d1", client: "desk", fields: { subject: "Hi", firstName: "Ann" } }] },
      'steps[0].fields.firstName: "firstName" is not a field of an Outlook email',
    ],
  ];
  for (const [name, change, expected] of cases) {
    it(`names the path of ${name}`, () => assert.equal(problem(change), expected));
  }

  it("accepts every kind of value in its form, and null to clear a field", () => {
    assert.equal(
      problem({
        crm: [
          { ref: "a1", type: "account", owner: "alice", fields: { name: "Contoso" } },
          {
            ...task,
            fields: {
              subject: "Call",
              statecode: 2,
              statuscode: 6,
              scheduledend: "2026-03-10T11:00:00+01:00",
            },
          },
        ],
        outlook: [
          {
            ref: "o1",
            type: "appointment",
            fields: {
              start: "2026-03-10T10:00:00Z",
              isAllDayEvent: false,
              requiredAttendees: ["bob"],
              showTimeAs: "oof",
            },
          },
        ],
        steps: [{ do: "crm.update", ref: "t1", fields: { description: null, prioritycode: 2 } }],
      }),
      "valid",
    );
  });
});
