/** Opaque tokens expire, and the admin command lists and revokes them. */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SyncError } from "../../src/core/errors";
import { DEFAULT_TOKEN_LIFETIME_MS } from "../../src/server";
import { runServerBin } from "./support/server-bin";
import { startTestServer, type TestServer } from "./support/test-server";

const DAY = 86_400_000;

describe("CRM server opaque token lifecycle", function () {
  // The admin-command case starts eight processes, each opening the embedded database.
  this.timeout(240_000);
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.dispose());

  const rejectsUnauthorized = (promise: Promise<unknown>) =>
    assert.rejects(promise, (error: unknown) => error instanceof SyncError && error.code === "unauthorized");

  it("refuses a token once its lifetime is over (90 days by default, or as issued)", async () => {
    assert.equal(DEFAULT_TOKEN_LIFETIME_MS, 90 * DAY);
    const long = await t.user("alice");
    const short = await t.server.service.users.issueToken("alice", "short", DAY);
    assert.equal((await t.client(short).whoAmI()).user.id, "alice");
    t.clock.advance(DAY);
    await rejectsUnauthorized(t.client(short).whoAmI());
    assert.equal((await t.client(long).whoAmI()).user.id, "alice");
    t.clock.advance(89 * DAY);
    await rejectsUnauthorized(t.client(long).whoAmI());
    const listed = await t.server.service.users.listTokens("alice");
    assert.deepEqual(
      listed.map((token) => [token.label, token.expired]).sort(),
      [
        ["short", true],
        ["test", true],
      ],
      "both were made at the same time, so their order is the ids'",
    );
  });

  it("revokes one token by id, or every token of a user", async () => {
    const first = await t.user("bob");
    const second = await t.server.service.users.issueToken("bob", "laptop");
    const one = (await t.server.service.users.listTokens("bob")).find((token) => token.label === "test");
    assert.ok(one);
    await t.server.service.users.revokeToken(one.id);
    await rejectsUnauthorized(t.client(first).whoAmI());
    assert.equal((await t.client(second).whoAmI()).user.id, "bob");
    assert.equal(await t.server.service.users.revokeAllTokens("bob"), 1);
    await rejectsUnauthorized(t.client(second).whoAmI());
  });

  it("lists and revokes tokens from the admin command, naming a wrong id", async () => {
    const env = { DATA_DIR: join(mkdtempSync(join(tmpdir(), "tokens-")), "data"), TOKEN_LIFETIME_DAYS: "7" };
    assert.equal((await runServerBin(["user", "add", "zoe", "--privileges", "SyncToOutlook"], env)).code, 0);
    assert.equal((await runServerBin(["user", "token", "zoe"], env)).code, 0);
    const list = await runServerBin(["token", "list", "zoe"], env);
    assert.equal(list.code, 0, list.stderr);
    const lines = list.stdout.trim().split("\n");
    assert.equal(lines.length, 2);
    const [created, expires] = [...(lines[0] ?? "").matchAll(/\d{4}-\d\d-\d\dT[\d:]+Z/g)].map((m) =>
      Date.parse(m[0]),
    );
    assert.equal((expires ?? 0) - (created ?? 0), 7 * DAY, "TOKEN_LIFETIME_DAYS sets the lifetime");
    const id = /^([0-9a-f]{16}) {2}zoe {2}cli /.exec(lines[0] ?? "")?.[1];
    assert.ok(id, lines[0]);
    const revoked = await runServerBin(["token", "revoke", id], env);
    assert.equal(revoked.code, 0, revoked.stderr);
    const again = await runServerBin(["token", "revoke", id], env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, new RegExp(`no token ${id}`));
    const all = await runServerBin(["token", "revoke-all", "zoe"], env);
    assert.equal(all.stdout.trim(), "revoked 1 token of zoe");
    assert.equal((await runServerBin(["token", "list"], env)).stdout.trim(), "");
    const bad = await runServerBin(["token", "revoke", "nope"], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /16 hexadecimal digits/);
  });
});
