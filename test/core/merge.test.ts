import assert from "node:assert/strict";
import fc from "fast-check";
import { DEFAULT_FIELD_MAPS } from "../../src/core/field-maps";
import { readValues, sameValues } from "../../src/core/field-values";
import { ruleToCrm, ruleToOutlook, toCrm } from "../../src/core/mapping";
import { decideField, merge, MERGE_DECISIONS, type MergeInput, type MergeResult } from "../../src/core/merge";
import { SyncError } from "../../src/core/errors";
import type { EntityType, FieldValue, Fields } from "../../src/core/types";

const OPTIONS = { updateCompanyField: true, parentAccountName: "Contoso" } as const;

function apply(fields: Fields, writes: Fields): Fields {
  const out: Record<string, FieldValue> = { ...fields };
  for (const [key, value] of Object.entries(writes)) {
    if (value === null) delete out[key];
    else out[key] = value;
  }
  return out;
}

/** A merge input from (current, snapshot, modifiedAt) per side. */
function pair(
  type: EntityType,
  [outlookCurrent, outlookSnapshot, outlookAt]: readonly [Fields, Fields | null, number],
  [crmCurrent, crmSnapshot, crmAt]: readonly [Fields, Fields | null, number],
): MergeInput {
  return {
    type,
    outlook: { current: outlookCurrent, snapshot: outlookSnapshot, modifiedAt: outlookAt },
    crm: { current: crmCurrent, snapshot: crmSnapshot, modifiedAt: crmAt },
    options: OPTIONS,
  };
}

describe("merge: the seed's A/B/C example (SPEC §6)", () => {
  const result = merge(
    pair(
      "contact",
      [
        { firstName: "A1", lastName: "B1", jobTitle: "C1" },
        { firstName: "A", lastName: "B", jobTitle: "C" },
        1_000,
      ],
      [
        { firstname: "A2", lastname: "B2", jobtitle: "C" },
        { firstname: "A", lastname: "B", jobtitle: "C" },
        2_000,
      ],
    ),
  );

  it("Outlook changes A, B, C to A1, B1, C1; later the CRM changes A, B to A2, B2; both sides hold A2, B2, C1", () => {
    assert.deepEqual(result.outlookWrites, { firstName: "A2", lastName: "B2" });
    assert.deepEqual(result.crmWrites, { jobtitle: "C1" });
    assert.deepEqual(result.snapshot, {
      outlook: { firstName: "A2", lastName: "B2", jobTitle: "C1" },
      crm: { firstname: "A2", lastname: "B2", jobtitle: "C1" },
    });
  });

  it("records A1 and B1 as overwritten by the CRM", () => {
    assert.deepEqual(result.conflicts, [
      { field: "firstname", kept: "A2", overwritten: "A1", winner: "crm" },
      { field: "lastname", kept: "B2", overwritten: "B1", winner: "crm" },
    ]);
  });
});

