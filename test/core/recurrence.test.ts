// Recurring series (SPEC §15, src/core/recurrence.ts): the pattern text, its validation, the dates a pattern
// gives, the cancelled-occurrence list, the codecs, the merge of the pattern as one field and the deletion
// rules for a series.
import assert from "node:assert/strict";
import { decideCrmSideOfOutlookDelete, decideOutlookSideOfCrmDelete } from "../../src/core/deletion-rules";
import { SyncError } from "../../src/core/errors";
import { findFieldProblem } from "../../src/core/field-kinds";
import { toCrm, toOutlook } from "../../src/core/mapping";
import { merge } from "../../src/core/merge";
import {
  canonicalOccurrenceList,
  canonicalRecurrence,
  formatRecurrence,
  occurrenceDates,
  occurrenceStart,
  parseRecurrence,
  rangeEndDate,
  recurrenceProblem,
} from "../../src/core/recurrence";

const WEEKLY =
  "pattern=weekly;interval=1;daysOfWeek=monday,wednesday;firstDayOfWeek=sunday;range=endDate;startDate=2026-12-07;endDate=2026-12-23";
const OPTIONS = { updateCompanyField: false };

describe("recurrence: the pattern text (SPEC §15)", () => {
  const canonical: readonly (readonly [string, string, string])[] = [
    ["a canonical text stays as it is", WEEKLY, WEEKLY],
    [
      "days are sorted and given once, the first day of the week defaults to sunday",
      "pattern=weekly;interval=1;daysOfWeek=wednesday,monday,wednesday;range=endDate;startDate=2026-12-07;endDate=2026-12-23",
      WEEKLY,
    ],
    [
      "members in any order within their part",
      "pattern=weekly;daysOfWeek=monday,wednesday;interval=1;range=endDate;endDate=2026-12-23;startDate=2026-12-07",
      WEEKLY,
    ],
    [
      "a relative pattern's index defaults to first",
      "pattern=relativeMonthly;interval=1;daysOfWeek=thursday;range=noEnd;startDate=2026-12-03",
      "pattern=relativeMonthly;interval=1;daysOfWeek=thursday;index=first;range=noEnd;startDate=2026-12-03",
    ],
    [
      "daily, numbered",
      "pattern=daily;interval=2;range=numbered;startDate=2026-12-01;numberOfOccurrences=5",
      "pattern=daily;interval=2;range=numbered;startDate=2026-12-01;numberOfOccurrences=5",
    ],
    [
      "absolute yearly",
      "pattern=absoluteYearly;interval=1;dayOfMonth=24;month=12;range=noEnd;startDate=2026-12-24",
      "pattern=absoluteYearly;interval=1;dayOfMonth=24;month=12;range=noEnd;startDate=2026-12-24",
    ],
  ];
  for (const [name, text, expected] of canonical) {
    it(name, () => assert.equal(canonicalRecurrence(text), expected));
  }

  const refused: readonly (readonly [string, string, string])[] = [
    ["no pattern", "range=noEnd;startDate=2026-12-01", "pattern= is missing"],
    [
      "a member before the pattern",
      "interval=1;pattern=daily;range=noEnd;startDate=2026-12-01",
      "must start with pattern=",
    ],
    ["no range", "pattern=daily;interval=1", "range= is missing"],
    [
      "an unknown pattern type",
      "pattern=hourly;interval=1;range=noEnd;startDate=2026-12-01",
      'pattern "hourly"',
    ],
    [
      "a member the type does not use",
      "pattern=daily;interval=1;daysOfWeek=monday;range=noEnd;startDate=2026-12-01",
      "a daily pattern has no member daysOfWeek",
    ],
    [
      "a missing member",
      "pattern=weekly;interval=1;range=noEnd;startDate=2026-12-01",
      "a weekly pattern needs daysOfWeek",
    ],
    [
      "an interval of 0",
      "pattern=daily;interval=0;range=noEnd;startDate=2026-12-01",
      'interval "0" is not a whole number from 1 to 999',
    ],
    [
      "a month 13",
      "pattern=absoluteYearly;interval=1;dayOfMonth=1;month=13;range=noEnd;startDate=2026-12-01",
      'month "13"',
    ],
    [
      "an unknown day",
      "pattern=weekly;interval=1;daysOfWeek=funday;range=noEnd;startDate=2026-12-01",
      'daysOfWeek "funday"',
    ],
    [
      "a date that does not exist",
      "pattern=daily;interval=1;range=noEnd;startDate=2026-02-30",
      'startDate "2026-02-30"',
    ],
    [
      "an end before the start",
      "pattern=daily;interval=1;range=endDate;startDate=2026-12-05;endDate=2026-12-01",
      "endDate 2026-12-01 is before startDate 2026-12-05",
    ],
    [
      "a range member the range type does not use",
      "pattern=daily;interval=1;range=noEnd;startDate=2026-12-01;endDate=2026-12-09",
      "a noEnd range has no member endDate",
    ],
    [
      "a numbered range without its count",
      "pattern=daily;interval=1;range=numbered;startDate=2026-12-01",
      "a numbered range needs numberOfOccurrences",
    ],
    [
      "a member given twice",
      "pattern=daily;interval=1;interval=2;range=noEnd;startDate=2026-12-01",
      "interval is given twice",
    ],
    [
      "a part without =",
      "pattern=daily;interval;range=noEnd;startDate=2026-12-01",
      '"interval" is not a member=value pair',
    ],
  ];
  for (const [name, text, expected] of refused) {
    it(`refuses ${name}, naming what is wrong`, () => {
      assert.throws(
        () => parseRecurrence(text),
        (error: unknown) =>
          error instanceof SyncError && error.code === "invalidInput" && error.message.includes(expected),
      );
      assert.ok(recurrenceProblem(text)?.includes(expected));
    });
  }

  it("formats a structured recurrence canonically and refuses an invalid one", () => {
    assert.equal(
      formatRecurrence({
        pattern: { type: "weekly", interval: 1, daysOfWeek: ["wednesday", "monday"] },
        range: { type: "endDate", startDate: "2026-12-07", endDate: "2026-12-23" },
      }),
      WEEKLY,
    );
    assert.throws(
      () =>
        formatRecurrence({
          pattern: { type: "daily", interval: 0 },
          range: { type: "noEnd", startDate: "2026-12-01" },
        }),
      SyncError,
    );
  });
});

