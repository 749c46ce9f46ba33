/** `outlook-crm-server mailboxes`: enabling, listing, status, unknown users and wrong command lines. */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runServerBin } from "./support/server-bin";

describe("outlook-crm-server mailboxes", function () {
  this.timeout(120_000);
  const env = { DATA_DIR: join(mkdtempSync(join(tmpdir(), "mailboxes-cli-")), "data") };

  before(async () => {
    const added = await runServerBin(["user", "add", "zoe", "--privileges", "SyncToOutlook"], env);
    assert.equal(added.code, 0, added.stderr);
  });

  it("lists nothing, enables, lists, shows the status and disables", async () => {
    const empty = await runServerBin(["mailboxes", "list"], env);
    assert.equal(empty.code, 0, empty.stderr);
    assert.match(
      empty.stdout,
      /no mailboxes \(enable one with: outlook-crm-server mailboxes enable <user>\)/,
    );
    const enabled = await runServerBin(["mailboxes", "enable", "zoe"], env);
    assert.equal(enabled.code, 0, enabled.stderr);
    assert.equal(enabled.stdout.trim(), "background sync of zoe's mailbox is now enabled");
    const again = await runServerBin(["mailboxes", "enable", "zoe"], env);
    assert.equal(again.stdout.trim(), "background sync of zoe's mailbox was already enabled");
    const list = await runServerBin(["mailboxes", "list"], env);
    assert.match(list.stdout, /^zoe {2}enabled {2}never run {2}next \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/m);
    const status = await runServerBin(["mailboxes", "status", "zoe"], env);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^mailbox: zoe$/m);
    assert.match(status.stdout, /^background sync: enabled since \d{4}-/m);
    assert.match(status.stdout, /^last run: never$/m);
    assert.match(status.stdout, /^failed runs in a row: 0$/m);
    const disabled = await runServerBin(["mailboxes", "disable", "zoe"], env);
    assert.equal(disabled.stdout.trim(), "background sync of zoe's mailbox is now disabled");
    const after = await runServerBin(["mailboxes", "status", "zoe"], env);
    assert.match(after.stdout, /^next run: none \(disabled\)$/m);
  });

  it("names an unknown user (exit 1) and a wrong command line (exit 2 with the usage)", async () => {
    for (const action of ["enable", "status"]) {
      const unknown = await runServerBin(["mailboxes", action, "nobody"], env);
      assert.equal(unknown.code, 1, action);
      assert.match(unknown.stderr, /no user "nobody" \(add one with: outlook-crm-server user add\)/);
    }
    for (const args of [
      ["mailboxes", "enable"],
      ["mailboxes", "list", "zoe"],
    ]) {
      const wrong = await runServerBin(args, env);
      assert.equal(wrong.code, 2, args.join(" "));
      assert.match(wrong.stderr, /unknown command "mailboxes/);
      assert.match(wrong.stderr, /mailboxes status <user>/);
    }
    const help = await runServerBin(["mailboxes", "--help"], env);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /mailboxes enable <user>/);
    assert.doesNotMatch(help.stdout, /user add/);
  });
});
