// Runs every scenario NAME.json next to this file through the simulator, and checks its output against
// NAME.expected.json (partial match, docs/SCENARIOS.md "Expected files"). Each run builds its own world: the
// server (on the Postgres of DATABASE_URL in a fresh schema when set, else PGlite in memory), the mailbox,
// clients with their own IndexedDB, and engines over the real adapters.
// The project's own scenarios (this folder) also say what must not exist: `"$absent": ["crm.m2"]` in the
// expected file, and no made-up `<type>#<n>` ref unless the expected file names it (a made-up ref is a
// duplicate in every scenario here).
// SCENARIO_DIRS (folders separated by the path delimiter) adds other folders of scenarios, checked by the
// partial match only; CI uses it for example scenarios kept outside the repository.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { runScenario } from "../../src/sim/scenario/run-scenario";
import { ScenarioWorld } from "../../src/sim/scenario/scenario-world";
import { validateScenario } from "../../src/sim/scenario/validate-scenario";
import { silentLogger } from "./support/silent-logger";
import { firstMismatch, generatedRefs, presentPaths } from "./support/partial-match";
import { scenarioFiles, scenarioFolders, scenarioTestName } from "./support/scenario-folders";

const ROOT = resolve(import.meta.dirname, "../..");
const FOLDERS = scenarioFolders(ROOT, process.env["SCENARIO_DIRS"]);

/** Runs one scenario file and checks its output against the expected file. */
async function checkScenario(
  folder: (typeof FOLDERS)[number],
  file: string,
  options: { readonly headlessPrimary: boolean },
): Promise<void> {
  const expectedFile = file.replace(/\.json$/, ".expected.json");
  assert.ok(existsSync(expectedFile), `${expectedFile} is missing`);
  const checked = validateScenario(readFileSync(file, "utf8"));
  const world = new ScenarioWorld({
    logger: silentLogger,
    databaseUrl: process.env["DATABASE_URL"],
    headlessPrimary: options.headlessPrimary,
  });
  try {
    const output = await runScenario(checked, world);
    const primaries = checked.scenario.clients.filter((client) => client.role === "primary");
    assert.ok(
      primaries.every((client) => world.client(client.id).headless === options.headlessPrimary),
      "the primary client is not the kind this run asked for",
    );
    const { $absent: absent = [], ...expected } = JSON.parse(readFileSync(expectedFile, "utf8")) as {
      $absent?: string[];
    } & Record<string, unknown>;
    const shown = `\nfull output: ${JSON.stringify(output)}`;
    assert.equal(firstMismatch(output, expected), null, `${firstMismatch(output, expected)}${shown}`);
    assert.deepEqual(presentPaths(output, absent), [], `objects that must not exist${shown}`);
    if (folder.own) {
      const unexpected = generatedRefs(output).filter((path) => presentPaths(expected, [path]).length === 0);
      assert.deepEqual(unexpected, [], `duplicates made by sync${shown}`);
    }
  } finally {
    await world.close();
  }
}

describe("scenarios (simulator, real adapters, real server)", function () {
  this.timeout(60_000);
  for (const folder of FOLDERS) {
    if (!folder.own && !existsSync(folder.dir)) {
      it(`${folder.label}: SCENARIO_DIRS names a folder that exists`, () => {
        assert.fail(`${folder.dir} does not exist`);
      });
    }
    for (const file of scenarioFiles(folder.dir)) {
      it(scenarioTestName(folder, file), () => checkScenario(folder, file, { headlessPrimary: false }));
    }
  }
});

// The same scenarios with the primary client played by the headless engine (the server's background sync on
// its Postgres cache, Graph as /users/{address}); a click goes to a task pane that is a secondary client, and
// the server runs the mailbox at once. Every expected file must still hold: the rules are the same on both paths.
describe("scenarios with the headless engine as the primary client (--headless-primary)", function () {
  this.timeout(60_000);
  for (const folder of FOLDERS) {
    if (!existsSync(folder.dir)) continue;
    for (const file of scenarioFiles(folder.dir)) {
      it(scenarioTestName(folder, file), () => checkScenario(folder, file, { headlessPrimary: true }));
    }
  }
});
