/** The task pane tells the user they are signed out when the CRM refuses their token (expired or revoked). */
import assert from "node:assert/strict";
import { SIMULATOR_USER } from "../../src/entry/cli/start";
import { createCrmService, SystemClock } from "../../src/server";
import {
  closeWorld,
  openSimulator,
  openWorld,
  ribbon,
  selectItem,
  syncFromPane,
  type SimulatorWorld,
} from "./simulator-fixture";

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

describe("task pane when the CRM token is no longer valid", function () {
  this.timeout(240_000);
  let world: SimulatorWorld | undefined;

  before(async function () {
    world = await openWorld(this);
  });
  after(() => closeWorld(world));

  it("shows 'signed out' with the sign-in action instead of a sync failure", async () => {
    assert.ok(world);
    const s = await openSimulator(world);
    try {
      await selectItem(s.page, "Contacts", "Ann Lee");
      await ribbon(s.page, "CRM pane");
      await syncFromPane(s);
      const service = createCrmService({
        db: world.server.database,
        clock: new SystemClock(),
        logger: quiet,
      });
      // The page's own session token is signed by the simulator's server and renewed by the page, so the pane is
      // made to hold an opaque token the server issued and then revoked, as a signed-out user's pane does.
      const revoked = await service.users.issueToken(SIMULATOR_USER, "revoked in this test");
      await service.users.revokeAllTokens(SIMULATOR_USER);
      await s.context.route(
        (url) => url.pathname.startsWith("/v1/"),
        (route) =>
          route.continue({
            headers: { ...route.request().headers(), authorization: `Bearer ${revoked}` },
          }),
      );
      await s.pane.getByRole("button", { name: "Sync now" }).click();
      const alert = s.pane.getByRole("alert").filter({ hasText: "Signed out of the CRM" });
      await alert.waitFor({ timeout: 30_000 });
      assert.match((await alert.textContent()) ?? "", /Sign in again from the task pane's settings\./);
      assert.deepEqual(s.errors, []);
    } finally {
      await s.context.close();
    }
  });
});
