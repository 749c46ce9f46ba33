// Runs every scenario NAME.json next to this file and in ../shared/scenarios through the simulator, and checks
// its output against NAME.expected.json (partial match). Each run builds its own world: the server (on the
// Postgres of DATABASE_URL in a fresh schema when set, else PGlite in memory), the mailbox, clients with their
// own IndexedDB, and engines over the real adapters.
// The project's own scenarios (this folder) also say what must not exist: `"$absent": ["crm.m2"]` in the
// expected file, and no made-up `<type>#<n>` ref unless the expected file names it (a made-up ref is a
// duplicate in every scenario here).
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { runScenario } from "../../src/sim/scenario/run-scenario";
import { ScenarioWorld } from "../../src/sim/scenario/scenario-world";
import { validateScenario } from "../../src/sim/scenario/validate-scenario";
import { silentLogger } from "./support/silent-logger";
import { firstMismatch, generatedRefs, presentPaths } from "./support/partial-match";

const ROOT = resolve(import.meta.dirname, "../..");
const FOLDERS = [join(ROOT, "test/scenarios"), resolve(ROOT, "../shared/scenarios")];

function scenarioFiles(folder: string): string[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder)
    .filter((name) => name.endsWith(".json") && !name.endsWith(".expected.json"))
    .sort()
    .map((name) => join(folder, name));
}

describe("scenarios (simulator, real adapters, real server)", function () {
  this.timeout(60_000);
  for (const folder of FOLDERS) {
    for (const file of scenarioFiles(folder)) {
      const expectedFile = file.replace(/\.json$/, ".expected.json");
      it(`${file.slice(ROOT.length - "main".length)} matches its expected output`, async () => {
        assert.ok(existsSync(expectedFile), `${expectedFile} is missing`);
        const checked = validateScenario(readFileSync(file, "utf8"));
        const world = new ScenarioWorld({ logger: silentLogger, databaseUrl: process.env["DATABASE_URL"] });
        try {
          const output = await runScenario(checked, world);
          const { $absent: absent = [], ...expected } = JSON.parse(readFileSync(expectedFile, "utf8")) as {
            $absent?: string[];
          } & Record<string, unknown>;
          const shown = `\nfull output: ${JSON.stringify(output)}`;
          assert.equal(firstMismatch(output, expected), null, `${firstMismatch(output, expected)}${shown}`);
          assert.deepEqual(presentPaths(output, absent), [], `objects that must not exist${shown}`);
          if (folder === FOLDERS[0]) {
            const unexpected = generatedRefs(output).filter(
              (path) => presentPaths(expected, [path]).length === 0,
            );
            assert.deepEqual(unexpected, [], `duplicates made by sync${shown}`);
          }
        } finally {
          await world.close();
        }
      });
    }
  }
});