describe("merge: SPEC §6 decision table", () => {
  const base = (outlookFirst: string, crmFirst: string, outlookAt: number, crmAt: number): MergeInput => ({
    type: "contact",
    outlook: { current: { firstName: outlookFirst }, snapshot: { firstName: "A" }, modifiedAt: outlookAt },
    crm: { current: { firstname: crmFirst }, snapshot: { firstname: "A" }, modifiedAt: crmAt },
    options: OPTIONS,
  });

  it("neither side changed: nothing is written", () => {
    const result = merge(base("A", "A", 1, 2));
    assert.deepEqual([result.outlookWrites, result.crmWrites, result.conflicts], [{}, {}, []]);
  });

  it("only Outlook changed: the Outlook value goes to the CRM", () => {
    const result = merge(base("A1", "A", 1, 2));
    assert.deepEqual(
      [result.outlookWrites, result.crmWrites, result.conflicts],
      [{}, { firstname: "A1" }, []],
    );
  });

  it("only the CRM changed: the CRM value goes to Outlook", () => {
    const result = merge(base("A", "A2", 2, 1));
    assert.deepEqual(
      [result.outlookWrites, result.crmWrites, result.conflicts],
      [{ firstName: "A2" }, {}, []],
    );
  });

  it("both changed to the same value: nothing is written and nothing is a conflict", () => {
    const result = merge(base("A1", "A1", 1, 2));
    assert.deepEqual([result.outlookWrites, result.crmWrites, result.conflicts], [{}, {}, []]);
  });

  it("both changed, Outlook later: Outlook wins", () => {
    const result = merge(base("A1", "A2", 3, 2));
    assert.deepEqual(result.crmWrites, { firstname: "A1" });
    assert.deepEqual(result.conflicts, [
      { field: "firstname", kept: "A1", overwritten: "A2", winner: "outlook" },
    ]);
  });

  it("both changed, CRM later: the CRM wins", () => {
    const result = merge(base("A1", "A2", 2, 3));
    assert.deepEqual(result.outlookWrites, { firstName: "A2" });
    assert.deepEqual(result.conflicts, [
      { field: "firstname", kept: "A2", overwritten: "A1", winner: "crm" },
    ]);
  });

  it("both changed at the same time: the CRM wins the tie", () => {
    const result = merge(base("A1", "A2", 5, 5));
    assert.deepEqual(result.outlookWrites, { firstName: "A2" });
    assert.deepEqual(result.conflicts, [
      { field: "firstname", kept: "A2", overwritten: "A1", winner: "crm" },
    ]);
  });

  it("every combination of facts has exactly one first matching row", () => {
    let combinations = 0;
    for (const outlookReceives of [false, true]) {
      for (const outlookChanged of [false, true]) {
        for (const crmChanged of [false, true]) {
          for (const equivalent of [false, true]) {
            for (const later of ["outlook", "crm", "tie"] as const) {
              const row = decideField({ outlookReceives, outlookChanged, crmChanged, equivalent, later });
              assert.ok(MERGE_DECISIONS.includes(row));
              combinations += 1;
            }
          }
        }
      }
    }
    assert.equal(combinations, 48);
  });
});

describe("merge: a type that receives nothing from the CRM (SPEC §9)", () => {
  const task = (outlook: Fields, crm: Fields, outlookAt = 1_000, crmAt = 2_000): MergeResult =>
    merge({
      ...pair(
        "task",
        [outlook, { subject: "Call", priority: "normal", dueDate: "2026-03-05T10:00:00Z" }, outlookAt],
        [crm, { subject: "Call", prioritycode: 1, scheduledend: "2026-03-05T10:00:00Z" }, crmAt],
      ),
      outlookReceives: false,
    });

  it("sends Outlook's change and writes none of the CRM's into Outlook", () => {
    const result = task(
      { subject: "Call", priority: "high", dueDate: "2026-03-05T10:00:00Z" },
      {
        subject: "Call Pat",
        description: "CRM notes",
        prioritycode: 1,
        scheduledend: "2026-03-06T09:00:00Z",
      },
    );
    assert.deepEqual(result.outlookWrites, {});
    assert.deepEqual(result.crmWrites, { prioritycode: 2 });
    assert.deepEqual(result.conflicts, []);
  });

  it("keeps the CRM snapshot of each held change, so it is still a change when the type syncs again", () => {
    const result = task(
      { subject: "Call", priority: "high", dueDate: "2026-03-05T10:00:00Z" },
      {
        subject: "Call Pat",
        description: "CRM notes",
        prioritycode: 1,
        scheduledend: "2026-03-06T09:00:00Z",
      },
    );
    assert.deepEqual(result.snapshot.crm, {
      subject: "Call",
      prioritycode: 2,
      scheduledend: "2026-03-05T10:00:00Z",
    });
    assert.deepEqual([...result.heldCrmKeys].sort(), ["description", "scheduledend", "subject"]);
    const later = merge({
      ...pair(
        "task",
        [
          { subject: "Call", priority: "high", dueDate: "2026-03-05T10:00:00Z" },
          result.snapshot.outlook,
          3_000,
        ],
        [
          {
            subject: "Call Pat",
            description: "CRM notes",
            prioritycode: 2,
            scheduledend: "2026-03-06T09:00:00Z",
          },
          result.snapshot.crm,
          2_500,
        ],
      ),
    });
    assert.deepEqual(later.outlookWrites, {
      subject: "Call Pat",
      body: "CRM notes",
      dueDate: "2026-03-06T09:00:00Z",
      reminderTime: "2026-03-06T09:00:00Z",
    });
  });

  it("a field both sides changed goes to the CRM even when the CRM changed later, recorded as a conflict", () => {
    const result = task(
      { subject: "Call Bo", priority: "normal", dueDate: "2026-03-05T10:00:00Z" },
      { subject: "Call Pat", prioritycode: 1, scheduledend: "2026-03-05T10:00:00Z" },
    );
    assert.deepEqual(result.outlookWrites, {});
    assert.deepEqual(result.crmWrites, { subject: "Call Bo" });
    assert.deepEqual(result.heldCrmKeys, []);
    assert.deepEqual(result.conflicts, [
      { field: "subject", kept: "Call Bo", overwritten: "Call Pat", winner: "outlook" },
    ]);
  });
});

