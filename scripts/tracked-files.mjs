// Which tracked files of a git checkout a command changed: `npm test` must leave every tracked file as it was.
// A snapshot maps each tracked file that differs from HEAD to its content hash (or "deleted"); comparing two
// snapshots names the files that changed in between, so edits made before the run are not blamed on it.
import { spawnSync } from "node:child_process";

function git(cwd, args) {
  const result = spawnSync("git", args, { cwd, encoding: "utf8" });
  return result.status === 0 ? result.stdout : null;
}

/**
 * The tracked files that differ from HEAD (paths from the repository's top), each with its content hash; null
 * outside a git checkout or without git.
 */
export function trackedSnapshot(cwd) {
  const top = git(cwd, ["rev-parse", "--show-toplevel"])?.trim();
  const status =
    top === undefined ? null : git(top, ["status", "--porcelain=v1", "-z", "--untracked-files=no"]);
  if (status === null) return null;
  const snapshot = new Map();
  const entries = status.split("\0").filter((entry) => entry !== "");
  for (let index = 0; index < entries.length; index += 1) {
    const entry = entries[index];
    const code = entry.slice(0, 2);
    const file = entry.slice(3);
    if (code.includes("R") || code.includes("C")) index += 1; // the original path follows a rename
    const hash = code.includes("D")
      ? "deleted"
      : (git(top, ["hash-object", "--", file])?.trim() ?? "unreadable");
    snapshot.set(file, hash);
  }
  return snapshot;
}

/** The files whose state differs between two snapshots, sorted. */
export function changedBetween(before, after) {
  const files = new Set([...before.keys(), ...after.keys()]);
  return [...files].filter((file) => before.get(file) !== after.get(file)).sort();
}
