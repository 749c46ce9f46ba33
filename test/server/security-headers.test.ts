/** Every answer of the sync server says `X-Content-Type-Options: nosniff`, Fastify's own errors included. */
import assert from "node:assert/strict";
import net from "node:net";
import { startTestServer, type TestServer } from "./support/test-server";

/** Sends a raw request and resolves with the answer's head. */
function rawHead(url: string, head: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => socket.write(head));
    let received = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      received += chunk;
      const end = received.indexOf("\r\n\r\n");
      if (end >= 0) {
        socket.destroy();
        resolve(received.slice(0, end));
      }
    });
    socket.on("error", reject);
  });
}

const nosniff = (answer: Response, what: string, status: number) => {
  assert.equal(answer.status, status, what);
  assert.equal(answer.headers.get("x-content-type-options"), "nosniff", what);
};

describe("CRM server security headers", function () {
  this.timeout(60_000);
  let t: TestServer;
  let token: string;

  before(async () => {
    t = await startTestServer({ rateLimit: { max: 20, windowMs: 60_000 } });
    token = await t.user("alice");
  });
  after(() => t.dispose());

  const auth = () => ({ authorization: `Bearer ${token}` });

  it("sends nosniff on a normal 200, an unknown route's 404 and a too long URL's 414", async () => {
    nosniff(await fetch(`${t.url}/health`), "200", 200);
    nosniff(await fetch(`${t.url}/no/such/route`, { headers: auth() }), "404", 404);
    nosniff(
      await fetch(`${t.url}/v1/records/${"a".repeat(300)}`, { method: "DELETE", headers: auth() }),
      "414",
      414,
    );
  });

  it("sends nosniff on a bad URL encoding's 400", async () => {
    const head = await rawHead(
      t.url,
      `DELETE /v1/records/%E0%A4%A HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${token}\r\n\r\n`,
    );
    assert.match(head, /^HTTP\/1\.1 400/);
    assert.match(head, /x-content-type-options: nosniff/i);
  });

  it("sends nosniff on HEAD and on the event stream", async () => {
    nosniff(await fetch(`${t.url}/v1/events`, { method: "HEAD", headers: auth() }), "HEAD", 200);
    const controller = new AbortController();
    const stream = await fetch(`${t.url}/v1/events`, { headers: auth(), signal: controller.signal });
    nosniff(stream, "event stream", 200);
    controller.abort();
  });

  it("sends nosniff on a 429", async () => {
    let answer = await fetch(`${t.url}/v1/whoami`, { headers: { authorization: "Bearer ocs_garbage" } });
    for (let i = 0; i < 40 && answer.status !== 429; i += 1) {
      answer = await fetch(`${t.url}/v1/whoami`, { headers: { authorization: "Bearer ocs_garbage" } });
    }
    nosniff(answer, "429", 429);
  });
});
