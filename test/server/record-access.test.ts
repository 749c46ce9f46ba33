/**
 * The CRM's record-level rules (docs/SPEC.md "CRM record access") and the privileges per operation (SPEC §10),
 * over HTTP as the add-in meets them and through the service as the scenario runner does.
 */
import assert from "node:assert/strict";
import { SyncError } from "../../src/core/errors";
import type { HttpCrmClient } from "../../src/adapters/http/http-crm-client";
import type { CrmRecord } from "../../src/ports/crm-client";
import { startTestServer, type TestServer } from "./support/test-server";

const rejectsWith = (promise: Promise<unknown>, code: string, details?: RegExp) =>
  assert.rejects(
    promise,
    (error: unknown) =>
      error instanceof SyncError &&
      error.code === code &&
      (details === undefined || details.test(error.details ?? "")),
  );

let keys = 0;
const key = () => `access-key-${++keys}`;

describe("CRM record access", function () {
  this.timeout(60_000);
  let t: TestServer;
  let alice: HttpCrmClient;
  let bob: HttpCrmClient;
  let carol: HttpCrmClient;
  let admin: HttpCrmClient;

  before(async () => {
    t = await startTestServer();
    alice = t.client(await t.user("alice", ["SyncToOutlook", "GoOffline"], ["alice@contoso.example"]));
    bob = t.client(await t.user("bob", ["SyncToOutlook", "GoOffline"], ["bob@contoso.example"]));
    carol = t.client(await t.user("carol", ["SyncToOutlook", "GoOffline"], ["carol@contoso.example"]));
    await t.server.service.users.create({ id: "root", privileges: ["SyncToOutlook"], administrator: true });
    admin = t.client(await t.server.service.users.issueToken("root", "test"));
  });
  after(() => t.dispose());

  const meeting = (fields: Record<string, unknown> = {}) =>
    alice.createRecord({
      idempotencyKey: key(),
      type: "appointment",
      fields: {
        subject: "Review",
        organizer: "alice@contoso.example",
        requiredattendees: ["BOB@contoso.example"],
        ...fields,
      },
    });

  const update = (client: HttpCrmClient, record: CrmRecord, fields: Record<string, unknown>) =>
    client.updateRecord({ id: record.id, expectedVersion: record.version, fields: fields as never });

  it("accepts a tracked-by-hand marker only on contacts and e-mails, and counts no other marker", async () => {
    const review = await meeting();
    assert.equal((await bob.getSpecificSyncData([review.id])).records.length, 1, "an attendee reads it");
    await rejectsWith(bob.setTrackedByHand(review.id, true), "invalidInput", /cannot be tracked by hand/);
    await bob.setTrackedByHand(review.id, false);
    // A marker left by an earlier server on an appointment counts for nothing.
    await t.db.query("INSERT INTO tracked_by_hand (user_id, record_id, marked_at) VALUES ('bob', $1, 0)", [
      review.id,
    ]);
    const moved = await update(alice, review, { requiredattendees: ["carol@contoso.example"] });
    assert.equal(moved.status, "updated");
    assert.deepEqual((await bob.getSpecificSyncData([review.id])).missing, [
      { id: review.id, reason: "notFound" },
    ]);
    await rejectsWith(update(bob, review, { subject: "Mine" }), "notFound");
    await rejectsWith(bob.deleteRecord({ id: review.id }), "notFound");

    const task = await bob.createRecord({
      idempotencyKey: key(),
      type: "task",
      fields: { subject: "Own" },
      trackedByHand: true,
    });
    const markers = await t.db.query("SELECT 1 FROM tracked_by_hand WHERE record_id = $1", [task.id]);
    assert.equal(markers.rows.length, 0, "a create marks only contacts and e-mails");
    const contact = await bob.createRecord({
      idempotencyKey: key(),
      type: "contact",
      fields: { lastname: "Marked" },
      trackedByHand: true,
    });
    const marked = await t.db.query("SELECT user_id FROM tracked_by_hand WHERE record_id = $1", [contact.id]);
    assert.deepEqual(marked.rows, [{ user_id: "bob" }]);
  });

  it("lets attendees read a meeting but only its owner or organizer change or delete it", async () => {
    const review = await meeting();
    await rejectsWith(update(bob, review, { subject: "Renamed" }), "forbidden", /owner or organizer/);
    await rejectsWith(update(bob, review, { organizer: "bob@contoso.example" }), "forbidden");
    await rejectsWith(bob.deleteRecord({ id: review.id }), "forbidden", /delete this appointment/);
    const stored = await t.server.service.records.get(review.id);
    assert.deepEqual(
      [stored?.deleted, stored?.fields["subject"], stored?.fields["organizer"]],
      [false, "Review", "alice@contoso.example"],
    );

    const carolLeads = await meeting({ organizer: "Carol@Contoso.example " });
    const renamed = await update(carol, carolLeads, { subject: "Carol's review" });
    assert.equal(renamed.status, "updated", "the organizer may update a meeting someone else owns");
    assert.equal((await carol.deleteRecord({ id: carolLeads.id })).status, "deleted");
  });

  it("lets a contact's by-hand tracker update its fields, and only its owner delete or reassign it", async () => {
    const contact = await alice.createRecord({
      idempotencyKey: key(),
      type: "contact",
      fields: { lastname: "Lee" },
    });
    await t.db.query("INSERT INTO tracked_by_hand (user_id, record_id, marked_at) VALUES ('carol', $1, 0)", [
      contact.id,
    ]);
    const edited = await update(carol, contact, { jobtitle: "Buyer" });
    assert.equal(edited.status, "updated");
    await rejectsWith(carol.deleteRecord({ id: contact.id }), "forbidden", /only its owner/);
    await assert.rejects(
      t.server.service.records.assign({ by: "carol", id: contact.id, owner: "carol" }),
      (error: unknown) => error instanceof SyncError && error.code === "forbidden",
    );
    await rejectsWith(update(bob, contact, { jobtitle: "X" }), "notFound", /that you can read/);
    assert.equal((await alice.deleteRecord({ id: contact.id })).status, "deleted");
  });

  it("lets only the owner change a task or an account", async () => {
    const task = await alice.createRecord({
      idempotencyKey: key(),
      type: "task",
      fields: { subject: "Call" },
    });
    await rejectsWith(update(bob, task, { subject: "X" }), "notFound");
    assert.equal((await update(alice, task, { subject: "Call back" })).status, "updated");
  });

  it("checks that references name records the caller can read, and answers missing and unreadable alike", async () => {
    const theirs = await bob.createRecord({
      idempotencyKey: key(),
      type: "account",
      fields: { name: "Bob's" },
    });
    const mine = await alice.createRecord({
      idempotencyKey: key(),
      type: "account",
      fields: { name: "Mine" },
    });
    const unknown = "00000000-0000-4000-8000-000000000000";
    const problem = async (fields: Record<string, unknown>, type: "contact" | "email" = "contact") => {
      const response = await fetch(`${t.url}/v1/records`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${await t.server.service.users.issueToken("alice", "test")}`,
          "content-type": "application/json",
        },
        body: JSON.stringify({ idempotencyKey: key(), type, fields }),
      });
      const body = (await response.json()) as { error: { code: string; field: string; details: string } };
      return [
        response.status,
        body.error.code,
        body.error.field,
        body.error.details.replace(/[0-9a-f-]{36}/, "ID"),
      ];
    };
    const missing = await problem({ parentaccount: unknown });
    assert.deepEqual(missing, [
      400,
      "invalidInput",
      "fields.parentaccount",
      "fields.parentaccount: no account ID that you can read",
    ]);
    assert.deepEqual(
      await problem({ parentaccount: theirs.id }),
      missing,
      "another user's account answers as a missing one",
    );
    const contact = await alice.createRecord({
      idempotencyKey: key(),
      type: "contact",
      fields: { lastname: "Kim", parentaccount: mine.id },
    });
    assert.deepEqual(await problem({ parentaccount: contact.id }), missing, "a contact is no account");
    const regarding = await problem({ regardingobjectid: unknown }, "email");
    assert.deepEqual(await problem({ regardingobjectid: theirs.id }, "email"), regarding);
    const email = await alice.createRecord({
      idempotencyKey: key(),
      type: "email",
      fields: { subject: "Hi", regardingobjectid: contact.id },
    });
    assert.equal(email.fields["regardingobjectid"], contact.id);
  });

  it("gives an administrator every record, and the service only to an administrator for another owner", async () => {
    const review = await meeting();
    const read = await admin.getSpecificSyncData([review.id]);
    assert.equal(read.records.length, 1);
    assert.equal((await update(admin, review, { subject: "By the admin" })).status, "updated");
    await assert.rejects(
      t.server.service.records.create({ by: "bob", owner: "alice", type: "task", fields: {} }),
      (error: unknown) => error instanceof SyncError && error.code === "forbidden",
    );
    const made = await t.server.service.records.create({
      by: "root",
      owner: "alice",
      type: "task",
      fields: {},
    });
    assert.equal(made.record.owner, "alice");
    assert.equal(await t.server.service.records.permits("bob", review.id, "delete"), false);
    assert.equal(await t.server.service.records.permits("bob", review.id, "read"), true);
    assert.equal(await t.server.service.records.permits("root", review.id, "delete"), true);
    assert.equal((await admin.deleteRecord({ id: review.id })).status, "deleted");
  });
});

describe("CRM privileges per operation (SPEC §10)", function () {
  this.timeout(60_000);
  let t: TestServer;
  let token: string;
  let dave: HttpCrmClient;

  before(async () => {
    t = await startTestServer();
    token = await t.user("dave", ["GoOffline"], ["dave@contoso.example"]);
    dave = t.client(token);
  });
  after(() => t.dispose());

  it("refuses sync calls, the event stream and writes of synced types without SyncToOutlook", async () => {
    assert.equal((await dave.whoAmI()).user.id, "dave");
    assert.equal((await dave.registerClient("desk")).role, "primary");
    await rejectsWith(dave.prepareSync("desk"), "noSyncPrivilege");
    await rejectsWith(dave.postSync({ clientId: "desk", version: 0 }), "noSyncPrivilege");
    const events = await fetch(`${t.url}/v1/events`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(events.status, 403);
    assert.equal(((await events.json()) as { error: { code: string } }).error.code, "noSyncPrivilege");
    for (const type of ["contact", "appointment", "task", "account"] as const) {
      await rejectsWith(dave.createRecord({ idempotencyKey: key(), type, fields: {} }), "noSyncPrivilege");
    }
    const task = await t.server.service.records.create({
      by: "dave",
      type: "task",
      fields: { subject: "CRM" },
    });
    await rejectsWith(
      dave.updateRecord({
        id: task.record.id,
        expectedVersion: task.record.version,
        fields: { subject: "X" },
      }),
      "noSyncPrivilege",
    );
    await rejectsWith(dave.deleteRecord({ id: task.record.id }), "noSyncPrivilege");
  });

  it("keeps e-mail tracking: e-mail writes, Set Regarding look-up and record reads", async () => {
    const account = await t.server.service.records.create({
      by: "dave",
      type: "account",
      fields: { name: "Dave Co" },
    });
    assert.deepEqual(
      (await dave.lookup({ text: "dave" })).map((hit) => hit.id),
      [account.record.id],
    );
    const email = await dave.createRecord({
      idempotencyKey: key(),
      type: "email",
      fields: { subject: "Order", regardingobjectid: account.record.id },
      trackedByHand: true,
    });
    assert.equal((await dave.getSpecificSyncData([email.id])).records[0]?.id, email.id);
    const updated = await dave.updateRecord({
      id: email.id,
      expectedVersion: email.version,
      fields: { subject: "Re" },
    });
    assert.equal(updated.status, "updated");
    await dave.setTrackedByHand(email.id, false);
    assert.equal((await dave.deleteRecord({ id: email.id })).status, "deleted");
    await rejectsWith(
      dave.deleteRecord({ id: "00000000-0000-4000-8000-000000000000" }),
      "notFound",
      /that you can read/,
    );
  });
});
