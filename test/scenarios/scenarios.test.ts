// Runs every scenario NAME.json next to this file and in ../shared/scenarios through the simulator, and checks
// its output against NAME.expected.json (partial match). Each run builds its own world: the server (on the
// Postgres of DATABASE_URL in a fresh schema when set, else PGlite in memory), the mailbox, clients with their
// own IndexedDB, and engines over the real adapters.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { runScenario } from "../../src/sim/scenario/run-scenario";
import { ScenarioWorld } from "../../src/sim/scenario/scenario-world";
import { validateScenario } from "../../src/sim/scenario/validate-scenario";
import { silentLogger } from "./support/silent-logger";
import { firstMismatch } from "./support/partial-match";

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
          const problem = firstMismatch(output, JSON.parse(readFileSync(expectedFile, "utf8")));
          assert.equal(problem, null, `${problem}\nfull output: ${JSON.stringify(output)}`);
        } finally {
          await world.close();
        }
      });
    }
  }
});
