/** Event streams are bounded per token, and HEAD on the stream answers at once. */
import assert from "node:assert/strict";
import { ErrorBodySchema } from "../../src/protocol";
import { startTestServer, type TestServer } from "./support/test-server";

describe("CRM server event streams", () => {
  let t: TestServer;
  let token: string;
  const open: AbortController[] = [];

  /** Opens a stream and waits for its first event (or its refusal). */
  async function openStream(bearer: string): Promise<Response> {
    const controller = new AbortController();
    const response = await fetch(`${t.url}/v1/events`, {
      headers: { authorization: `Bearer ${bearer}` },
      signal: controller.signal,
    });
    if (response.ok && response.body) {
      open.push(controller);
      const reader = response.body.getReader();
      await reader.read();
      reader.releaseLock();
    }
    return response;
  }

  before(async () => {
    t = await startTestServer({ streamsPerToken: 3 });
    token = await t.user("alice");
  });
  after(async () => {
    for (const controller of open) controller.abort();
    await t.dispose();
  });

  it("answers HEAD /v1/events with the stream's headers and no body", async () => {
    const answer = await fetch(`${t.url}/v1/events`, {
      method: "HEAD",
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(5_000),
    });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get("content-type"), "text/event-stream");
    assert.equal((await answer.arrayBuffer()).byteLength, 0);
  });

  it("refuses a token's stream past the limit with a typed 429, and frees the slot when one closes", async () => {
    for (let i = 0; i < 3; i += 1) assert.equal((await openStream(token)).status, 200);
    const refused = await openStream(token);
    assert.equal(refused.status, 429);
    const error = ErrorBodySchema.parse(await refused.json()).error;
    assert.equal(error.code, "rateLimited");
    assert.match(error.message, /3 event streams/);
    const other = await t.user("bob");
    assert.equal((await openStream(other)).status, 200, "another token has its own streams");
    open.shift()?.abort();
    for (let tries = 0; tries < 100; tries += 1) {
      const again = await openStream(token);
      if (again.status === 200) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.fail("a closed stream freed its slot");
  });
});
