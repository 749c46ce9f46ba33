/**
 * Graph's notification endpoints on the sync server: the validation handshake, genuine notifications handed to
 * the workers (NOTIFY), forged ones (unknown subscription, wrong clientState) answered alike and dropped, and
 * lifecycle notifications. PGlite, or PostgreSQL with DATABASE_URL.
 */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { GraphSubscriptionStore, type GraphNotice } from "../../src/server/sync/graph-subscription-store";
import { startTestServer, type TestServer } from "./support/test-server";

describe("Graph notification endpoints", function () {
  this.timeout(60_000);
  let t: TestServer;
  let store: GraphSubscriptionStore;
  const heard: GraphNotice[] = [];
  let listener: { close(): Promise<void> };

  before(async () => {
    t = await startTestServer();
    await t.user("walt");
    store = new GraphSubscriptionStore(t.db, t.clock);
    await store.save({
      id: "sub-contacts",
      userId: "walt",
      resource: "/users/walt@contoso.example/contacts",
      clientState: "secret-of-walt",
      expiresAt: t.clock.now() + 3_600_000,
    });
    listener = await t.db.listen(store.channel, (payload) => heard.push(JSON.parse(payload) as GraphNotice));
  });
  after(async () => {
    await listener?.close();
    await t?.dispose();
  });
  beforeEach(() => heard.splice(0));

  const post = (path: string, body?: unknown, query = ""): Promise<Response> =>
    fetch(`${t.url}${path}${query}`, {
      method: "POST",
      headers: { "content-type": body === undefined ? "text/plain" : "application/json" },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });

  const heardSoon = async (count: number): Promise<GraphNotice[]> => {
    for (let i = 0; i < 50 && heard.length < count; i += 1) await sleep(20);
    await sleep(50);
    return [...heard];
  };

  it("echoes Graph's validation token, decoded, as text/plain, without a bearer token", async () => {
    for (const path of ["/graph/notifications", "/graph/lifecycle"]) {
      const token = "Validation: Testing client application reachability & more";
      const answer = await post(path, undefined, `?validationToken=${encodeURIComponent(token)}`);
      assert.equal(answer.status, 200, path);
      assert.match(String(answer.headers.get("content-type")), /^text\/plain/);
      assert.equal(await answer.text(), token);
    }
    const long = await post("/graph/notifications", undefined, `?validationToken=${"x".repeat(1025)}`);
    assert.equal(long.status, 400);
    assert.match(await long.text(), /validationToken must be 1 to 1024 characters/);
  });

  it("hands a genuine notification to the workers and answers a forged one alike, telling no one", async () => {
    const entry = (subscriptionId: string, clientState: string | null) => ({
      subscriptionId,
      clientState,
      changeType: "updated",
      resource: "Users/walt@contoso.example/Contacts/AAMk-1",
      subscriptionExpirationDateTime: "2026-03-03T09:00:00Z",
      tenantId: "9188040d-6c67-4c5b-b112-36a304b66dad",
    });
    const forged = await post("/graph/notifications", {
      value: [
        entry("sub-contacts", "guess"),
        entry("sub-unknown", "secret-of-walt"),
        entry("sub-contacts", null),
      ],
    });
    assert.equal(forged.status, 202);
    assert.deepEqual(await heardSoon(1), []);
    const genuine = await post("/graph/notifications", {
      value: [entry("sub-contacts", "secret-of-walt"), entry("sub-contacts", "secret-of-walt")],
    });
    assert.equal(genuine.status, 202);
    assert.deepEqual(await heardSoon(1), [{ users: ["walt"] }]);
  });

  it("hands lifecycle notifications to the workers, only on the lifecycle endpoint", async () => {
    const lifecycle = {
      value: [
        {
          subscriptionId: "sub-contacts",
          clientState: "secret-of-walt",
          lifecycleEvent: "reauthorizationRequired",
        },
      ],
    };
    assert.equal((await post("/graph/notifications", lifecycle)).status, 202);
    assert.deepEqual(await heardSoon(1), []);
    assert.equal((await post("/graph/lifecycle", lifecycle)).status, 202);
    assert.deepEqual(await heardSoon(1), [{ users: ["walt"] }]);
    assert.deepEqual(
      (await store.ofUser("walt")).map((row) => [row.id, row.lifecycleEvent]),
      [["sub-contacts", "reauthorizationRequired"]],
      "the mailbox's next run answers it",
    );
  });

  it("refuses a body that is not a notification collection, naming the problem", async () => {
    const bad = await post("/graph/notifications", { value: [{ clientState: "x" }] });
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /not a Graph notification collection/);
    const unknownEvent = await post("/graph/lifecycle", {
      value: [{ subscriptionId: "sub-contacts", lifecycleEvent: "exploded" }],
    });
    assert.equal(unknownEvent.status, 400);
  });
});
