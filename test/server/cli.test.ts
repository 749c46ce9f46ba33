/** The outlook-crm-server bin: help, usage errors, settings that cannot work, and the user commands. */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runServerBin } from "./support/server-bin";

describe("outlook-crm-server CLI", function () {
  this.timeout(60_000);

  it("prints the usage of every command on --help and exits 0", async () => {
    for (const flag of ["--help", "-h"]) {
      const { code, stdout } = await runServerBin([flag]);
      assert.equal(code, 0);
      for (const form of ["serve", "user add <id>", "user token <id>", "demo", "RATE_LIMIT_PER_MINUTE"]) {
        assert.ok(stdout.includes(form), `${flag} mentions ${form}`);
      }
    }
    const user = await runServerBin(["user", "--help"]);
    assert.equal(user.code, 0);
    assert.match(user.stdout, /user token <id>/);
    assert.doesNotMatch(user.stdout, /demo/, "a command's help lists only that command");
  });

  it("exits 2 naming an unknown command or a missing option", async () => {
    const unknown = await runServerBin(["frobnicate"]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "frobnicate"/);
    const missing = await runServerBin(["user", "add", "zoe"], {
      DATA_DIR: mkdtempSync(join(tmpdir(), "cli-")),
    });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--privileges is required/);
  });

  it("refuses to serve when no one could sign in, or when OIDC is half configured", async () => {
    const none = await runServerBin([], { OPAQUE_TOKENS: "off", PORT: "0" });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /OPAQUE_TOKENS=off without OIDC_ISSUER, OIDC_AUDIENCE and OIDC_JWKS_URL/);
    const half = await runServerBin([], { OIDC_ISSUER: "https://login.example.test/", PORT: "0" });
    assert.equal(half.code, 2);
    assert.match(half.stderr, /OIDC_AUDIENCE, OIDC_JWKS_URL not set/);
    const port = await runServerBin([], { PORT: "http" });
    assert.equal(port.code, 2);
    assert.match(port.stderr, /PORT must be a whole number from 0 to 65535, got "http"/);
  });

  it("adds a user and prints a token, then another token", async () => {
    const env = { DATA_DIR: join(mkdtempSync(join(tmpdir(), "cli-")), "data") };
    const added = await runServerBin(["user", "add", "zoe", "--privileges", "SyncToOutlook"], env);
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout.trim(), /^ocs_[\w-]{43}$/);
    const again = await runServerBin(["user", "token", "zoe"], env);
    assert.equal(again.code, 0, again.stderr);
    assert.notEqual(again.stdout.trim(), added.stdout.trim());
    const taken = await runServerBin(["user", "add", "zoe", "--privileges", ""], env);
    assert.equal(taken.code, 2);
    assert.match(taken.stderr, /a user "zoe" already exists/);
  });
});