describe("recurrence: the dates a pattern gives", () => {
  const rows: readonly (readonly [string, string, string | null, number, readonly string[]])[] = [
    [
      "weekly on two days up to the end date",
      WEEKLY,
      null,
      99,
      ["2026-12-07", "2026-12-09", "2026-12-14", "2026-12-16", "2026-12-21", "2026-12-23"],
    ],
    [
      "every second day, counted",
      "pattern=daily;interval=2;range=numbered;startDate=2026-12-01;numberOfOccurrences=3",
      null,
      99,
      ["2026-12-01", "2026-12-03", "2026-12-05"],
    ],
    [
      "every other week, the start week first, days before the start left out",
      "pattern=weekly;interval=2;daysOfWeek=monday,friday;firstDayOfWeek=sunday;range=numbered;startDate=2026-12-02;numberOfOccurrences=3",
      null,
      99,
      ["2026-12-04", "2026-12-14", "2026-12-18"],
    ],
    [
      "day 31 of each month falls on a shorter month's last day",
      "pattern=absoluteMonthly;interval=1;dayOfMonth=31;range=numbered;startDate=2027-01-31;numberOfOccurrences=3",
      null,
      99,
      ["2027-01-31", "2027-02-28", "2027-03-31"],
    ],
    [
      "the last friday of each month",
      "pattern=relativeMonthly;interval=1;daysOfWeek=friday;index=last;range=numbered;startDate=2026-12-01;numberOfOccurrences=2",
      null,
      99,
      ["2026-12-25", "2027-01-29"],
    ],
    [
      "the second tuesday of march, yearly",
      "pattern=relativeYearly;interval=1;daysOfWeek=tuesday;index=second;month=3;range=numbered;startDate=2026-01-01;numberOfOccurrences=2",
      null,
      99,
      ["2026-03-10", "2027-03-09"],
    ],
    [
      "february 29th yearly falls on the 28th in common years",
      "pattern=absoluteYearly;interval=1;dayOfMonth=29;month=2;range=numbered;startDate=2028-02-29;numberOfOccurrences=3",
      null,
      99,
      ["2028-02-29", "2029-02-28", "2030-02-28"],
    ],
    [
      "weekly from a monday-first week, every third week",
      "pattern=weekly;interval=3;daysOfWeek=sunday;firstDayOfWeek=monday;range=numbered;startDate=2026-12-07;numberOfOccurrences=2",
      null,
      99,
      ["2026-12-13", "2027-01-03"],
    ],
    [
      "a series without an end, up to a day",
      "pattern=daily;interval=1;range=noEnd;startDate=2026-12-30",
      "2027-01-01",
      99,
      ["2026-12-30", "2026-12-31", "2027-01-01"],
    ],
    [
      "at most max dates",
      "pattern=daily;interval=1;range=noEnd;startDate=2026-12-30",
      null,
      2,
      ["2026-12-30", "2026-12-31"],
    ],
  ];
  for (const [name, text, until, max, expected] of rows) {
    it(name, () => assert.deepEqual(occurrenceDates(parseRecurrence(text), until, max), expected));
  }

  it("gives the last day of the range: the end date, the last counted date, or none", () => {
    assert.equal(rangeEndDate(parseRecurrence(WEEKLY)), "2026-12-23");
    assert.equal(
      rangeEndDate(
        parseRecurrence("pattern=daily;interval=2;range=numbered;startDate=2026-12-01;numberOfOccurrences=3"),
      ),
      "2026-12-05",
    );
    assert.equal(
      rangeEndDate(parseRecurrence("pattern=daily;interval=1;range=noEnd;startDate=2026-12-01")),
      null,
    );
  });

  it("tells what is wrong with a recurrence text, or nothing when it is valid", () => {
    assert.equal(recurrenceProblem(WEEKLY), null);
    assert.match(
      recurrenceProblem("pattern=daily;interval=0;range=noEnd;startDate=2026-12-01") ?? "",
      /interval/,
    );
    assert.match(
      recurrenceProblem("pattern=daily;interval=x;range=noEnd;startDate=2026-12-01") ?? "",
      /interval "x"/,
    );
    assert.match(
      recurrenceProblem("pattern=daily;interval=1;range=noEnd;startDate=soon") ?? "",
      /startDate "soon"/,
    );
  });

  it("starts an occurrence at the series' time of day", () => {
    assert.equal(occurrenceStart("2026-12-07T09:30:00Z", "2026-12-09"), "2026-12-09T09:30:00Z");
    assert.equal(occurrenceStart("2026-12-07T10:30:00+01:00", "2026-12-09"), "2026-12-09T09:30:00Z");
  });
});