describe("merge: lossy mappings never create a change by themselves", () => {
  it("a canceled CRM task (2, 6) shown as completed stays canceled while Outlook's status is unchanged", () => {
    const result = merge(
      pair(
        "task",
        [{ status: "completed", subject: "Quote v2" }, { status: "completed", subject: "Quote" }, 10],
        [
          { statecode: 2, statuscode: 6, subject: "Quote" },
          { statecode: 2, statuscode: 6, subject: "Quote" },
          5,
        ],
      ),
    );
    assert.deepEqual(result.crmWrites, { subject: "Quote v2" });
    assert.deepEqual(result.outlookWrites, {});
    assert.deepEqual(result.snapshot.crm, { statecode: 2, statuscode: 6, subject: "Quote v2" });
  });

  it("the canceled task becomes in progress, then completed (1, 5), when Outlook's status is changed", () => {
    const result = merge(
      pair(
        "task",
        [{ status: "inProgress" }, { status: "completed" }, 10],
        [{ statecode: 2, statuscode: 6 }, { statecode: 2, statuscode: 6 }, 5],
      ),
    );
    assert.deepEqual(result.crmWrites, { statecode: 0, statuscode: 3 });
  });

  it("Outlook workingElsewhere is sent as busy and stays workingElsewhere in Outlook", () => {
    const result = merge(
      pair(
        "appointment",
        [{ showTimeAs: "workingElsewhere" }, { showTimeAs: "free" }, 10],
        [{ statecode: 3, statuscode: 1 }, { statecode: 3, statuscode: 1 }, 5],
      ),
    );
    assert.deepEqual(result.crmWrites, { statuscode: 5 });
    assert.deepEqual(result.outlookWrites, {});
    assert.deepEqual(result.snapshot.outlook, { showTimeAs: "workingElsewhere" });
  });

  it("both changed to values that mean the same through the mapping: no writes, no conflict", () => {
    const result = merge(
      pair(
        "appointment",
        [{ showTimeAs: "workingElsewhere" }, { showTimeAs: "free" }, 10],
        [{ statecode: 3, statuscode: 5 }, { statecode: 3, statuscode: 1 }, 50],
      ),
    );
    assert.deepEqual([result.outlookWrites, result.crmWrites, result.conflicts], [{}, {}, []]);
  });

  it("a multi-key conflict lists each CRM key that differs", () => {
    const result = merge(
      pair(
        "task",
        [{ status: "completed" }, { status: "notStarted" }, 10],
        [{ statecode: 0, statuscode: 3 }, { statecode: 0, statuscode: 2 }, 50],
      ),
    );
    assert.deepEqual(result.outlookWrites, { status: "inProgress" });
    assert.deepEqual(result.conflicts, [
      { field: "statecode", kept: 0, overwritten: 1, winner: "crm" },
      { field: "statuscode", kept: 3, overwritten: 5, winner: "crm" },
    ]);
  });
});

