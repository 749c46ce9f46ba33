/**
 * Every error answer is in the protocol's format (`{ error: { code, message, … } }`), Fastify's own included,
 * its message says what happened, and a request without a valid token is refused before its body is read.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { ErrorBodySchema } from "../../src/protocol";
import { startTestServer, type TestServer } from "./support/test-server";

interface RawAnswer {
  status: number;
  headers: string;
  body: string;
}

/** Sends `head` (and `body`, if any) over a socket and reads until the server ends the answer. */
function rawRequest(url: string, head: string, body = ""): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => socket.write(head + body));
    let received = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      received += chunk;
      const end = received.indexOf("\r\n\r\n");
      const length = /content-length: (\d+)/i.exec(received.slice(0, end))?.[1];
      if (end >= 0 && length !== undefined && received.length >= end + 4 + Number(length)) {
        socket.destroy();
        resolve({
          status: Number(received.slice(9, 12)),
          headers: received.slice(0, end),
          body: received.slice(end + 4, end + 4 + Number(length)),
        });
      }
    });
    socket.on("error", reject);
    socket.on("close", () => reject(new Error(`connection closed after: ${received.slice(0, 200)}`)));
  });
}

const errorOf = (text: string) => {
  const parsed = ErrorBodySchema.safeParse(JSON.parse(text));
  assert.ok(parsed.success, `an error in the protocol's format: ${text}`);
  return parsed.data.error;
};

describe("CRM server error answers", () => {
  let t: TestServer;
  let token: string;

  before(async () => {
    t = await startTestServer();
    token = await t.user("alice");
  });
  after(() => t.dispose());

  it("refuses a missing or invalid token before reading the body", async () => {
    for (const authorization of ["", "authorization: Bearer ocs_not-a-token\r\n"]) {
      const answer = await rawRequest(
        t.url,
        `POST /v1/records HTTP/1.1\r\nhost: x\r\n${authorization}content-type: application/json\r\n` +
          `content-length: 50000000\r\n\r\n`,
        "{",
      );
      assert.equal(answer.status, 401, "answered with 50 MB of the body still unsent");
      assert.equal(errorOf(answer.body).code, "unauthorized");
      assert.match(answer.headers, /www-authenticate: Bearer/i);
    }
  });

  it("answers a URL parameter that is too long with 414 in the protocol's format", async () => {
    const answer = await fetch(`${t.url}/v1/records/${"a".repeat(300)}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(answer.status, 414);
    const error = errorOf(await answer.text());
    assert.equal(error.code, "invalidInput");
    assert.match(error.message, /too long/);
  });

  it("answers headers that are too large with 431 in the protocol's format", async () => {
    const answer = await rawRequest(
      t.url,
      `GET /v1/whoami HTTP/1.1\r\nhost: x\r\nx-filler: ${"f".repeat(20_000)}\r\n\r\n`,
    );
    assert.equal(answer.status, 431);
    const error = errorOf(answer.body);
    assert.equal(error.code, "invalidInput");
    assert.match(error.message, /headers/i);
  });

  it("answers a URL with broken percent-encoding with 400 naming the URL", async () => {
    const answer = await rawRequest(
      t.url,
      `DELETE /v1/records/%E0%A4%A HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${token}\r\n\r\n`,
    );
    assert.equal(answer.status, 400);
    const error = errorOf(answer.body);
    assert.deepEqual([error.code, error.field], ["invalidInput", "url"]);
    assert.match(error.message, /percent-encoding|encoded/);
  });

  it("says an unknown route is an unknown operation, not a missing record", async () => {
    for (const [method, path] of [
      ["GET", "/v1/nope"],
      ["DELETE", "/v1/whoami"],
      ["GET", "/"],
    ] as const) {
      const answer = await fetch(`${t.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(answer.status, 404);
      const error = errorOf(await answer.text());
      assert.equal(error.code, "notFound");
      assert.match(error.message, new RegExp(`no operation ${method} ${path}`, "i"));
      assert.doesNotMatch(error.message, /record/);
    }
  });

  it("says an unknown client is an unregistered client", async () => {
    const answer = await fetch(`${t.url}/v1/sync/prepare?clientId=nobody`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(answer.status, 404);
    const error = errorOf(await answer.text());
    assert.match(error.message, /client nobody/);
    assert.doesNotMatch(error.message, /record/);
  });

  it("names a __proto__ or constructor.prototype key in a body as the problem", async () => {
    for (const body of ['{"__proto__":{"x":1}}', '{"constructor":{"prototype":{"x":1}}}']) {
      const answer = await fetch(`${t.url}/v1/clients`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body,
      });
      assert.equal(answer.status, 400);
      const error = errorOf(await answer.text());
      assert.deepEqual([error.code, error.field], ["invalidInput", "body"]);
      assert.match(error.message, /__proto__|constructor\.prototype/);
    }
  });

  it("answers malformed JSON, a wrong media type and a body that is too large in the protocol's format", async () => {
    const cases: [string, string, number, RegExp][] = [
      ["{", "application/json", 400, /JSON/],
      ["x", "text/plain", 415, /media type|content-type/i],
      [JSON.stringify({ clientId: "x".repeat(1_100_000) }), "application/json", 413, /1048576 bytes/],
    ];
    for (const [body, contentType, status, message] of cases) {
      const answer = await fetch(`${t.url}/v1/clients`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": contentType },
        body,
      });
      assert.equal(answer.status, status);
      const error = errorOf(await answer.text());
      assert.equal(error.code, "invalidInput");
      assert.match(error.message, message);
    }
  });
});
