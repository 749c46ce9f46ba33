import assert from "node:assert/strict";
import { DEFAULT_FIELD_MAPS } from "../../src/core/field-maps";
import { exceptionFollowWrites, OWN_OCCURRENCE_KEYS, sharedSeriesWrites } from "../../src/core/series-edits";
import type { Fields } from "../../src/core/types";

describe("series edits reaching exceptions (SPEC §15)", () => {
  const master: Fields = {
    subject: "Stand-up",
    location: "Room 1",
    start: "2026-03-09T09:00:00Z",
    end: "2026-03-09T09:15:00Z",
    requiredAttendees: ["bob@contoso.com"],
  };
  const rows: readonly (readonly [string, Fields, Fields, Fields])[] = [
    [
      "an exception that kept the old value takes the new one",
      { subject: "Daily" },
      { subject: "Stand-up", start: "2026-03-11T10:00:00Z" },
      { subject: "Daily" },
    ],
    ["an exception with a value of its own keeps it", { subject: "Daily" }, { subject: "Review" }, {}],
    [
      "field by field: an own subject is kept while the shared location follows",
      { subject: "Daily", location: "Room 7" },
      { subject: "Review", location: "Room 1" },
      { location: "Room 7" },
    ],
    [
      "a field both lack counts as the same old value, and a cleared one follows",
      { body: "Agenda", location: null },
      { location: "Room 1" },
      { body: "Agenda", location: null },
    ],
    [
      "lists compare by value",
      { requiredAttendees: ["bob@contoso.com", "cy@contoso.com"] },
      { requiredAttendees: ["bob@contoso.com"] },
      { requiredAttendees: ["bob@contoso.com", "cy@contoso.com"] },
    ],
    [
      "an exception that already shows the new value takes nothing",
      { subject: "Daily" },
      { subject: "Daily" },
      {},
    ],
    [
      "times and series keys never follow",
      { start: "2026-03-09T10:00:00Z", end: "2026-03-09T10:15:00Z", recurrence: "pattern=daily" },
      { start: "2026-03-09T09:00:00Z", end: "2026-03-09T09:15:00Z" },
      {},
    ],
  ];
  for (const [name, writes, exception, expected] of rows) {
    it(name, () => {
      assert.deepEqual(exceptionFollowWrites(master, writes, exception), expected);
    });
  }

  it("shares every mapped appointment key but the occurrence's own ones, each with its reason", () => {
    const keys = DEFAULT_FIELD_MAPS.appointment.flatMap((rule) => rule.outlook);
    const writes = Object.fromEntries(keys.map((key) => [key, "x"]));
    assert.deepEqual(Object.keys(sharedSeriesWrites(writes)).sort(), [
      "body",
      "location",
      "optionalAttendees",
      "organizer",
      "priority",
      "requiredAttendees",
      "showTimeAs",
      "subject",
    ]);
    for (const key of Object.keys(OWN_OCCURRENCE_KEYS)) assert.ok(keys.includes(key), `${key} is mapped`);
  });
});
