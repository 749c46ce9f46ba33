/**
 * PGlite's data folder: owner-only, as PostgreSQL requires of its data directory, and held by one process at a
 * time through a lock file, so an admin command or a second server never writes into a running server's database.
 */
import { closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";

/** The lock file's name inside the data folder. */
export const LOCK_FILE = "outlook-crm-server.lock";

/** What the lock file says about its holder. */
export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  readonly command: string;
  /** The holder's process start time (from /proc on Linux), or "unknown". */
  readonly processStartedAt: string;
  /** ISO time the lock was taken. */
  readonly since: string;
}

/** A held data folder; `release()` removes the lock file. */
export interface DataFolderLock {
  release(): void;
}

/** A process's start time in clock ticks since boot, from /proc/<pid>/stat (field 22); "unknown" elsewhere. */
export function processStartTime(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19] ?? "unknown";
  } catch {
    return "unknown";
  }
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
};

/** Creates `dir` owner-only (0700) when missing; refuses one owned by another user or with a mode above 0750. */
export function prepareDataFolder(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = statSync(dir);
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid) {
    throw new Error(`The data folder ${dir} is owned by user ${stat.uid}, not by this user (${uid}).`);
  }
  const mode = stat.mode & 0o777;
  if ((mode & 0o027) !== 0) {
    throw new Error(
      `The data folder ${dir} has mode 0${mode.toString(8)}; it must not allow more than 0750. Run: chmod 700 ${dir}`,
    );
  }
}

const readHolder = (file: string): Partial<LockHolder> => {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Partial<LockHolder>;
  } catch {
    return {};
  }
};

/** A lock of this host whose process is gone, or whose pid now runs a process started at another time. */
const isStale = (holder: Partial<LockHolder>): boolean => {
  const { pid, host, processStartedAt } = holder;
  if (host !== hostname() || typeof pid !== "number" || !Number.isInteger(pid) || pid <= 0) return false;
  if (!isAlive(pid)) return true;
  const now = processStartTime(pid);
  return (
    typeof processStartedAt === "string" &&
    processStartedAt !== "unknown" &&
    now !== "unknown" &&
    now !== processStartedAt
  );
};

const describe = (holder: Partial<LockHolder>): string =>
  `pid ${String(holder.pid ?? "?")} on ${holder.host ?? "?"}, "${holder.command ?? "?"}", since ${holder.since ?? "?"}`;

/**
 * Prepares `dir` and takes its lock for `command`; a stale lock is taken over, any other refuses with an
 * error naming its holder, and nothing is written then.
 */
export function lockDataFolder(dir: string, command: string): DataFolderLock {
  prepareDataFolder(dir);
  const file = join(dir, LOCK_FILE);
  const own: LockHolder = {
    pid: process.pid,
    host: hostname(),
    command,
    processStartedAt: processStartTime(process.pid),
    since: new Date().toISOString(),
  };
  for (let attempt = 0; attempt < 2; attempt += 1) {
    let fd: number;
    try {
      fd = openSync(file, "wx", 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = readHolder(file);
      if (attempt === 0 && isStale(holder)) {
        unlinkSync(file);
        continue;
      }
      throw new Error(
        `The data folder ${dir} is in use by another process (${describe(holder)}); ${file} holds it.`,
      );
    }
    try {
      writeSync(fd, `${JSON.stringify(own)}\n`);
    } finally {
      closeSync(fd);
    }
    let released = false;
    return {
      release() {
        if (released) return;
        released = true;
        if (readHolder(file).pid === own.pid) unlinkSync(file);
      },
    };
  }
  throw new Error(`The data folder ${dir} could not be locked: ${file} keeps reappearing.`);
}
