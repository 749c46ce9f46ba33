/** The change feed through the in-process service: filter membership, leftFilter, tombstones, cursors. */
import assert from "node:assert/strict";
import { SyncError } from "../../src/core/errors";
import type { SyncEntry } from "../../src/ports/crm-client";
import { createCrmService, RecordConflictError, type CrmService } from "../../src/server";
import { ManualClock } from "../support/manual-clock";
import { openTestDatabase, silentLogger } from "./support/test-database";

const DAY = 86_400_000;

describe("CRM service: change feed", () => {
  let dispose: () => Promise<void>;
  let service: CrmService;
  let clock: ManualClock;

  /** Every entry after `after`, page by page, with the final cursor. */
  async function drain(user: string, clientId: string, after: number, limit = 2) {
    const entries: SyncEntry[] = [];
    let cursor = after;
    for (;;) {
      const page = await service.sync.page(user, { clientId, after: cursor, limit });
      entries.push(...page.entries);
      assert.ok(page.nextAfter >= cursor, "the cursor never moves back");
      cursor = page.nextAfter;
      if (!page.hasMore) return { entries, cursor };
    }
  }

  const kindOf = (entries: SyncEntry[], id: string) =>
    entries.filter((e) => e.crmId === id).map((e) => e.kind);

  before(async () => {
    const database = await openTestDatabase();
    dispose = () => database.dispose();
    clock = new ManualClock();
    service = createCrmService({ db: database.db, clock, logger: silentLogger });
    await service.users.create({
      id: "alice",
      privileges: ["SyncToOutlook", "GoOffline"],
      emails: ["Alice@Contoso.example"],
    });
    await service.users.create({ id: "bob", privileges: ["SyncToOutlook"] });
    await service.users.create({ id: "nopriv", privileges: [] });
    await service.users.create({ id: "admin", privileges: [], administrator: true });
    for (const [user, client] of [
      ["alice", "desk"],
      ["alice", "laptop"],
      ["bob", "desk"],
      ["nopriv", "desk"],
    ] as const) {
      await service.clients.register(user, client);
    }
  });
  after(() => dispose());

  it("lists a user's contacts, tasks and appointments in version order, page by page", async () => {
    const start = await service.sync.latestVersion();
    const contact = (
      await service.records.create({ by: "alice", type: "contact", fields: { lastname: "Lee" } })
    ).record;
    const task = (await service.records.create({ by: "alice", type: "task", fields: { subject: "Call" } }))
      .record;
    const meeting = (
      await service.records.create({
        by: "bob",
        type: "appointment",
        fields: { subject: "Review", organizer: "bob", requiredattendees: ["ALICE@contoso.example "] },
      })
    ).record;
    await service.records.create({ by: "alice", type: "account", fields: { name: "Contoso" } });
    const { entries } = await drain("alice", "desk", start);
    assert.deepEqual(
      entries.map((e) => [e.crmId, e.kind]),
      [
        [contact.id, "upsert"],
        [task.id, "upsert"],
        [meeting.id, "upsert"],
      ],
    );
    const versions = entries.map((e) => e.version);
    assert.deepEqual(
      versions,
      [...versions].sort((a, b) => a - b),
    );
    assert.equal(new Set(versions).size, versions.length);
    const bob = await drain("bob", "desk", start);
    assert.deepEqual(
      bob.entries.map((e) => e.crmId),
      [meeting.id],
      "bob sees only his meeting",
    );
  });

  it("reports a reassigned contact as leftFilter to the old owner, unless they tracked it by hand", async () => {
    const plain = (
      await service.records.create({
        by: "admin",
        owner: "alice",
        type: "contact",
        fields: { lastname: "Plain" },
      })
    ).record;
    const tracked = (
      await service.records.create({
        by: "alice",
        type: "contact",
        fields: { lastname: "Kept" },
        trackedByHand: true,
      })
    ).record;
    const cursor = await service.sync.latestVersion();
    await service.records.assign({ by: "alice", id: plain.id, owner: "bob" });
    await service.records.assign({ by: "alice", id: tracked.id, owner: "bob" });
    const alice = await drain("alice", "desk", cursor);
    assert.deepEqual(kindOf(alice.entries, plain.id), ["leftFilter"]);
    assert.deepEqual(kindOf(alice.entries, tracked.id), ["upsert"]);
    const bob = await drain("bob", "desk", cursor);
    assert.deepEqual(kindOf(bob.entries, plain.id), ["upsert"]);
    const read = await service.records.read("alice", [plain.id, tracked.id]);
    assert.deepEqual(
      read.records.map((r) => r.id),
      [tracked.id],
    );
    assert.deepEqual(read.missing, [{ id: plain.id, reason: "notFound" }]);
  });

  it("marking an existing contact as tracked by hand keeps it through a later reassignment", async () => {
    const contact = (
      await service.records.create({ by: "alice", type: "contact", fields: { lastname: "Mark" } })
    ).record;
    await service.records.setTrackedByHand({ by: "alice", id: contact.id, tracked: true });
    const cursor = await service.sync.latestVersion();
    await service.records.assign({ by: "alice", id: contact.id, owner: "bob" });
    assert.deepEqual(kindOf((await drain("alice", "desk", cursor)).entries, contact.id), ["upsert"]);
    await service.records.setTrackedByHand({ by: "alice", id: contact.id, tracked: false });
    assert.deepEqual(kindOf((await drain("alice", "desk", cursor)).entries, contact.id), ["leftFilter"]);
  });

  it("keeps a record removed from a user's Outlook out of that user's view only, until they track it by hand", async () => {
    const contact = (
      await service.records.create({
        by: "alice",
        type: "contact",
        fields: { lastname: "Removed" },
        trackedByHand: true,
      })
    ).record;
    const meeting = (
      await service.records.create({
        by: "bob",
        type: "appointment",
        fields: { subject: "Shared", organizer: "bob", requiredattendees: ["alice@contoso.example"] },
      })
    ).record;
    const cursor = await service.sync.latestVersion();
    await service.sync.acknowledge("alice", {
      clientId: "desk",
      version: 0,
      removedFromOutlook: [contact.id, meeting.id, contact.id],
    });
    await service.records.update({ by: "alice", id: contact.id, fields: { firstname: "Ann" } });
    await service.records.update({ by: "bob", id: meeting.id, fields: { location: "Room 2" } });
    const alice = await drain("alice", "laptop", cursor);
    assert.deepEqual(kindOf(alice.entries, contact.id), ["leftFilter"], "every client of alice is told");
    assert.deepEqual(kindOf(alice.entries, meeting.id), ["leftFilter"], "a later change is not offered");
    const listing = (await drain("alice", "laptop", 0, 1000)).entries;
    assert.ok(
      listing.every((e) => e.kind !== "upsert" || (e.crmId !== contact.id && e.crmId !== meeting.id)),
      "a client with a new cache is not offered them",
    );
    assert.deepEqual(kindOf((await drain("bob", "desk", cursor)).entries, meeting.id), ["upsert"]);
    assert.equal((await service.records.read("alice", [contact.id])).records.length, 1, "still readable");
    const tracked = await service.sync.latestVersion();
    await service.records.setTrackedByHand({ by: "alice", id: contact.id, tracked: true });
    assert.deepEqual(kindOf((await drain("alice", "laptop", tracked)).entries, contact.id), ["upsert"]);
    await service.records.update({ by: "alice", id: contact.id, fields: { firstname: "Anne" } });
    assert.deepEqual(kindOf((await drain("alice", "laptop", tracked)).entries, contact.id), ["upsert"]);
    assert.deepEqual(kindOf((await drain("alice", "laptop", tracked)).entries, meeting.id), []);
  });

  it("skips removal reports of records the user cannot read and refuses too many", async () => {
    const secret = (
      await service.records.create({ by: "bob", type: "contact", fields: { lastname: "Bob's" } })
    ).record;
    const cursor = await service.sync.latestVersion();
    await service.sync.acknowledge("alice", {
      clientId: "desk",
      version: 0,
      removedFromOutlook: [secret.id],
    });
    assert.deepEqual(kindOf((await drain("bob", "desk", cursor)).entries, secret.id), []);
    const many = Array.from(
      { length: 501 },
      (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
    );
    await assert.rejects(
      service.sync.acknowledge("alice", { clientId: "desk", version: 0, removedFromOutlook: many }),
      { code: "invalidInput", field: "removedFromOutlook" },
    );
  });

  it("delivers a delete as a tombstone and answers the record as deleted", async () => {
    const task = (await service.records.create({ by: "alice", type: "task", fields: { subject: "Gone" } }))
      .record;
    const cursor = await service.sync.latestVersion();
    const { version } = await service.records.delete({
      by: "alice",
      id: task.id,
      expectedVersion: task.version,
    });
    const { entries } = await drain("alice", "desk", cursor);
    assert.deepEqual(
      entries.filter((e) => e.crmId === task.id),
      [{ crmId: task.id, type: "task", version, kind: "delete" }],
    );
    assert.deepEqual((await service.records.read("alice", [task.id])).missing, [
      { id: task.id, reason: "deleted" },
    ]);
    const all = await service.records.listAll();
    assert.equal(
      all.find((r) => r.id === task.id)?.deleted,
      true,
      "the record stays readable for the scenario output",
    );
    const meeting = (
      await service.records.create({
        by: "bob",
        type: "appointment",
        fields: { organizer: "bob", requiredattendees: ["alice"] },
      })
    ).record;
    await service.records.delete({ by: "bob", id: meeting.id });
    assert.deepEqual((await service.records.read("alice", [meeting.id])).missing, [
      { id: meeting.id, reason: "deleted" },
    ]);
    assert.deepEqual((await service.records.read("nopriv", [meeting.id])).missing, [
      { id: meeting.id, reason: "notFound" },
    ]);
    await assert.rejects(service.records.update({ by: "alice", id: task.id, fields: { subject: "x" } }), {
      code: "notFound",
    });
  });

  it("replays an idempotent create without writing again", async () => {
    const before = (await service.records.listAll()).length;
    const first = await service.records.create({
      by: "alice",
      type: "task",
      fields: { subject: "Once" },
      idempotencyKey: "key-once-1",
    });
    const again = await service.records.create({
      by: "alice",
      type: "task",
      fields: { subject: "Twice" },
      idempotencyKey: "key-once-1",
    });
    assert.equal(first.replayed, false);
    assert.equal(again.replayed, true);
    assert.deepEqual(again.record, first.record);
    assert.equal((await service.records.listAll()).length, before + 1);
    const bobs = await service.records.create({
      by: "bob",
      type: "task",
      fields: { subject: "Bob's" },
      idempotencyKey: "key-once-1",
    });
    assert.equal(bobs.replayed, false, "keys are scoped per user");
  });

  it("answers concurrent creates with one key with one record, and a replay that would now fail with it too", async () => {
    const before = (await service.records.listAll()).length;
    const attempts = await Promise.all(
      [1, 2, 3].map((n) =>
        service.records.create({
          by: "alice",
          type: "task",
          fields: { subject: `Attempt ${n}` },
          idempotencyKey: "key-race-1",
        }),
      ),
    );
    assert.equal(attempts.filter((a) => !a.replayed).length, 1, "one attempt creates");
    for (const attempt of attempts) assert.deepEqual(attempt.record, attempts[0]?.record);
    assert.equal((await service.records.listAll()).length, before + 1);
    const refused = await service.records.create({
      by: "alice",
      owner: "bob",
      type: "task",
      fields: { subject: "Not alice's to give" },
      idempotencyKey: "key-race-1",
    });
    assert.equal(refused.replayed, true);
    assert.deepEqual(refused.record, attempts[0]?.record);
    await assert.rejects(
      service.records.create({
        by: "alice",
        owner: "bob",
        type: "task",
        fields: { subject: "Not alice's to give" },
        idempotencyKey: "key-race-2",
      }),
      (error: unknown) => error instanceof SyncError && error.code === "forbidden",
    );
    assert.equal((await service.records.listAll()).length, before + 1);
  });

  it("rejects a stale update with the current record and keeps the stored fields", async () => {
    const contact = (
      await service.records.create({
        by: "alice",
        type: "contact",
        fields: { firstname: "A", lastname: "B" },
      })
    ).record;
    const updated = await service.records.update({
      by: "alice",
      id: contact.id,
      expectedVersion: contact.version,
      fields: { firstname: "A1", lastname: null },
    });
    assert.deepEqual(updated.fields, { firstname: "A1" });
    assert.ok(updated.modifiedAt >= contact.modifiedAt);
    const stale = service.records.update({
      by: "alice",
      id: contact.id,
      expectedVersion: contact.version,
      fields: { firstname: "A2" },
    });
    await assert.rejects(
      stale,
      (error: unknown) => error instanceof RecordConflictError && error.current.fields["firstname"] === "A1",
    );
    assert.deepEqual((await service.records.get(contact.id))?.fields, { firstname: "A1" });
  });

  it("makes PostSync monotone and idempotent, and refuses a version from the future", async () => {
    const latest = await service.sync.latestVersion();
    assert.equal(await service.sync.acknowledge("alice", { clientId: "laptop", version: latest }), latest);
    assert.equal(await service.sync.acknowledge("alice", { clientId: "laptop", version: 1 }), latest);
    assert.equal(await service.sync.acknowledge("alice", { clientId: "laptop", version: latest }), latest);
    await assert.rejects(service.sync.acknowledge("alice", { clientId: "laptop", version: latest + 10 }), {
      code: "invalidInput",
    });
    await assert.rejects(service.sync.acknowledge("alice", { clientId: "nope", version: 0 }), {
      code: "notFound",
    });
  });

  it("counts waiting changes per entity in PrepareSync", async () => {
    await service.clients.register("bob", "fresh");
    const counts = await service.sync.prepare("bob", "fresh");
    const listed = (await drain("bob", "fresh", 0, 1000)).entries;
    assert.equal(counts.total, listed.length);
    assert.equal(counts.counts.contact, listed.filter((e) => e.type === "contact").length);
    assert.equal(counts.counts.appointment, listed.filter((e) => e.type === "appointment").length);
  });

  it("refuses sync calls without SyncToOutlook", async () => {
    await assert.rejects(service.sync.prepare("nopriv", "desk"), { code: "noSyncPrivilege" });
    await assert.rejects(service.sync.page("nopriv", { clientId: "desk" }), { code: "noSyncPrivilege" });
    await service.users.setPrivileges("nopriv", ["SyncToOutlook"]);
    assert.equal((await service.sync.prepare("nopriv", "desk")).ackedVersion, 0);
  });

  it("puts existing appointments into a new user's filter when they name the user's e-mail", async () => {
    const meeting = (
      await service.records.create({
        by: "bob",
        type: "appointment",
        fields: { subject: "Intro", organizer: "bob", optionalattendees: ["carol@fabrikam.example"] },
      })
    ).record;
    await service.users.create({
      id: "carol",
      privileges: ["SyncToOutlook"],
      emails: ["Carol@Fabrikam.example"],
    });
    await service.clients.register("carol", "desk");
    assert.deepEqual(
      (await drain("carol", "desk", 0)).entries.map((e) => e.crmId),
      [meeting.id],
    );
  });

  it("drops acknowledged tombstones, and answers resyncRequired once retention collected unacknowledged ones", async () => {
    await service.users.create({ id: "dave", privileges: ["SyncToOutlook"] });
    await service.clients.register("dave", "a");
    await service.clients.register("dave", "b");
    const one = (await service.records.create({ by: "dave", type: "task", fields: { subject: "1" } })).record;
    const two = (await service.records.create({ by: "dave", type: "task", fields: { subject: "2" } })).record;
    const cursor = (await drain("dave", "a", 0)).cursor;
    await service.sync.acknowledge("dave", { clientId: "a", version: cursor });
    await service.sync.acknowledge("dave", { clientId: "b", version: cursor });
    await service.records.delete({ by: "dave", id: one.id });
    const afterDelete = await service.sync.latestVersion();
    await service.sync.acknowledge("dave", { clientId: "a", version: afterDelete });
    assert.deepEqual(
      kindOf((await drain("dave", "b", cursor)).entries, one.id),
      ["delete"],
      "b has not acknowledged it yet",
    );
    await service.sync.acknowledge("dave", { clientId: "b", version: afterDelete });
    assert.deepEqual(
      kindOf((await drain("dave", "a", 0)).entries, one.id),
      [],
      "acknowledged by every client: collected",
    );

    await service.records.delete({ by: "dave", id: two.id });
    clock.advance(31 * DAY);
    const report = await service.garbage.collect();
    assert.ok(report.expired >= 1);
    await assert.rejects(
      service.sync.page("dave", { clientId: "a" }),
      (error: unknown) => error instanceof SyncError && error.code === "resyncRequired",
    );
    await assert.rejects(service.sync.prepare("dave", "b"), { code: "resyncRequired" });
    const full = await drain("dave", "a", 0);
    assert.ok(!full.entries.some((e) => e.crmId === two.id), "a full listing is always answered");
    await service.sync.acknowledge("dave", { clientId: "a", version: full.cursor });
    assert.equal((await service.sync.prepare("dave", "a")).total, 0);
  });

  it("looks up accounts and contacts the user can read, by a word prefix of the name", async () => {
    const mine = (
      await service.records.create({ by: "alice", type: "account", fields: { name: "Northwind Traders" } })
    ).record;
    await service.records.create({ by: "bob", type: "account", fields: { name: "Northwind Bobs" } });
    const contact = (
      await service.records.create({
        by: "alice",
        type: "contact",
        fields: { firstname: "Nora", lastname: "Traders" },
      })
    ).record;
    const hits = await service.records.lookup("alice", "trad", ["account", "contact"], 10);
    assert.deepEqual(hits.map((h) => h.id).sort(), [mine.id, contact.id].sort());
    assert.deepEqual(
      await service.records.lookup("alice", "%", ["account"], 10),
      [],
      "LIKE wildcards are literal",
    );
  });

  it("checks references and names the bad field", async () => {
    await assert.rejects(
      service.records.create({ by: "alice", type: "contact", fields: { parentaccount: "not-a-uuid" } }),
      { code: "invalidInput", field: "fields.parentaccount" },
    );
    await assert.rejects(service.records.create({ by: "alice", type: "task", fields: { "Bad Key": 1 } }), {
      code: "invalidInput",
    });
    await assert.rejects(service.records.create({ by: "alice", owner: "ghost", type: "task", fields: {} }), {
      field: "owner",
    });
  });
});