describe("merge: first link and one-way fields", () => {
  it("a null snapshot makes every field of that side count as changed", () => {
    const result = merge(
      pair(
        "contact",
        [{ firstName: "Ann", nickname: "Annie" }, null, 10],
        [{ firstname: "Anne", lastname: "Lee" }, null, 20],
      ),
    );
    assert.deepEqual(result.outlookWrites, { firstName: "Anne", lastName: "Lee" });
    assert.deepEqual(result.crmWrites, { nickname: "Annie" });
    assert.deepEqual(result.conflicts, [
      { field: "firstname", kept: "Anne", overwritten: "Ann", winner: "crm" },
    ]);
  });

  it("a value removed on one side is cleared on the other with null", () => {
    const result = merge(
      pair(
        "contact",
        [{ firstName: "Ann" }, { firstName: "Ann", jobTitle: "CEO" }, 10],
        [{ firstname: "Ann", jobtitle: "CEO" }, { firstname: "Ann", jobtitle: "CEO" }, 5],
      ),
    );
    assert.deepEqual(result.crmWrites, { jobtitle: null });
    assert.deepEqual(result.snapshot.crm, { firstname: "Ann" });
  });

  const reminderCases: readonly (readonly [string, string, Fields])[] = [
    [
      "the reminder is written from a changed CRM due date and never sent to the CRM",
      "2026-03-06T14:00:00Z",
      { dueDate: "2026-03-06T14:00:00Z", reminderTime: "2026-03-06T14:00:00Z" },
    ],
    [
      "an Outlook-only reminder change is kept in Outlook and never sent to the CRM",
      "2026-03-05T09:00:00Z",
      {},
    ],
  ];
  for (const [title, scheduledend, outlookWrites] of reminderCases) {
    it(title, () => {
      const due = "2026-03-05T09:00:00Z";
      const result = merge(
        pair(
          "task",
          [{ dueDate: due, reminderTime: "2026-03-05T08:00:00Z" }, { dueDate: due, reminderTime: due }, 10],
          [{ scheduledend }, { scheduledend: due }, 20],
        ),
      );
      assert.deepEqual([result.outlookWrites, result.crmWrites], [outlookWrites, {}]);
      assert.equal(
        result.snapshot.outlook.reminderTime,
        outlookWrites.reminderTime ?? "2026-03-05T08:00:00Z",
      );
    });
  }

  it("the company name follows a changed parent account while the setting is on", () => {
    const input = (updateCompanyField: boolean): MergeInput => ({
      type: "contact",
      outlook: { current: { companyName: "Old Co" }, snapshot: { companyName: "Old Co" }, modifiedAt: 1 },
      crm: { current: { parentaccount: "acc-2" }, snapshot: { parentaccount: "acc-1" }, modifiedAt: 2 },
      options: { updateCompanyField, parentAccountName: "Contoso" },
    });
    assert.deepEqual(merge(input(true)).outlookWrites, { companyName: "Contoso" });
    assert.deepEqual(merge(input(false)).outlookWrites, {});
    assert.deepEqual(merge(input(true)).crmWrites, {});
  });

  it("e-mail: only regarding is merged after tracking", () => {
    const result = merge(
      pair(
        "email",
        [{ subject: "Changed", regarding: "opp-2" }, { regarding: "opp-1" }, 10],
        [{ subject: "Hello", regardingobjectid: "opp-1" }, { regardingobjectid: "opp-1" }, 5],
      ),
    );
    assert.deepEqual(result.crmWrites, { regardingobjectid: "opp-2" });
    assert.deepEqual(result.snapshot, {
      outlook: { regarding: "opp-2" },
      crm: { regardingobjectid: "opp-2" },
    });
  });

  it("rejects a time that is not a finite number, naming the side", () => {
    assert.throws(
      () =>
        merge({
          type: "contact",
          outlook: { current: {}, snapshot: {}, modifiedAt: Number.NaN },
          crm: { current: {}, snapshot: {}, modifiedAt: 1 },
          options: OPTIONS,
        }),
      (error: unknown) =>
        error instanceof SyncError &&
        error.code === "invalidInput" &&
        /outlook\.modifiedAt/.test(error.message),
    );
  });
});

/** Generators of Outlook values that the mapping can represent, per mapped field. */
const text = fc.stringMatching(/^[A-Za-z0-9 ]{1,6}$/);
const dateTime = fc
  .integer({ min: 0, max: 1000 })
  .map((n) => new Date(Date.UTC(2026, 0, 1) + n * 3_600_000).toISOString());
