// `npm start`'s server without a browser: the simulated mailbox is saved in the data folder and comes back on
// the next start; the simulator's endpoints answer only requests that name this server (DNS rebinding); the
// session token is a short-lived signed token, not a stored one, and so is the Graph twin's; Throttle Graph holds
// until it is switched off; a non-loopback HOST needs the explicit flag; the mailbox file's folder is locked
// while the server runs, also when the database is not an embedded one in that folder.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { SESSION_TOKEN_SECONDS, startAddinServer, type AddinServer } from "../../src/entry/cli/start";
import { LOCK_FILE, lockDataFolder } from "../../src/server/db/data-folder";
import { SimulatorMailbox, THROTTLE_RETRY_AFTER_SECONDS } from "../../src/entry/cli/simulator-mailbox";
import { ManualClock } from "../support/manual-clock";

const quiet = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** One raw request with chosen Host and Origin headers (fetch does not let a caller set Host). */
function send(
  base: string,
  method: string,
  urlPath: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<{ status: number; json: unknown; headers: Record<string, string | string[] | undefined> }> {
  const url = new URL(urlPath, base);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, method, path: url.pathname + url.search, headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({
            status: res.statusCode ?? 0,
            json: text === "" ? null : (JSON.parse(text) as unknown),
            headers: res.headers,
          });
        });
      },
    );
    req.on("error", reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

describe("npm start's server: the saved mailbox and the simulator's endpoints", function () {
  this.timeout(60_000);
  let dir = "";
  let server: AddinServer | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "start-server-"));
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  const start = (extra: { host?: string; allowNonLoopback?: boolean } = {}): Promise<AddinServer> =>
    startAddinServer({
      distDir: dir,
      mailboxFile: path.join(dir, "data", "simulator-mailbox.json"),
      port: 0,
      host: extra.host ?? "127.0.0.1",
      ...(extra.allowNonLoopback === undefined ? {} : { allowNonLoopback: extra.allowNonLoopback }),
      tls: null,
      logger: quiet,
    });
  const own = (s: AddinServer): Record<string, string> => ({ host: new URL(s.baseUrl).host });

  it("saves every change of the mailbox and finds it again on the next start", async () => {
    server = await start();
    const bo = server.mailbox.mailbox
      .allItems()
      .find((item) => item.type === "contact" && item.fields["firstName"] === "Bo");
    assert.ok(bo);
    const answer = await send(server.baseUrl, "POST", "/sim/mailbox", own(server), {
      method: "updateItem",
      args: [bo.itemId, { fields: { jobTitle: "Head of purchasing" } }, { notify: true, by: "world" }],
    });
    assert.equal(answer.status, 200);
    await server.close();
    server = await start();
    assert.equal(server.mailbox.mailbox.get(bo.immutableId)?.fields["jobTitle"], "Head of purchasing");
  });

  it("refuses a saved file that is not a mailbox, naming it", async () => {
    const file = path.join(dir, "data", "simulator-mailbox.json");
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    await writeFile(file, JSON.stringify({ items: "nope" }));
    await assert.rejects(start(), (error: Error) => error.message.includes(file));
  });

  it("answers /sim and /graph only for requests naming this server (Host and Origin)", async () => {
    server = await start();
    const host = new URL(server.baseUrl).host;
    const ok = await send(server.baseUrl, "GET", "/sim/faults", { host });
    assert.equal(ok.status, 200);
    for (const headers of [
      { host: `attacker.example:${new URL(server.baseUrl).port}` },
      { host, origin: "http://attacker.example" },
    ]) {
      for (const urlPath of ["/sim/session", "/sim/faults", "/sim/mailbox", "/graph/v1.0/me/contacts"]) {
        const refused = await send(server.baseUrl, "GET", urlPath, headers);
        assert.equal(refused.status, 403, `${urlPath} with ${JSON.stringify(headers)}`);
      }
    }
    const reset = await send(server.baseUrl, "POST", "/sim/reset", { host, origin: "http://evil.example" });
    assert.equal(reset.status, 403);
  });

  it("hands out a signed session token that runs out, and stores no token for it", async () => {
    server = await start();
    const before = await server.database.query<{ n: number }>("SELECT count(*)::int AS n FROM api_tokens");
    const sessions = await Promise.all(
      [1, 2, 3].map(() => send(server!.baseUrl, "GET", "/sim/session", own(server!))),
    );
    const after = await server.database.query<{ n: number }>("SELECT count(*)::int AS n FROM api_tokens");
    assert.equal(after.rows[0]?.n, before.rows[0]?.n, "no token row per page load");
    const session = sessions[0]?.json as { token: string; expiresAt: number };
    const [, payload] = session.token.split(".");
    const claims = JSON.parse(Buffer.from(payload ?? "", "base64url").toString("utf8")) as {
      exp: number;
      iat: number;
    };
    assert.equal(claims.exp - claims.iat, SESSION_TOKEN_SECONDS);
    const who = await fetch(`${server.baseUrl}v1/whoami`, {
      headers: { authorization: `Bearer ${session.token}` },
    });
    assert.equal(who.status, 200);
  });

  it("gives each session a Graph token of the same lifetime; Graph refuses a missing or forged one with 401", async () => {
    server = await start();
    const session = (await send(server.baseUrl, "GET", "/sim/session", own(server))).json as {
      graphToken: string;
      expiresAt: number;
    };
    const contacts = (token: string | null) =>
      send(server!.baseUrl, "GET", "/graph/v1.0/me/contacts", {
        ...own(server!),
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      });
    assert.equal((await contacts(session.graphToken)).status, 200);
    const [, expiry = "", mac = ""] = session.graphToken.split(".");
    assert.equal(Number(expiry), session.expiresAt);
    const longer = `sim.${session.expiresAt + 3_600_000}.${mac}`;
    for (const refused of [null, "", longer, `${session.graphToken}x`]) {
      const answer = await contacts(refused);
      assert.equal(answer.status, 401, String(refused));
      assert.equal((answer.json as { error: { code: string } }).error.code, "InvalidAuthenticationToken");
    }
  });

  it("keeps Throttle Graph on until it is switched off, and refuses a switch it does not know", async () => {
    server = await start();
    const session = (await send(server.baseUrl, "GET", "/sim/session", own(server))).json as {
      graphToken: string;
    };
    const contacts = () =>
      send(server!.baseUrl, "GET", "/graph/v1.0/me/contacts", {
        ...own(server!),
        authorization: `Bearer ${session.graphToken}`,
      });
    const on = await send(server.baseUrl, "PUT", "/sim/faults", own(server), { throttleGraph: true });
    assert.deepEqual(on.json, { crmDown: false, dropNotices: false, throttleGraph: true });
    for (let call = 0; call < 8; call += 1) {
      const answer = await contacts();
      assert.equal(answer.status, 429);
      assert.equal(answer.headers["retry-after"], String(THROTTLE_RETRY_AFTER_SECONDS));
    }
    const kept = await send(server.baseUrl, "GET", "/sim/faults", own(server));
    assert.equal((kept.json as { throttleGraph: boolean }).throttleGraph, true);
    for (const bad of [{ throttleGraph: "yes" }, { throttle: true }, [true]]) {
      const refused = await send(server.baseUrl, "PUT", "/sim/faults", own(server), bad);
      assert.equal(refused.status, 400, JSON.stringify(bad));
      assert.match(JSON.stringify(refused.json), /throttleGraph/);
    }
    await send(server.baseUrl, "PUT", "/sim/faults", own(server), { throttleGraph: false });
    assert.equal((await contacts()).status, 200);
    await send(server.baseUrl, "PUT", "/sim/faults", own(server), { throttleGraph: true });
    await send(server.baseUrl, "POST", "/sim/reset", own(server));
    assert.equal((await contacts()).status, 200, "Reset demo ends the throttle");
  });

  it("sends X-Content-Type-Options: nosniff on its pages, the simulator's endpoints and the sync server", async () => {
    const started = await start();
    server = started;
    for (const urlPath of ["sim/faults", "v1/whoami", "no-such-page.html"]) {
      const answer = await fetch(`${started.baseUrl}${urlPath}`);
      assert.equal(answer.headers.get("x-content-type-options"), "nosniff", urlPath);
    }
  });

  it("holds the data folder's lock for the mailbox file when no embedded database holds it (DATABASE_URL)", async () => {
    const folder = path.join(dir, "data");
    server = await start();
    assert.throws(
      () => lockDataFolder(folder, "outlook-crm-server user add"),
      /is in use by another process/,
    );
    await assert.rejects(start(), /is in use by another process/, "a second npm start refuses the folder");
    await server.close();
    server = undefined;
    assert.equal(existsSync(path.join(folder, LOCK_FILE)), false, "the lock goes with the server");
    lockDataFolder(folder, "outlook-crm-server user add").release();
  });

  it("refuses a non-loopback HOST unless the flag is set", async () => {
    await assert.rejects(start({ host: "0.0.0.0" }), /SIM_ALLOW_NON_LOOPBACK=true/);
  });

  it("answers a bad mailbox call with 400 naming what is allowed, and changes nothing", async () => {
    server = await start();
    const before = server.mailbox.snapshot();
    const bad = await send(server.baseUrl, "POST", "/sim/mailbox", own(server), {
      method: "importState",
      args: [],
    });
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.json), /updateItem/);
    assert.deepEqual(server.mailbox.mailbox.exportState(), before.state);
  });
});

