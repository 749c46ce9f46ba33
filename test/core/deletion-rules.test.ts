import assert from "node:assert/strict";
import {
  decideCrmSideOfOutlookDelete,
  decideOutlookSideOfCrmDelete,
  offersDeleteChoiceOnUntrack,
  type DeletionOutcome,
  type OutlookDeleteInput,
} from "../../src/core/deletion-rules";
import { BugError, SyncError } from "../../src/core/errors";
import { firstMatch } from "../../src/core/rule-table";
import type { EntityType, Fields } from "../../src/core/types";

const NOW = Date.parse("2026-03-02T09:00:00Z");
const FUTURE = "2026-03-03T09:00:00Z";
const PAST = "2026-03-01T09:00:00Z";

function outlookDelete(overrides: Partial<OutlookDeleteInput> & { type: EntityType }): DeletionOutcome {
  return decideCrmSideOfOutlookDelete({
    reason: "deleted",
    crm: {},
    now: NOW,
    userIsOwnerOrOrganizer: true,
    userChoseDelete: false,
    ...overrides,
  });
}

describe("deletion rules: SPEC §8 deleted in Outlook", () => {
  const rows: readonly (readonly [
    string,
    Partial<OutlookDeleteInput> & { type: EntityType },
    DeletionOutcome,
  ])[] = [
    ["contact deleted: never deleted in the CRM", { type: "contact" }, "ignore"],
    [
      "contact untracked, user chose delete: deleted in the CRM",
      { type: "contact", reason: "untracked", userChoseDelete: true },
      "delete",
    ],
    [
      "contact untracked, no delete chosen: kept in the CRM",
      { type: "contact", reason: "untracked" },
      "unlinkKeep",
    ],
    [
      "appointment open, future, user organizer: deleted in the CRM",
      { type: "appointment", crm: { statecode: 0, scheduledstart: FUTURE } },
      "delete",
    ],
    [
      "appointment scheduled, future, user owner, untracked: deleted in the CRM",
      { type: "appointment", reason: "untracked", crm: { statecode: 3, scheduledstart: FUTURE } },
      "delete",
    ],
    [
      "appointment completed: kept",
      { type: "appointment", crm: { statecode: 1, scheduledstart: FUTURE } },
      "unlinkKeep",
    ],
    [
      "appointment canceled: kept",
      { type: "appointment", crm: { statecode: 2, scheduledstart: FUTURE } },
      "unlinkKeep",
    ],
    [
      "appointment in the past: kept",
      { type: "appointment", crm: { statecode: 3, scheduledstart: PAST } },
      "unlinkKeep",
    ],
    ["appointment without a start: kept", { type: "appointment", crm: { statecode: 3 } }, "unlinkKeep"],
    [
      "appointment where the user is neither owner nor organizer: kept",
      { type: "appointment", crm: { statecode: 3, scheduledstart: FUTURE }, userIsOwnerOrOrganizer: false },
      "unlinkKeep",
    ],
    ["task not completed: deleted in the CRM", { type: "task", crm: { statecode: 0 } }, "delete"],
    ["task canceled (not completed): deleted in the CRM", { type: "task", crm: { statecode: 2 } }, "delete"],
    ["task completed: kept", { type: "task", crm: { statecode: 1 } }, "unlinkKeep"],
    [
      "task untracked, not completed: deleted in the CRM",
      { type: "task", reason: "untracked", crm: { statecode: 0 } },
      "delete",
    ],
    ["e-mail deleted: never deleted in the CRM", { type: "email", userChoseDelete: true }, "ignore"],
    [
      "e-mail untracked, user chose delete: deleted in the CRM",
      { type: "email", reason: "untracked", userChoseDelete: true },
      "delete",
    ],
    ["e-mail untracked, no delete chosen: kept", { type: "email", reason: "untracked" }, "unlinkKeep"],
  ];
  for (const [title, input, expected] of rows) {
    it(title, () => assert.equal(outlookDelete(input), expected));
  }

  it("rejects a start that is not a date, naming the field and value", () => {
    assert.throws(
      () => outlookDelete({ type: "appointment", crm: { statecode: 3, scheduledstart: "next week" } }),
      (error: unknown) =>
        error instanceof SyncError &&
        error.code === "invalidInput" &&
        /scheduledstart "next week"/.test(error.message),
    );
  });

  it("rejects a now that is not finite", () => {
    assert.throws(() => outlookDelete({ type: "appointment", now: Number.NaN }), SyncError);
  });
});

describe("deletion rules: SPEC §8 deleted in the CRM", () => {
  const rows: readonly (readonly [string, EntityType, Fields, boolean, DeletionOutcome])[] = [
    ["contact, user not the CRM owner: deleted in Outlook", "contact", {}, false, "delete"],
    ["contact, user is the CRM owner: unlinked and kept", "contact", {}, true, "unlinkKeep"],
    [
      "appointment starting in the future: deleted in Outlook",
      "appointment",
      { start: FUTURE },
      true,
      "delete",
    ],
    ["appointment in the past: unlinked and kept", "appointment", { start: PAST }, false, "unlinkKeep"],
    ["task not completed: deleted in Outlook", "task", { status: "inProgress" }, true, "delete"],
    ["task completed: unlinked and kept", "task", { status: "completed" }, true, "unlinkKeep"],
    ["e-mail: never deleted in Outlook", "email", { subject: "Hi" }, false, "ignore"],
  ];
  for (const [title, type, outlook, userIsCrmOwner, expected] of rows) {
    it(title, () =>
      assert.equal(decideOutlookSideOfCrmDelete({ type, outlook, now: NOW, userIsCrmOwner }), expected),
    );
  }

  it("rejects an Outlook start that is not text", () => {
    assert.throws(
      () =>
        decideOutlookSideOfCrmDelete({
          type: "appointment",
          outlook: { start: 5 },
          now: NOW,
          userIsCrmOwner: false,
        }),
      SyncError,
    );
  });
});

describe("deletion rules: untrack choice", () => {
  const rows: readonly (readonly [EntityType, boolean])[] = [
    ["contact", true],
    ["email", true],
    ["appointment", false],
    ["task", false],
  ];
  for (const [type, expected] of rows) {
    it(`${type} ${expected ? "offers" : "does not offer"} "also delete in the CRM?"`, () => {
      assert.equal(offersDeleteChoiceOnUntrack(type), expected);
    });
  }
});

describe("rule tables", () => {
  it("a table without a matching row is a bug, named in the error", () => {
    assert.throws(
      () => firstMatch("Test table", [{ when: { a: true }, outcome: 1 }], { a: false }),
      (error: unknown) => error instanceof BugError && /Test table/.test(error.message),
    );
  });
});
