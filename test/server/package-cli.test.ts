/** `outlook-crm-server package …`: publish from a folder or from flags, template, list, withdraw, forbid. */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runServerBin } from "./support/server-bin";

/** Runs `body` with a fresh data directory and package folder, removed afterwards. */
async function inTempDir(body: (env: { DATA_DIR: string }, folder: string) => Promise<void>): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), "pkg-cli-"));
  try {
    await body({ DATA_DIR: join(root, "data") }, join(root, "package"));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

describe("outlook-crm-server package", function () {
  this.timeout(180_000);

  it("writes the default package, publishes it from the folder and from flags, lists, withdraws and forbids", async () => {
    await inTempDir(async (env, folder) => {
      const template = await runServerBin([
        "package",
        "template",
        folder,
        "--role",
        "sales",
        "--version",
        "2.0.0.0",
      ]);
      assert.equal(template.code, 0, template.stderr);
      assert.match(
        readFileSync(join(folder, "info.xml"), "utf8"),
        /<products>1\.0\.0\.0-1\.99\.99\.99<\/products><schemas>2\.0\.0\.0<\/schemas>/,
      );

      const published = await runServerBin(["package", "publish", folder], env);
      assert.equal(published.code, 0, published.stderr);
      assert.match(published.stdout, /published package 2\.0\.0\.0 for role "sales"/);

      const flags = await runServerBin(
        [
          "package",
          "publish",
          "--role",
          "sales",
          "--version",
          "2.1.0.0",
          "--products",
          "1.0.0.0-2.99.99.99",
          "--schemas",
          "2.0.0.0",
          "--preferred",
          "1.0.0.0",
          "--entities",
          "contact,email",
        ],
        env,
      );
      assert.equal(flags.code, 0, flags.stderr);
      const list = await runServerBin(["package", "list"], env);
      assert.equal(list.code, 0, list.stderr);
      assert.match(list.stdout, /^sales\t2\.1\.0\.0\t\S+\t\*\nsales\t2\.0\.0\.0\t\S+$/m);

      const withdrawn = await runServerBin(["package", "withdraw", "--role", "sales"], env);
      assert.match(withdrawn.stdout, /withdrew 2 package\(s\) of role "sales"/);
      const added = await runServerBin(["user", "add", "zoe", "--privileges", "SyncToOutlook"], env);
      assert.equal(added.code, 0, added.stderr);
      const forbid = await runServerBin(["package", "forbid", "zoe"], env);
      assert.match(forbid.stdout, /refused zoe the package download/);
      const role = await runServerBin(["user", "role", "zoe", "sales"], env);
      assert.match(role.stdout, /zoe now has role "sales"/);
    });
  });

  it("refuses a folder the add-in would refuse, and malformed flags, naming the problem (exit 2)", async () => {
    await inTempDir(async (env, folder) => {
      await runServerBin(["package", "template", folder]);
      rmSync(join(folder, "filters.json"));
      const missing = await runServerBin(["package", "publish", folder], env);
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /not a valid package: the zip lacks the required file filters\.json/);
      writeFileSync(join(folder, "filters.json"), '{"contact":{"rules":["organizer"]}}');
      const meaningless = await runServerBin(["package", "publish", folder], env);
      assert.equal(meaningless.code, 2);
      assert.match(meaningless.stderr, /filters\.json: no rules for "appointment"/);
      const flags = ["package", "publish", "--role", "r", "--version", "1.0.0.0", "--schemas", "1.0.0.0"];
      const refusals: [string[], RegExp][] = [
        [["--products", "1.0-2.0"], /--products: In <products>: At position 3 of "1\.0-2\.0": expected "\."/],
        [["--products", "1.0.0.0", "--entities", "fax"], /--entities: unknown entity type "fax"/],
      ];
      for (const [extra, problem] of refusals) {
        const refused = await runServerBin([...flags, ...extra], env);
        assert.equal(refused.code, 2);
        assert.match(refused.stderr, problem);
      }
    });
  });
});
