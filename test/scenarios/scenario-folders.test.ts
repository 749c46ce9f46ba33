// Scenario test names and folders: the same names wherever the repository is checked out, and SCENARIO_DIRS
// adding folders as given.
import assert from "node:assert/strict";
import { delimiter, join } from "node:path";
import { scenarioFolders, scenarioTestName } from "./support/scenario-folders";

function names(root: string, scenarioDirs?: string): string[] {
  return scenarioFolders(root, scenarioDirs).map((folder) =>
    scenarioTestName(folder, join(folder.dir, "merge-abc.json")),
  );
}

describe("scenario folders", () => {
  it("names the project's scenarios the same in a checkout called main and in one called otherwise", () => {
    assert.deepEqual(names("/srv/main"), ["test/scenarios/merge-abc.json matches its expected output"]);
    assert.deepEqual(names("/tmp/x/somename"), names("/srv/main"));
    assert.deepEqual(names("/a/b/c/d/outlook-crm-sync-fork"), names("/srv/main"));
  });

  it("reads nothing beside the checkout unless SCENARIO_DIRS names it", () => {
    const folders = scenarioFolders("/srv/main", undefined);
    assert.deepEqual(
      folders.map((folder) => [folder.dir, folder.own]),
      [["/srv/main/test/scenarios", true]],
    );
  });

  it("adds each SCENARIO_DIRS folder, resolved from the repository, under the name it was given", () => {
    const folders = scenarioFolders("/srv/main", ["../shared/scenarios/", "/opt/more"].join(delimiter));
    assert.deepEqual(
      folders.slice(1).map((folder) => [folder.dir, folder.label, folder.own]),
      [
        ["/srv/shared/scenarios", "../shared/scenarios", false],
        ["/opt/more", "/opt/more", false],
      ],
    );
  });
});