describe("the simulator's Graph token", () => {
  it("is good until its expiry, then Graph answers 401 InvalidAuthenticationToken; another server's is refused", async () => {
    const clock = new ManualClock();
    const open = () =>
      SimulatorMailbox.open({
        file: null,
        owner: { emailAddress: "alice@contoso.example", displayName: "Alice Adams" },
        clock,
        logger: quiet,
      });
    const [mailbox, other] = await Promise.all([open(), open()]);
    try {
      const expiresAt = clock.now() + SESSION_TOKEN_SECONDS * 1000;
      const token = mailbox.graphToken(expiresAt);
      const base = mailbox.graphTwinUrl;
      const me = (bearer: string) =>
        fetch(`${base}/me/contacts`, { headers: { authorization: `Bearer ${bearer}` } }).then(
          async (answer) => ({
            status: answer.status,
            body: (await answer.json()) as { error?: { code: string; message: string } },
          }),
        );
      assert.equal((await me(token)).status, 200);
      assert.equal((await me(other.graphToken(expiresAt))).status, 401);
      clock.advance(SESSION_TOKEN_SECONDS * 1000 - 1);
      assert.equal((await me(token)).status, 200);
      clock.advance(1);
      const expired = await me(token);
      assert.equal(expired.status, 401);
      assert.equal(expired.body.error?.code, "InvalidAuthenticationToken");
      assert.match(expired.body.error?.message ?? "", /expired/);
    } finally {
      await Promise.all([mailbox.close(), other.close()]);
    }
  });
});