const street = fc
  .array(fc.stringMatching(/^[a-z0-9]{1,5}$/), { minLength: 1, maxLength: 3 })
  .map((lines) => lines.join("\n"));
const REPRESENTABLE: Readonly<
  Record<Exclude<EntityType, "email">, Readonly<Record<string, fc.Arbitrary<FieldValue>>>>
> = {
  contact: { firstName: text, lastName: text, jobTitle: text, mailingAddressStreet: street },
  task: {
    subject: text,
    dueDate: dateTime,
    priority: fc.constantFrom("low", "normal", "high"),
    status: fc.constantFrom("notStarted", "inProgress", "waitingOnOthers", "deferred", "completed"),
  },
  appointment: {
    subject: text,
    start: dateTime,
    requiredAttendees: fc.array(text, { maxLength: 2 }),
    priority: fc.constantFrom("low", "normal", "high"),
    showTimeAs: fc.constantFrom("free", "tentative", "busy", "oof"),
  },
};
/** Values each side can hold that the mapping cannot represent exactly (lossy rows). */
const LOSSY_OUTLOOK: Readonly<Record<string, fc.Arbitrary<FieldValue>>> = {
  mailingAddressStreet: fc.constant("a\nb\nc\nd"),
  showTimeAs: fc.constant("workingElsewhere"),
};
const LOSSY_CRM: readonly Fields[] = [
  { statecode: 2, statuscode: 6 },
  { statecode: 1, statuscode: 3 },
  { statecode: 2, statuscode: 4 },
];

function outlookBag(type: Exclude<EntityType, "email">, lossy: boolean): fc.Arbitrary<Fields> {
  const entries = Object.entries(REPRESENTABLE[type]).map(([key, arb]) => {
    const withLossy = lossy && LOSSY_OUTLOOK[key] !== undefined ? fc.oneof(arb, LOSSY_OUTLOOK[key]) : arb;
    return [key, fc.option(withLossy, { nil: null })] as const;
  });
  return fc
    .record(Object.fromEntries(entries))
    .map((bag) => Object.fromEntries(Object.entries(bag).filter(([, v]) => v !== null)));
}

function crmChange(type: Exclude<EntityType, "email">): fc.Arbitrary<Fields> {
  const lossy = LOSSY_CRM.filter((fields) =>
    type === "task" ? fields.statuscode === 6 : type === "appointment" && fields.statuscode !== 6,
  );
  const fromOutlook = outlookBag(type, false).map((bag) => toCrm(type, bag));
  if (lossy.length === 0) return fromOutlook;
  return fc
    .tuple(fromOutlook, fc.option(fc.constantFrom(...lossy), { nil: null }))
    .map(([bag, extra]) => ({ ...bag, ...(extra ?? {}) }));
}

/** A partial change: rule by rule, `mask` says whether that rule's keys take their value from `changed`. */
function mix(
  base: Fields,
  changed: Fields,
  keyGroups: readonly (readonly string[])[],
  mask: readonly boolean[],
): Fields {
  const out: Record<string, FieldValue> = { ...base };
  keyGroups.forEach((keys, index) => {
    if (!mask[index % mask.length]) return;
    for (const key of keys) {
      const value = changed[key] ?? null;
      if (value === null) delete out[key];
      else out[key] = value;
    }
  });
  return out;
}

const scenario = fc
  .constantFrom("contact", "task", "appointment")
  .chain((type) =>
    fc.record({
      type: fc.constant(type),
      base: outlookBag(type, false),
      outlookNext: outlookBag(type, true),
      crmNext: crmChange(type),
      outlookMask: fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
      crmMask: fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
      outlookAt: fc.integer({ min: 0, max: 3 }),
      crmAt: fc.integer({ min: 0, max: 3 }),
    }),
  )
  .map(({ type, base, outlookNext, crmNext, outlookMask, crmMask, outlookAt, crmAt }): MergeInput => {
    const rules = DEFAULT_FIELD_MAPS[type].filter((rule) => rule.direction === "both");
    const crmBase = toCrm(type, base);
    const outlookSnapshot = merge({
      type,
      outlook: { current: base, snapshot: null, modifiedAt: 0 },
      crm: { current: crmBase, snapshot: null, modifiedAt: 0 },
      options: OPTIONS,
    }).snapshot;
    const outlookKeys = rules.map((rule) => rule.outlook);
    const crmKeys = rules.map((rule) => rule.crm);
    return {
      type,
      outlook: {
        current: mix(outlookSnapshot.outlook, outlookNext, outlookKeys, outlookMask),
        snapshot: outlookSnapshot.outlook,
        modifiedAt: outlookAt,
      },
      crm: {
        current: mix(outlookSnapshot.crm, crmNext, crmKeys, crmMask),
        snapshot: outlookSnapshot.crm,
        modifiedAt: crmAt,
      },
      options: OPTIONS,
    };
  });

