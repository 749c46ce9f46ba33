/** A request that arrives while the server is closing gets a 503 in the protocol's error format, at once. */
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { ErrorBodySchema } from "../../src/protocol";
import { startTestServer, type TestServer } from "./support/test-server";

/** Everything the server writes on `socket` until it closes the connection. */
const answerOf = (socket: Socket): Promise<string> =>
  new Promise((resolve, reject) => {
    let text = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => (text += chunk));
    socket.on("end", () => resolve(text));
    socket.on("error", reject);
  });

describe("CRM server closing", function () {
  this.timeout(20_000);
  let t: TestServer;
  let token: string;

  before(async () => {
    t = await startTestServer();
    token = await t.user("late");
  });
  after(() => t.dispose());

  it("answers a request arriving during close() with 503 and the protocol's error body", async () => {
    const { port } = new URL(t.url);
    const socket = connect(Number(port), "127.0.0.1");
    await new Promise((resolve) => socket.once("connect", resolve));
    const answer = answerOf(socket);
    socket.write(`GET /v1/whoami HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closing = t.server.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    socket.write(`Authorization: Bearer ${token}\r\n\r\n`);
    const text = await Promise.race([
      answer,
      new Promise<string>((_, reject) => setTimeout(() => reject(new Error("no answer in 5 s")), 5_000)),
    ]);
    const [head = "", body = ""] = text.split("\r\n\r\n");
    assert.match(head, /^HTTP\/1\.1 503 /);
    assert.match(head, /^connection: close$/im);
    assert.match(head, /^content-type: application\/json/im);
    const error = ErrorBodySchema.parse(JSON.parse(body)).error;
    assert.equal(error.code, "serverError");
    assert.match(error.message, /shutting down/);
    await closing;
  });
});
