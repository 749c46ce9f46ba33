/** Types of tracked-files.mjs, for the tests that import it. */
export function trackedSnapshot(cwd: string): Map<string, string> | null;
export function changedBetween(before: Map<string, string>, after: Map<string, string>): string[];