describe("recurrence: cancelled occurrences", () => {
  it("are canonical UTC date-times, sorted, once each", () => {
    assert.deepEqual(
      canonicalOccurrenceList([
        "2026-12-14T10:00:00+01:00",
        "2026-12-09T09:00:00.000Z",
        "2026-12-14T09:00:00Z",
      ]),
      ["2026-12-09T09:00:00Z", "2026-12-14T09:00:00Z"],
    );
  });
  it("refuse an entry that is not a date and time", () => {
    assert.throws(() => canonicalOccurrenceList(["2026-12-09"]), /cancelled occurrence "2026-12-09"/);
  });
});

describe("recurrence: mapping, field kinds and merge", () => {
  it("maps the pattern and the cancelled occurrences both ways in one canonical form", () => {
    const outlook = {
      recurrence:
        "pattern=weekly;interval=1;daysOfWeek=wednesday,monday;range=endDate;startDate=2026-12-07;endDate=2026-12-23",
      cancelledOccurrences: ["2026-12-16T09:00:00Z", "2026-12-09T09:00:00Z"],
    };
    const crm = toCrm("appointment", outlook);
    assert.deepEqual(crm, {
      recurrencepattern: WEEKLY,
      cancelledoccurrences: ["2026-12-09T09:00:00Z", "2026-12-16T09:00:00Z"],
    });
    assert.deepEqual(toOutlook("appointment", crm, OPTIONS), {
      recurrence: WEEKLY,
      cancelledOccurrences: ["2026-12-09T09:00:00Z", "2026-12-16T09:00:00Z"],
    });
  });

  it("sends an exception's original start when its record is made, and never writes it to Outlook", () => {
    assert.deepEqual(toCrm("appointment", { originalStart: "2026-12-09T09:00:00Z" }), {
      originalstart: "2026-12-09T09:00:00Z",
    });
    assert.deepEqual(toOutlook("appointment", { originalstart: "2026-12-09T09:00:00Z" }, OPTIONS), {});
  });

  it("refuses a bad pattern in a mapping, naming the rule", () => {
    assert.throws(
      () => toCrm("appointment", { recurrence: "pattern=daily" }),
      /recurrence ↔ recurrencepattern: Recurrence: range= is missing/,
    );
  });

  it("checks the kinds of the series fields on both sides, and knows seriesid as a CRM field", () => {
    assert.equal(findFieldProblem("appointment", "outlook", { recurrence: WEEKLY }), null);
    assert.match(
      findFieldProblem("appointment", "crm", { recurrencepattern: "pattern=daily;interval=1" })?.problem ??
        "",
      /range= is missing/,
    );
    assert.match(
      findFieldProblem("appointment", "crm", { cancelledoccurrences: ["tomorrow"] })?.problem ?? "",
      /expected an array of ISO 8601 dates and times/,
    );
    assert.equal(
      findFieldProblem("appointment", "crm", { seriesid: "r1", originalstart: "2026-12-09T09:00:00Z" }),
      null,
    );
    assert.match(
      findFieldProblem("appointment", "outlook", { seriesid: "r1" })?.problem ?? "",
      /not a field/,
    );
  });

  const EVERY_DAY = "pattern=daily;interval=1;range=noEnd;startDate=2026-12-07";
  const rows: readonly (readonly [
    string,
    string,
    string,
    number,
    number,
    Record<string, unknown>,
    Record<string, unknown>,
  ])[] = [
    [
      "changed in Outlook only: the CRM takes it",
      EVERY_DAY,
      WEEKLY,
      1,
      2,
      {},
      { recurrencepattern: EVERY_DAY },
    ],
    ["changed in the CRM only: Outlook takes it", WEEKLY, EVERY_DAY, 1, 2, { recurrence: EVERY_DAY }, {}],
  ];
  for (const [name, outlookPattern, crmPattern, outlookAt, crmAt, outlookWrites, crmWrites] of rows) {
    it(`merges the pattern as one field: ${name}`, () => {
      const result = merge({
        type: "appointment",
        outlook: {
          current: { recurrence: outlookPattern },
          snapshot: { recurrence: WEEKLY },
          modifiedAt: outlookAt,
        },
        crm: {
          current: { recurrencepattern: crmPattern },
          snapshot: { recurrencepattern: WEEKLY },
          modifiedAt: crmAt,
        },
        options: OPTIONS,
      });
      assert.deepEqual(result.outlookWrites, outlookWrites);
      assert.deepEqual(result.crmWrites, crmWrites);
    });
  }

  it("merges a pattern changed on both sides as one field: the later side wins whole, with one conflict", () => {
    const daily = EVERY_DAY;
    const monthly = "pattern=absoluteMonthly;interval=1;dayOfMonth=7;range=noEnd;startDate=2026-12-07";
    const result = merge({
      type: "appointment",
      outlook: { current: { recurrence: daily }, snapshot: { recurrence: WEEKLY }, modifiedAt: 5 },
      crm: {
        current: { recurrencepattern: monthly },
        snapshot: { recurrencepattern: WEEKLY },
        modifiedAt: 3,
      },
      options: OPTIONS,
    });
    assert.deepEqual(result.crmWrites, { recurrencepattern: daily });
    assert.deepEqual(result.outlookWrites, {});
    assert.deepEqual(result.conflicts, [
      { field: "recurrencepattern", kept: daily, overwritten: monthly, winner: "outlook" },
    ]);
  });

  it("merges cancelled occurrences added on both sides as their union: a cancellation never comes back", () => {
    const monday = "2026-12-14T09:00:00Z";
    const wednesday = "2026-12-16T09:00:00Z";
    const result = merge({
      type: "appointment",
      outlook: { current: { cancelledOccurrences: [monday] }, snapshot: {}, modifiedAt: 5 },
      crm: { current: { cancelledoccurrences: [wednesday] }, snapshot: {}, modifiedAt: 9 },
      options: OPTIONS,
    });
    assert.deepEqual(result.outlookWrites, { cancelledOccurrences: [monday, wednesday] });
    assert.deepEqual(result.crmWrites, { cancelledoccurrences: [monday, wednesday] });
    assert.deepEqual(result.conflicts, []);
    assert.deepEqual(result.snapshot.crm, { cancelledoccurrences: [monday, wednesday] });
  });

  it("sees no change when both sides hold the same series in different spellings", () => {
    const result = merge({
      type: "appointment",
      outlook: {
        current: {
          recurrence:
            "pattern=weekly;daysOfWeek=wednesday,monday;interval=1;range=endDate;startDate=2026-12-07;endDate=2026-12-23",
        },
        snapshot: null,
        modifiedAt: 1,
      },
      crm: { current: { recurrencepattern: WEEKLY }, snapshot: null, modifiedAt: 2 },
      options: OPTIONS,
    });
    assert.deepEqual(result.crmWrites, {});
    assert.deepEqual(result.outlookWrites, {});
    assert.deepEqual(result.conflicts, []);
  });
});

