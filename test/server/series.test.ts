/**
 * Recurring appointments on the CRM side (docs/SPEC.md §15): a series record with its pattern, exception
 * records keyed by (seriesid, originalstart), the checks on both, and a series delete that takes its
 * exceptions with it in one transaction.
 */
import assert from "node:assert/strict";
import { SyncError } from "../../src/core/errors";
import type { HttpCrmClient } from "../../src/adapters/http/http-crm-client";
import type { CrmRecord } from "../../src/ports/crm-client";
import { startTestServer, type TestServer } from "./support/test-server";

const WEEKLY =
  "pattern=weekly;interval=1;daysOfWeek=monday,wednesday;firstDayOfWeek=sunday;range=endDate;startDate=2026-12-07;endDate=2026-12-23";

const rejectsWith = (promise: Promise<unknown>, code: string, details: RegExp) =>
  assert.rejects(
    promise,
    (error: unknown) =>
      error instanceof SyncError && error.code === code && details.test(error.details ?? ""),
  );

let keys = 0;
const key = () => `series-key-${++keys}`;

describe("CRM appointment series (SPEC §15)", function () {
  this.timeout(60_000);
  let t: TestServer;
  let alice: HttpCrmClient;
  let bob: HttpCrmClient;

  before(async () => {
    t = await startTestServer();
    alice = t.client(await t.user("alice", ["SyncToOutlook", "GoOffline"], ["alice@contoso.example"]));
    bob = t.client(await t.user("bob", ["SyncToOutlook", "GoOffline"], ["bob@contoso.example"]));
  });
  after(() => t.dispose());

  const series = (fields: Record<string, unknown> = {}): Promise<CrmRecord> =>
    alice.createRecord({
      idempotencyKey: key(),
      type: "appointment",
      fields: {
        subject: "Stand-up",
        organizer: "alice@contoso.example",
        scheduledstart: "2026-12-07T09:00:00Z",
        scheduledend: "2026-12-07T09:15:00Z",
        recurrencepattern: WEEKLY,
        ...fields,
      },
    });
  const exception = (client: HttpCrmClient, seriesId: string, fields: Record<string, unknown> = {}) =>
    client.createRecord({
      idempotencyKey: key(),
      type: "appointment",
      fields: {
        subject: "Stand-up (moved)",
        organizer: "alice@contoso.example",
        scheduledstart: "2026-12-09T11:00:00Z",
        scheduledend: "2026-12-09T11:15:00Z",
        seriesid: seriesId,
        originalstart: "2026-12-09T09:00:00Z",
        ...fields,
      },
    });

  it("refuses a bad pattern, cancelled-occurrence list or original start, naming the field", async () => {
    await rejectsWith(
      series({ recurrencepattern: "pattern=daily" }),
      "invalidInput",
      /recurrencepattern: .*range=/,
    );
    await rejectsWith(
      series({ cancelledoccurrences: ["next monday"] }),
      "invalidInput",
      /cancelledoccurrences: expected an array of ISO 8601 dates and times/,
    );
    await rejectsWith(
      series({ recurrencepattern: null, originalstart: "2026-12-09T09:00:00Z" }),
      "invalidInput",
      /originalstart: belongs to an exception/,
    );
  });

  it("keeps one exception per series and original start, naming a live series the user can read", async () => {
    const standUp = await series();
    const moved = await exception(alice, standUp.id);
    assert.equal(moved.fields["seriesid"], standUp.id);
    await rejectsWith(
      exception(alice, standUp.id),
      "invalidInput",
      /already has an exception for 2026-12-09T09:00:00Z/,
    );
    await rejectsWith(
      exception(alice, standUp.id, { originalstart: null }),
      "invalidInput",
      /originalstart: an exception needs the start/,
    );
    await rejectsWith(
      exception(alice, standUp.id, { recurrencepattern: WEEKLY, originalstart: "2026-12-14T09:00:00Z" }),
      "invalidInput",
      /an exception has no pattern of its own/,
    );
    await rejectsWith(
      exception(bob, standUp.id),
      "invalidInput",
      /no appointment series .* that you can read/,
    );
    const single = await series({ recurrencepattern: null });
    await rejectsWith(exception(alice, single.id), "invalidInput", /no appointment series/);
    await rejectsWith(exception(alice, "not-an-id"), "invalidInput", /seriesid: must be a record id/);
  });

  it("never changes an exception's series or original start, never drops a series' pattern or a cancellation", async () => {
    const standUp = await series();
    const moved = await exception(alice, standUp.id);
    await rejectsWith(
      alice.updateRecord({
        id: moved.id,
        expectedVersion: moved.version,
        fields: { originalstart: "2026-12-14T09:00:00Z" },
      }),
      "invalidInput",
      /originalstart: is set when the exception is made/,
    );
    await rejectsWith(
      alice.updateRecord({
        id: standUp.id,
        expectedVersion: standUp.version,
        fields: { recurrencepattern: null },
      }),
      "invalidInput",
      /a series keeps its pattern/,
    );
    const cancelled = await alice.updateRecord({
      id: standUp.id,
      expectedVersion: standUp.version,
      fields: { cancelledoccurrences: ["2026-12-14T09:00:00Z"] },
    });
    assert.equal(cancelled.status, "updated");
    if (cancelled.status !== "updated") return;
    await rejectsWith(
      alice.updateRecord({
        id: standUp.id,
        expectedVersion: cancelled.record.version,
        fields: { cancelledoccurrences: ["2026-12-16T09:00:00Z"] },
      }),
      "invalidInput",
      /a cancelled occurrence cannot come back \(2026-12-14T09:00:00Z\)/,
    );
  });

  it("deletes a series' exceptions with it: each leaves a tombstone in the change feed", async () => {
    const standUp = await series();
    const moved = await exception(alice, standUp.id);
    const other = await exception(alice, standUp.id, {
      originalstart: "2026-12-14T09:00:00Z",
      scheduledstart: "2026-12-14T10:00:00Z",
    });
    await alice.deleteRecord({ id: standUp.id, expectedVersion: standUp.version });
    const data = await alice.getSpecificSyncData([standUp.id, moved.id, other.id]);
    assert.deepEqual(data.records, []);
    assert.deepEqual(
      new Set(data.missing.map((entry) => `${entry.id} ${entry.reason}`)),
      new Set([standUp.id, moved.id, other.id].map((id) => `${id} deleted`)),
    );
    const tombstones = await t.db.query<{ record_id: string }>(
      "SELECT record_id FROM tombstones WHERE record_id = ANY($1::uuid[]) ORDER BY version",
      [[standUp.id, moved.id, other.id]],
    );
    assert.equal(tombstones.rows.length, 3);
    assert.equal(tombstones.rows[0]?.record_id, standUp.id);
  });
});
