import assert from "node:assert/strict";
import { isInFilter, leftFilterAction, type FilterRecord } from "../../src/core/filter-rules";
import type { CrmRecordType } from "../../src/core/types";

const ALICE = { id: "alice", emails: ["Alice@Example.com", "a.lee@example.org"] };

describe("filter rules: SPEC §4 local data rules", () => {
  const rows: readonly (readonly [string, FilterRecord, boolean, boolean])[] = [
    ["contact owned by the user: in", { type: "contact", owner: "alice" }, false, true],
    ["contact owned by someone else: out", { type: "contact", owner: "bob" }, false, false],
    ["contact owned by someone else, tracked by hand: in", { type: "contact", owner: "bob" }, true, true],
    [
      "appointment organized by the user (by id): in",
      { type: "appointment", owner: "bob", organizer: "alice" },
      false,
      true,
    ],
    [
      "appointment organized by the user (by e-mail, any case): in",
      { type: "appointment", owner: "bob", organizer: "ALICE@example.com" },
      false,
      true,
    ],
    [
      "appointment the user attends (second e-mail): in",
      { type: "appointment", owner: "bob", organizer: "bob", attendees: ["carol", "a.lee@EXAMPLE.org"] },
      false,
      true,
    ],
    [
      "appointment the user neither organizes nor attends, even if owned: out",
      { type: "appointment", owner: "alice", organizer: null, attendees: ["carol"] },
      false,
      false,
    ],
    ["appointment without organizer or attendees: out", { type: "appointment", owner: "bob" }, true, false],
    ["task owned by the user: in", { type: "task", owner: "alice" }, false, true],
    [
      "task owned by someone else: out, even when tracked by hand",
      { type: "task", owner: "bob" },
      true,
      false,
    ],
    ["e-mail tracked by the user: in", { type: "email", owner: "bob" }, true, true],
    ["e-mail not tracked: out", { type: "email", owner: "alice" }, false, false],
    ["account: never synced", { type: "account", owner: "alice" }, true, false],
  ];
  for (const [title, record, trackedByHand, expected] of rows) {
    it(title, () => assert.equal(isInFilter(record, ALICE, trackedByHand), expected));
  }
});

describe("filter rules: SPEC §4 a record that left the filter", () => {
  const rows: readonly (readonly [CrmRecordType, boolean, string])[] = [
    ["contact", false, "treatAsDelete"],
    ["contact", true, "keep"],
    ["appointment", true, "treatAsDelete"],
    ["task", false, "treatAsDelete"],
    ["email", true, "treatAsDelete"],
  ];
  for (const [type, trackedByHand, expected] of rows) {
    it(`${type}${trackedByHand ? " tracked by hand" : ""}: ${expected}`, () => {
      assert.equal(leftFilterAction(type, trackedByHand), expected);
    });
  }
});
