/** Every request's work is bounded: a record's size after merged updates, and a GetSpecificSyncData answer. */
import assert from "node:assert/strict";
import { SyncError } from "../../src/core/errors";
import { LIMITS } from "../../src/protocol";
import { startTestServer, type TestServer } from "./support/test-server";

/** Ten fields of 90,000 characters: about 900 KB, under the body limit of one request. */
const bulky = (prefix: string): Record<string, string> =>
  Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`${prefix}${i}`, "x".repeat(90_000)]));

const fieldsBytes = (fields: object): number => Buffer.byteLength(JSON.stringify(fields), "utf8");

describe("CRM server bounded records and answers", function () {
  this.timeout(60_000);
  let t: TestServer;
  let token: string;

  before(async () => {
    t = await startTestServer();
    token = await t.user("alice");
  });
  after(() => t.dispose());

  it("answers an id repeated 500 times once", async () => {
    const { record } = await t.server.service.records.create({
      by: "alice",
      type: "task",
      fields: { subject: "Once" },
    });
    const data = await t.client(token).getSpecificSyncData(Array.from({ length: 500 }, () => record.id));
    assert.deepEqual(
      data.records.map((r) => r.id),
      [record.id],
    );
    assert.deepEqual([data.missing, data.deferred], [[], undefined]);
  });

  it("refuses an update whose merged fields pass the record limit, naming it, and keeps the record whole", async () => {
    const alice = t.client(token);
    let record = await alice.createRecord({ idempotencyKey: "grow-0001", type: "task", fields: bulky("a") });
    let refused: unknown;
    for (let round = 1; round < 20 && refused === undefined; round += 1) {
      try {
        const outcome = await alice.updateRecord({
          id: record.id,
          expectedVersion: record.version,
          fields: bulky(`r${round}_`),
        });
        assert.equal(outcome.status, "updated");
        if (outcome.status === "updated") record = outcome.record;
      } catch (error) {
        refused = error;
      }
    }
    assert.ok(refused instanceof SyncError, "an update past the limit is refused");
    assert.equal(refused.code, "invalidInput");
    assert.match(refused.message, new RegExp(`at most ${LIMITS.recordBytes}`));
    const stored = await t.server.service.records.get(record.id);
    assert.deepEqual(stored, record, "the refused update wrote nothing");
    assert.ok(fieldsBytes(record.fields) <= LIMITS.recordBytes);
  });

  it("bounds an answer by size and defers the ids past it, in the order asked", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 6; i += 1) {
      const { record } = await t.server.service.records.create({
        by: "alice",
        type: "contact",
        fields: { lastname: `Big ${i}`, ...bulky("n") },
      });
      ids.push(record.id);
    }
    const unknown = "00000000-0000-4000-8000-000000000000";
    const alice = t.client(token);
    const first = await alice.getSpecificSyncData([...ids, unknown]);
    const answered = first.records.map((r) => r.id);
    assert.ok(answered.length >= 1 && answered.length < ids.length, `answered ${answered.length}`);
    assert.ok(
      first.records.reduce((sum, r) => sum + fieldsBytes(r.fields), 0) <= LIMITS.answerBytes,
      "the answer stays within its limit",
    );
    assert.deepEqual([...answered, ...(first.deferred ?? [])], ids);
    assert.deepEqual(first.missing, [{ id: unknown, reason: "notFound" }]);
    const rest = await alice.getSpecificSyncData(first.deferred ?? []);
    assert.ok(rest.records.length >= 1);
    assert.deepEqual([...rest.records.map((r) => r.id), ...(rest.deferred ?? [])], first.deferred);
  });

  it("keeps /health answering while large answers are produced", async () => {
    const big = (await t.server.service.records.listAll()).filter((r) => fieldsBytes(r.fields) > 500_000);
    const ids = big.map((r) => r.id);
    let healthAnswered = false;
    let largeAnswers = 0;
    const load = async (): Promise<void> => {
      while (!healthAnswered) {
        const response = await fetch(`${t.url}/v1/sync/records`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({ ids }),
        });
        assert.equal(response.status, 200);
        await response.arrayBuffer();
        largeAnswers += 1;
      }
    };
    const loaders = [load(), load(), load()];
    while (largeAnswers === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const health = await fetch(`${t.url}/health`);
    healthAnswered = true;
    const answeredDuringLoad = largeAnswers;
    assert.equal(health.status, 200);
    await Promise.all(loaders);
    assert.ok(
      largeAnswers > answeredDuringLoad,
      "large answers were still being produced when /health answered",
    );
  });
});
