/** The protocol over HTTP through HttpCrmClient: the happy path, typed errors, isolation between users, hints. */
import assert from "node:assert/strict";
import { strFromU8, unzipSync } from "fflate";
import { SyncError } from "../../src/core/errors";
import { OPERATIONS, REQUIRED_PACKAGE_FILES } from "../../src/protocol";
import { startTestServer, type TestServer } from "./support/test-server";

const rejectsWith = (promise: Promise<unknown>, code: string) =>
  assert.rejects(promise, (error: unknown) => error instanceof SyncError && error.code === code);

describe("CRM server over HTTP", () => {
  let t: TestServer;
  let aliceToken: string;
  let bobToken: string;

  before(async () => {
    t = await startTestServer();
    aliceToken = await t.user("alice", ["SyncToOutlook", "GoOffline"], ["alice@contoso.example"]);
    bobToken = await t.user("bob");
  });
  after(() => t.dispose());

  it("answers health and an OpenAPI document listing every operation, without a token", async () => {
    const health = await fetch(`${t.url}/health`);
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { status: string }).status, "ok");
    const doc = (await (await fetch(`${t.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { operationId: string }>>;
    };
    const listed = Object.values(doc.paths).flatMap((item) =>
      Object.values(item).map((op) => op.operationId),
    );
    for (const id of Object.keys(OPERATIONS)) assert.ok(listed.includes(id), `${id} is documented`);
  });

  it("registers clients, makes the first primary and switches the primary on request", async () => {
    const alice = t.client(aliceToken);
    assert.equal((await alice.registerClient("desk")).role, "primary");
    assert.equal((await alice.registerClient("laptop")).role, "secondary");
    assert.equal((await alice.registerClient("desk")).role, "primary", "registration is idempotent");
    const clients = await alice.setPrimaryClient("laptop");
    assert.deepEqual(
      clients.map((c) => [c.clientId, c.role]),
      [
        ["desk", "secondary"],
        ["laptop", "primary"],
      ],
    );
    const me = await alice.whoAmI();
    assert.deepEqual(
      [me.user.id, me.role, me.privileges],
      ["alice", "salesperson", ["SyncToOutlook", "GoOffline"]],
    );
    await alice.setPrimaryClient("desk");
  });

  it("runs a sync: create, PrepareSync, GetSyncData, GetSpecificSyncData with the parent account name, PostSync", async () => {
    const alice = t.client(aliceToken);
    const account = await alice.createRecord({
      idempotencyKey: "acct-0001",
      type: "account",
      fields: { name: "Contoso" },
    });
    const contact = await alice.createRecord({
      idempotencyKey: "cont-0001",
      type: "contact",
      fields: { firstname: "Ann", parentaccount: account.id },
    });
    const replay = await alice.createRecord({
      idempotencyKey: "cont-0001",
      type: "contact",
      fields: { firstname: "X" },
    });
    assert.deepEqual(replay, contact);
    const counts = await alice.prepareSync("desk");
    assert.equal(counts.counts.contact, 1);
    const page = await alice.getSyncData({ clientId: "desk", limit: 10 });
    assert.deepEqual(
      page.entries.map((e) => [e.crmId, e.kind]),
      [[contact.id, "upsert"]],
    );
    const data = await alice.getSpecificSyncData([contact.id]);
    assert.equal(data.records[0]?.related?.parentAccountName, "Contoso");
    assert.equal(await alice.postSync({ clientId: "desk", version: page.nextAfter }), page.nextAfter);
    assert.equal((await alice.prepareSync("desk")).total, 0);
  });

  it("takes PostSync's removedFromOutlook: the record leaves the caller's view, and a bad id is named", async () => {
    const alice = t.client(aliceToken);
    const contact = await alice.createRecord({
      idempotencyKey: "cont-removed",
      type: "contact",
      fields: { lastname: "Removed" },
    });
    const cursor = (await alice.prepareSync("desk")).latestVersion;
    const before = (await alice.getSyncData({ clientId: "desk", after: 0, limit: 1000 })).entries;
    assert.ok(before.some((e) => e.crmId === contact.id && e.kind === "upsert"));
    await alice.postSync({ clientId: "desk", version: cursor, removedFromOutlook: [contact.id] });
    const after = (await alice.getSyncData({ clientId: "desk", after: 0, limit: 1000 })).entries;
    assert.deepEqual(
      after.filter((e) => e.crmId === contact.id).map((e) => e.kind),
      ["leftFilter"],
    );
    const response = await fetch(`${t.url}/v1/sync/ack`, {
      method: "POST",
      headers: { authorization: `Bearer ${aliceToken}`, "content-type": "application/json" },
      body: JSON.stringify({ clientId: "desk", version: 0, removedFromOutlook: ["not-a-record"] }),
    });
    assert.equal(response.status, 400);
    const body = (await response.json()) as { error: { code: string; field: string } };
    assert.deepEqual([body.error.code, body.error.field], ["invalidInput", "body.removedFromOutlook.0"]);
  });

  it("answers a stale update with a conflict outcome holding the current record", async () => {
    const alice = t.client(aliceToken);
    const task = await alice.createRecord({
      idempotencyKey: "task-0001",
      type: "task",
      fields: { subject: "A" },
    });
    const first = await alice.updateRecord({
      id: task.id,
      expectedVersion: task.version,
      fields: { subject: "A1" },
    });
    assert.equal(first.status, "updated");
    const second = await alice.updateRecord({
      id: task.id,
      expectedVersion: task.version,
      fields: { subject: "A2" },
    });
    assert.equal(second.status, "conflict");
    assert.equal(second.status === "conflict" ? second.current.fields["subject"] : null, "A1");
    const stale = await alice.deleteRecord({ id: task.id, expectedVersion: task.version });
    assert.equal(stale.status, "conflict");
    const done = await alice.deleteRecord({ id: task.id });
    assert.equal(done.status, "deleted");
  });

  it("keeps users apart: another user's records and clients answer 404 and no data", async () => {
    const alice = t.client(aliceToken);
    const bob = t.client(bobToken);
    const secret = await alice.createRecord({
      idempotencyKey: "secret-01",
      type: "contact",
      fields: { lastname: "Secret" },
    });
    const read = await bob.getSpecificSyncData([secret.id]);
    assert.deepEqual(read, { records: [], missing: [{ id: secret.id, reason: "notFound" }] });
    await rejectsWith(
      bob.updateRecord({ id: secret.id, expectedVersion: secret.version, fields: { lastname: "X" } }),
      "notFound",
    );
    await rejectsWith(bob.deleteRecord({ id: secret.id }), "notFound");
    await rejectsWith(bob.setTrackedByHand(secret.id, true), "notFound");
    await rejectsWith(bob.getSyncData({ clientId: "desk" }), "notFound");
    await rejectsWith(bob.postSync({ clientId: "desk", version: 0 }), "notFound");
    await rejectsWith(bob.setPrimaryClient("laptop"), "notFound");
    assert.deepEqual(await bob.lookup({ text: "secret" }), []);
    assert.deepEqual((await bob.whoAmI()).clients, []);
    assert.equal((await t.server.service.records.get(secret.id))?.fields["lastname"], "Secret");
  });

  it("types failures: bad token, missing privilege, invalid input", async () => {
    await rejectsWith(t.client("ocs_not-a-token").whoAmI(), "unauthorized");
    const token = await t.user("erin", []);
    const erin = t.client(token);
    await erin.registerClient("desk");
    await rejectsWith(erin.prepareSync("desk"), "noSyncPrivilege");
    await t.server.service.packages.forbid("erin", true);
    await rejectsWith(erin.checkPackage(null), "forbidden");
    const response = await fetch(`${t.url}/v1/records`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({
        idempotencyKey: "key-00001",
        type: "task",
        fields: { subject: 42n.toString(), "bad key": 1 },
      }),
    });
    assert.equal(response.status, 400);
    const body = (await response.json()) as { error: { code: string; field: string } };
    assert.deepEqual([body.error.code, body.error.field], ["invalidInput", "body.fields.bad key"]);
  });

  it("downloads the role's customization package, answers 304 while it is current, or says none is published", async () => {
    const alice = t.client(aliceToken);
    await rejectsWith(alice.checkPackage(null), "packageUnavailable");
    await t.server.service.packages.publish({
      role: "salesperson",
      version: "1.2.0.0",
      preferredProduct: "1.0.0.0",
      products: "1.0.0.0-1.9.9.9",
      schemas: "1.0.0.0-1.1.9.9",
    });
    const download = await alice.checkPackage(null);
    assert.equal(download.status, "changed");
    if (download.status !== "changed") return;
    assert.deepEqual([download.version, download.role], ["1.2.0.0", "salesperson"]);
    const idle = await fetch(`${t.url}/v1/package`, {
      headers: { authorization: `Bearer ${aliceToken}`, "if-none-match": download.etag },
    });
    assert.equal(idle.status, 304);
    assert.equal((await idle.arrayBuffer()).byteLength, 0, "an idle check carries no zip");
    assert.deepEqual(await alice.checkPackage(download.etag), {
      status: "unchanged",
      etag: download.etag,
      role: "salesperson",
      version: "1.2.0.0",
    });
    await t.server.service.packages.withdraw("salesperson");
    await rejectsWith(alice.checkPackage(download.etag), "packageUnavailable");
    const files = unzipSync(download.zip);
    assert.deepEqual(Object.keys(files).sort(), [...REQUIRED_PACKAGE_FILES].sort());
    const info = strFromU8(files["info.xml"] ?? new Uint8Array());
    assert.match(
      info,
      /<compatibility preferred_product="1\.0\.0\.0"><products>1\.0\.0\.0-1\.9\.9\.9<\/products><schemas>1\.0\.0\.0-1\.1\.9\.9<\/schemas><\/compatibility>/,
    );
    const maps = JSON.parse(strFromU8(files["field-maps.json"] ?? new Uint8Array())) as Record<
      string,
      unknown[]
    >;
    assert.ok((maps["contact"] ?? []).length > 30, "the default package carries SPEC §2's contact mapping");
  });

  it("pushes a change hint over Server-Sent Events when a change reaches the user", async () => {
    const alice = t.client(aliceToken);
    const hints: number[] = [];
    let notify: () => void = () => undefined;
    const watcher = alice.watchChanges((version) => {
      hints.push(version);
      notify();
    });
    const waitFor = (count: number) =>
      new Promise<void>((resolve) => {
        notify = () => hints.length >= count && resolve();
        notify();
      });
    await waitFor(1);
    const created = await t.server.service.records.create({
      by: "alice",
      type: "task",
      fields: { subject: "Hint" },
    });
    await waitFor(2);
    watcher.dispose();
    assert.equal(hints[1], created.record.version);
  });
});

describe("CRM server rate limiting", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ rateLimit: { max: 3, windowMs: 60_000 } });
  });
  after(() => t.dispose());

  it("limits requests per token with a typed 429", async () => {
    const token = await t.user("frank");
    const other = await t.user("gina");
    const frank = t.client(token);
    for (let i = 0; i < 3; i += 1) await frank.whoAmI();
    await assert.rejects(
      frank.whoAmI(),
      (error: unknown) => error instanceof SyncError && error.code === "rateLimited",
    );
    assert.equal((await t.client(other).whoAmI()).user.id, "gina", "another token has its own budget");
  });
});
