// Recurring series through the engine (docs/SPEC.md §15), over the real adapters: GraphMailboxStore on the
// Graph subset server (which lists a series as its occurrences), HttpCrmClient on the real server.
import assert from "node:assert/strict";
import type { CrmRecord } from "../../src/ports/crm-client";
import { SIM_ADDIN_ID } from "../../src/sim/scenario/scenario-world";
import { HistoryWorld, SharedServer } from "./support/reliability-harness";

const WEEKLY =
  "pattern=weekly;interval=1;daysOfWeek=monday,wednesday;firstDayOfWeek=sunday;range=endDate;startDate=2026-03-09;endDate=2026-03-25";

let shared: SharedServer;
let users = 0;

describe("SyncEngine: recurring series (SPEC §15)", function () {
  this.timeout(60_000);
  let open: HistoryWorld[] = [];
  before(async () => {
    shared = await SharedServer.start();
  });
  after(async () => {
    await shared.close();
  });
  afterEach(async () => {
    for (const w of open) await w.close();
    open = [];
  });

  const world = async (): Promise<HistoryWorld> => {
    users += 1;
    const w = new HistoryWorld(shared, `ser${users}-${Date.now().toString(36)}`);
    await w.start({ settings: { entities: ["appointment"] } });
    open.push(w);
    return w;
  };
  const records = async (w: HistoryWorld): Promise<CrmRecord[]> =>
    (await w.shared.server.service.records.listAll()).filter((r) => r.owner === w.userId);
  const series = (w: HistoryWorld) =>
    w.mailbox.createItem(
      {
        type: "appointment",
        fields: {
          subject: "Stand-up",
          start: "2026-03-09T09:00:00Z",
          end: "2026-03-09T09:15:00Z",
          recurrence: WEEKLY,
        },
      },
      { notify: false, by: "world" },
    );

  it("leaves an untracked series alone, occurrences and exceptions included", async () => {
    const w = await world();
    const master = series(w);
    w.mailbox.updateOccurrence(
      master.immutableId,
      "2026-03-11T09:00:00Z",
      { fields: { subject: "Moved" } },
      { notify: false, by: "world" },
    );
    await w.sync();
    w.mailbox.cancelOccurrence(master.immutableId, "2026-03-16T09:00:00Z", { notify: false });
    await w.sync();
    assert.deepEqual(await records(w), []);
  });

  it("tracks the whole series when the user tracks one of its exceptions, with the exceptions it has", async () => {
    const w = await world();
    const master = series(w);
    const exception = w.mailbox.updateOccurrence(
      master.immutableId,
      "2026-03-11T09:00:00Z",
      { fields: { subject: "Moved" } },
      { notify: false, by: "world" },
    );
    await w.sync();
    await w.engine.track({
      surface: "explorer",
      item: { itemId: exception.immutableId, type: "appointment" },
    });
    await w.sync();
    const made = await records(w);
    const seriesRecord = made.find((record) => record.fields["recurrencepattern"] === WEEKLY);
    assert.deepEqual(
      made
        .map((record) => [
          record.fields["subject"],
          record.fields["seriesid"] === undefined ? "series" : record.fields["seriesid"] === seriesRecord?.id,
          record.fields["originalstart"],
        ])
        // Both records are made in one write, so their creation times tie: the series first, by its original start.
        .sort((a, b) => String(a[2] ?? "").localeCompare(String(b[2] ?? ""))),
      [
        ["Stand-up", "series", undefined],
        ["Moved", true, "2026-03-11T09:00:00Z"],
      ],
      "the exception made before the series was tracked is its exception record from the tracking cycle on",
    );
    w.clock.moveTo(w.clock.now() + 60_000);
    w.mailbox.updateItem(exception.immutableId, { fields: { location: "Room 2" } }, { notify: false });
    await w.sync();
    const after = await records(w);
    const child = after.find((record) => record.fields["seriesid"] === seriesRecord?.id);
    assert.equal(after.length, 2, "a later edit of the exception merges with its record");
    assert.deepEqual(
      [child?.fields["subject"], child?.fields["location"], child?.fields["originalstart"]],
      ["Moved", "Room 2", "2026-03-11T09:00:00Z"],
    );
    assert.deepEqual(w.engine.status().errors, []);
  });

  it("sends a series' earlier exceptions with it at the tracking cycle, each stamped, and no others", async () => {
    const w = await world();
    const master = series(w);
    const exceptions = ["2026-03-11T09:00:00Z", "2026-03-16T09:00:00Z"].map(
      (originalStart, index) =>
        w.mailbox.updateOccurrence(
          master.immutableId,
          originalStart,
          { fields: { location: `Room ${index + 1}` } },
          { notify: false, by: "world" },
        ).immutableId,
    );
    w.mailbox.cancelOccurrence(master.immutableId, "2026-03-18T09:00:00Z", { notify: false });
    await w.sync();
    await w.engine.track({ surface: "explorer", item: { itemId: master.immutableId, type: "appointment" } });
    const made = await records(w);
    const seriesRecord = made.find((record) => record.fields["seriesid"] === undefined);
    assert.deepEqual(seriesRecord?.fields["cancelledoccurrences"], ["2026-03-18T09:00:00Z"]);
    const children = made.filter((record) => record.fields["seriesid"] === seriesRecord?.id);
    assert.deepEqual(
      children.map((record) => [record.fields["originalstart"], record.fields["location"]]).sort(),
      [
        ["2026-03-11T09:00:00Z", "Room 1"],
        ["2026-03-16T09:00:00Z", "Room 2"],
      ],
    );
    assert.equal(made.length, 3);
    for (const [index, itemId] of exceptions.entries()) {
      const record = children.find((child) => child.fields["location"] === `Room ${index + 1}`);
      assert.deepEqual(
        w.mailbox.customProperties(itemId, SIM_ADDIN_ID),
        { crmId: record?.id, state: "tracked" },
        "the exception carries its record's id",
      );
    }
    await w.sync();
    assert.equal((await records(w)).length, 3, "the next cycles make nothing more");
    assert.deepEqual(w.engine.status().errors, []);
  });

  it("carries a CRM edit of the series to the exceptions that kept the master's old value, field by field", async () => {
    const w = await world();
    const master = series(w);
    const exception = (originalStart: string, fields: Record<string, string>) =>
      w.mailbox.updateOccurrence(
        master.immutableId,
        originalStart,
        { fields },
        { notify: false, by: "world" },
      ).immutableId;
    const moved = exception("2026-03-11T09:00:00Z", {
      start: "2026-03-11T11:00:00Z",
      end: "2026-03-11T11:15:00Z",
    });
    const renamed = exception("2026-03-16T09:00:00Z", { subject: "Review" });
    await w.sync();
    await w.engine.track({ surface: "explorer", item: { itemId: master.immutableId, type: "appointment" } });
    const seriesRecord = (await records(w)).find((record) => record.fields["recurrencepattern"] === WEEKLY);
    assert.ok(seriesRecord);
    w.advance(60_000);
    await w.shared.server.service.records.update({
      by: w.userId,
      id: seriesRecord.id,
      fields: { subject: "Daily", location: "Room 7" },
    });
    w.advance(60_000);
    await w.sync();
    const outlook = (itemId: string) => {
      const fields = w.mailbox.get(itemId)?.fields;
      return [fields?.subject, fields?.location, fields?.start];
    };
    assert.deepEqual(outlook(master.immutableId), ["Daily", "Room 7", "2026-03-09T09:00:00Z"]);
    assert.deepEqual(outlook(moved), ["Daily", "Room 7", "2026-03-11T11:00:00Z"], "kept both old values");
    assert.deepEqual(outlook(renamed), ["Review", "Room 7", "2026-03-16T09:00:00Z"], "kept its own subject");
    w.advance(60_000);
    await w.sync();
    const children = (await records(w))
      .filter((record) => record.fields["seriesid"] === seriesRecord.id)
      .map((record) => [record.fields["originalstart"], record.fields["subject"], record.fields["location"]])
      .sort();
    assert.deepEqual(children, [
      ["2026-03-11T09:00:00Z", "Daily", "Room 7"],
      ["2026-03-16T09:00:00Z", "Review", "Room 7"],
    ]);
    assert.deepEqual(await w.engine.conflicts(), []);
    assert.deepEqual(w.engine.status().errors, []);
  });

  it("tracks the series, never the occurrence, when the user tracks a plain occurrence", async () => {
    const w = await world();
    const master = series(w);
    await w.sync();
    const [occurrence] = w.mailbox.instances(
      master.immutableId,
      Date.parse("2026-03-16T00:00:00Z"),
      Date.parse("2026-03-17T00:00:00Z"),
    );
    assert.ok(occurrence);
    await w.engine.track({ surface: "explorer", item: occurrence });
    await w.sync();
    assert.deepEqual(
      (await records(w)).map((record) => [record.fields["recurrencepattern"], record.fields["seriesid"]]),
      [[WEEKLY, undefined]],
    );
  });

  it("drops a CRM exception of a series deleted in Outlook, and never makes it an item", async () => {
    const w = await world();
    const master = series(w);
    await w.sync();
    await w.engine.track({ surface: "explorer", item: { itemId: master.immutableId, type: "appointment" } });
    const [record] = await records(w);
    assert.ok(record);
    w.mailbox.deleteItem(master.immutableId, { notify: false });
    w.clock.moveTo(Date.parse("2026-03-30T09:00:00Z"));
    await w.sync();
    assert.equal(
      (await records(w)).find((r) => r.id === record.id)?.deleted,
      false,
      "an ended series is kept",
    );
    await w.shared.server.service.records.create({
      by: w.userId,
      type: "appointment",
      fields: {
        subject: "Late exception",
        organizer: `${w.userId}@contoso.example`,
        seriesid: record.id,
        originalstart: "2026-03-23T09:00:00Z",
        scheduledstart: "2026-03-23T10:00:00Z",
        scheduledend: "2026-03-23T10:15:00Z",
      },
    });
    await w.sync();
    const items = w.mailbox.allItems().filter((item) => !item.deleted);
    assert.deepEqual(items, []);
    assert.deepEqual(w.engine.status().errors, []);
  });
});
