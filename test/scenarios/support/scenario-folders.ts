/**
 * Which folders of scenario files a test run covers, and the name each file's test is shown under. Names never
 * depend on where the repository is checked out: the project's own files are named relative to the repository
 * root, extra folders (SCENARIO_DIRS) as the variable gives them.
 */
import { existsSync, readdirSync } from "node:fs";
import { basename, delimiter, join, relative, resolve } from "node:path";

/** One folder of scenarios. `own` folders get the project's extra checks ($absent, no made-up refs). */
export interface ScenarioFolder {
  readonly dir: string;
  readonly label: string;
  readonly own: boolean;
}

/** The repository's `test/scenarios`, then each folder of `scenarioDirs` (separated by the path delimiter). */
export function scenarioFolders(root: string, scenarioDirs: string | undefined): ScenarioFolder[] {
  const own = join(root, "test", "scenarios");
  return [
    { dir: own, label: relative(root, own).split(/[\\/]/).join("/"), own: true },
    ...(scenarioDirs ?? "")
      .split(delimiter)
      .filter((dir) => dir.trim() !== "")
      .map((dir) => ({ dir: resolve(root, dir), label: dir.replace(/[\\/]+$/, ""), own: false })),
  ];
}

/** The scenario files of a folder (every `NAME.json` that is not an expected file), sorted; none when it is missing. */
export function scenarioFiles(folder: string): string[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder)
    .filter((name) => name.endsWith(".json") && !name.endsWith(".expected.json"))
    .sort()
    .map((name) => join(folder, name));
}

/** The test name of one scenario file. */
export function scenarioTestName(folder: ScenarioFolder, file: string): string {
  return `${folder.label}/${basename(file)} matches its expected output`;
}