describe("recurrence: deleting a series (SPEC §8 with §15)", () => {
  const NOW = Date.parse("2026-12-15T12:00:00Z");
  const rows: readonly (readonly [string, string, string, "delete" | "unlinkKeep"])[] = [
    ["a series whose last occurrence is still to come is deleted", "2026-12-07T09:00:00Z", WEEKLY, "delete"],
    [
      "a series that has ended is kept",
      "2026-12-07T09:00:00Z",
      "pattern=daily;interval=1;range=endDate;startDate=2026-12-07;endDate=2026-12-10",
      "unlinkKeep",
    ],
    [
      "a series without an end is deleted",
      "2020-01-06T09:00:00Z",
      "pattern=daily;interval=1;range=noEnd;startDate=2020-01-06",
      "delete",
    ],
    [
      "a counted series whose last occurrence was this morning is kept",
      "2026-12-13T09:00:00Z",
      "pattern=daily;interval=1;range=numbered;startDate=2026-12-13;numberOfOccurrences=3",
      "unlinkKeep",
    ],
  ];
  for (const [name, start, pattern, outcome] of rows) {
    it(`deleted in Outlook: ${name}`, () => {
      assert.equal(
        decideCrmSideOfOutlookDelete({
          type: "appointment",
          reason: "deleted",
          crm: { scheduledstart: start, recurrencepattern: pattern, statecode: 3 },
          now: NOW,
          userIsOwnerOrOrganizer: true,
          userChoseDelete: false,
        }),
        outcome,
      );
    });
    it(`deleted in the CRM: ${name}`, () => {
      assert.equal(
        decideOutlookSideOfCrmDelete({
          type: "appointment",
          outlook: { start, recurrence: pattern },
          now: NOW,
          userIsCrmOwner: true,
        }),
        outcome,
      );
    });
  }
});
