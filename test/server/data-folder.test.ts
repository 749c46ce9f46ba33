/** PGlite's data folder: created owner-only, refused when too open, and held by one process through a lock file. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import {
  LOCK_FILE,
  lockDataFolder,
  processStartTime,
  type LockHolder,
} from "../../src/server/db/data-folder";
import { openPgliteDatabase } from "../../src/server/db/pglite-database";

const lockIn = (dir: string): LockHolder =>
  JSON.parse(readFileSync(join(dir, LOCK_FILE), "utf8")) as LockHolder;

const scratch = (): string => mkdtempSync(join(tmpdir(), "data-folder-"));

const folderWithLock = (holder: object): string => {
  const dir = join(scratch(), "data");
  mkdirSync(dir, { mode: 0o700 });
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify(holder));
  return dir;
};

/** The pid of a process that has already exited. */
const deadPid = (): number => {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], {
    encoding: "utf8",
  });
  return Number(child.stdout);
};

const holder = (fields: object) => ({
  pid: process.pid,
  host: hostname(),
  command: "outlook-crm-server serve",
  processStartedAt: processStartTime(process.pid),
  since: "2026-01-01T00:00:00.000Z",
  ...fields,
});

describe("PGlite's data folder", function () {
  this.timeout(60_000);

  it("creates a missing folder with mode 0700", () => {
    const dir = join(scratch(), "data");
    lockDataFolder(dir, "test").release();
    assert.equal(statSync(dir).mode & 0o777, 0o700);
  });

  it("refuses a folder of mode 0777 or 0770, naming the mode and chmod 700", () => {
    for (const mode of [0o777, 0o770]) {
      const dir = scratch();
      chmodSync(dir, mode);
      assert.throws(
        () => lockDataFolder(dir, "test"),
        (error: Error) =>
          error.message.includes(`mode 0${mode.toString(8)}`) && error.message.includes(`chmod 700 ${dir}`),
      );
      assert.deepEqual(readdirSync(dir), [], "nothing written");
    }
  });

  it("accepts a folder of mode 0750", () => {
    const dir = scratch();
    chmodSync(dir, 0o750);
    lockDataFolder(dir, "test").release();
  });

  it("refuses a second holder, naming it, and writes nothing", async () => {
    const dir = folderWithLock(holder({}));
    const before = readFileSync(join(dir, LOCK_FILE), "utf8");
    await assert.rejects(
      openPgliteDatabase({ dataDir: dir, schema: "crm" }),
      (error: Error) =>
        error.message.includes(`pid ${process.pid}`) &&
        error.message.includes(hostname()) &&
        error.message.includes("outlook-crm-server serve") &&
        error.message.includes("2026-01-01T00:00:00.000Z"),
    );
    assert.deepEqual(readdirSync(dir), [LOCK_FILE]);
    assert.equal(readFileSync(join(dir, LOCK_FILE), "utf8"), before);
  });

  it("takes over a stale lock of this host whose process is gone", () => {
    const dir = folderWithLock(holder({ pid: deadPid() }));
    const lock = lockDataFolder(dir, "test");
    assert.equal(lockIn(dir).pid, process.pid);
    lock.release();
  });

  it("takes over a lock whose pid now belongs to a process started at another time", function () {
    if (processStartTime(process.pid) === "unknown") this.skip();
    const dir = folderWithLock(holder({ processStartedAt: "1" }));
    const lock = lockDataFolder(dir, "test");
    assert.equal(lockIn(dir).command, "test");
    lock.release();
  });

  it("never takes over a lock from another host, or one naming no process", () => {
    for (const fields of [{ host: "elsewhere.example", pid: deadPid() }, { pid: undefined }]) {
      const dir = folderWithLock(holder(fields));
      assert.throws(() => lockDataFolder(dir, "test"), /is in use by another process/);
    }
  });

  it("holds the lock while the database is open and releases it on close", async () => {
    const dir = join(scratch(), "data");
    const db = await openPgliteDatabase({ dataDir: dir, schema: "crm" });
    assert.ok(existsSync(join(dir, LOCK_FILE)));
    assert.throws(() => lockDataFolder(dir, "test"), /is in use by another process/);
    await db.close();
    assert.ok(!existsSync(join(dir, LOCK_FILE)));
    lockDataFolder(dir, "test").release();
  });
});