function rerun(input: MergeInput, result: MergeResult): MergeResult {
  return merge({
    ...input,
    outlook: {
      current: apply(input.outlook.current, result.outlookWrites),
      snapshot: result.snapshot.outlook,
      modifiedAt: 9,
    },
    crm: {
      current: apply(input.crm.current, result.crmWrites),
      snapshot: result.snapshot.crm,
      modifiedAt: 9,
    },
  });
}

describe("merge: properties (fast-check)", () => {
  it("is deterministic", () => {
    fc.assert(fc.property(scenario, (input) => assert.deepEqual(merge(input), merge(input))));
  });

  it("merging again after applying its writes produces no writes and no conflicts", () => {
    fc.assert(
      fc.property(scenario, (input) => {
        const again = rerun(input, merge(input));
        assert.deepEqual([again.outlookWrites, again.crmWrites, again.conflicts], [{}, {}, []]);
      }),
    );
  });

  it("leaves both sides equal in mapped space", () => {
    fc.assert(
      fc.property(scenario, (input) => {
        const result = merge(input);
        const outlook = apply(input.outlook.current, result.outlookWrites);
        const crm = apply(input.crm.current, result.crmWrites);
        for (const rule of DEFAULT_FIELD_MAPS[input.type].filter(
          (candidate) => candidate.direction === "both",
        )) {
          const asOutlook = ruleToOutlook(rule, crm, OPTIONS);
          const equal =
            (asOutlook !== null && sameValues(asOutlook, readValues(outlook, rule.outlook))) ||
            sameValues(ruleToCrm(rule, outlook), readValues(crm, rule.crm));
          assert.ok(equal, `${rule.outlook.join("+")} differs: ${JSON.stringify({ outlook, crm })}`);
        }
      }),
    );
  });

  it("never writes a field that neither side changed", () => {
    fc.assert(
      fc.property(scenario, (input) => {
        const result = merge(input);
        const changedKeys = new Set<string>();
        const unchangedKeys: string[] = [];
        for (const rule of DEFAULT_FIELD_MAPS[input.type]) {
          const outlookSame = sameValues(
            readValues(input.outlook.current, rule.outlook),
            readValues(input.outlook.snapshot, rule.outlook),
          );
          const crmSame = sameValues(
            readValues(input.crm.current, rule.crm),
            readValues(input.crm.snapshot, rule.crm),
          );
          const keys = [...rule.outlook, ...rule.crm];
          if (outlookSame && crmSame) unchangedKeys.push(...keys);
          else keys.forEach((key) => changedKeys.add(key));
        }
        for (const key of unchangedKeys.filter((candidate) => !changedKeys.has(candidate))) {
          assert.equal(
            Object.hasOwn(result.outlookWrites, key) || Object.hasOwn(result.crmWrites, key),
            false,
            key,
          );
        }
      }),
    );
  });

  it("round trips through the mapping are stable for representable values", () => {
    fc.assert(
      fc.property(
        fc
          .constantFrom("contact", "task", "appointment")
          .chain((type) => fc.tuple(fc.constant(type), outlookBag(type, false))),
        ([type, bag]) => {
          for (const rule of DEFAULT_FIELD_MAPS[type].filter((candidate) => candidate.direction === "both")) {
            const back = ruleToOutlook(
              rule,
              Object.fromEntries(rule.crm.map((key, i) => [key, ruleToCrm(rule, bag)[i] ?? null])),
              OPTIONS,
            );
            assert.deepEqual(back, readValues(bag, rule.outlook));
          }
        },
      ),
    );
  });
});
