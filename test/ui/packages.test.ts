// Customization packages in the browser simulator (SPEC §11): the administrator publishes with the
// `outlook-crm-server package` command (run in-process on the page's server database), the user syncs, and the
// task pane's "CRM package" section shows the package in use, the preferred version, a package waiting for
// Confirm, and a package that was not applied with its cause; the numbered log has the entry.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { CommandContext } from "../../src/entry/cli/server-commands/command";
import { packageCommand } from "../../src/entry/cli/server-commands/package";
import type { Database } from "../../src/server";
import { SystemClock } from "../../src/server";
import {
  closeWorld,
  openSimulator,
  openWorld,
  ribbon,
  selectItem,
  syncFromPane,
  type SimulatorPage,
  type SimulatorWorld,
} from "./simulator-fixture";

const quiet = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** The admin command on the page server's own database (which the command must not close). */
function admin(world: SimulatorWorld, printed: string[]): (...args: string[]) => Promise<void> {
  const db = world.server.database;
  const shared: Database = {
    kind: db.kind,
    schema: db.schema,
    query: (sql, params) => db.query(sql, params),
    exec: (sql) => db.exec(sql),
    transaction: (work) => db.transaction(work),
    listen: (channel, onPayload) => db.listen(channel, onPayload),
    close: () => Promise.resolve(),
  };
  const context: CommandContext = {
    env: {},
    logger: quiet,
    clock: new SystemClock(),
    print: (line) => printed.push(line),
    openDatabase: () => Promise.resolve(shared),
  };
  return (...args) => packageCommand.run(args, context);
}

describe("customization packages in the simulator page", function () {
  this.timeout(300_000);
  let world: SimulatorWorld | undefined;
  let sim: SimulatorPage | undefined;
  let folder = "";

  before(async function () {
    world = await openWorld(this);
    folder = await mkdtemp(path.join(tmpdir(), "crm-package-"));
  });
  after(async () => {
    await sim?.context.close();
    await closeWorld(world);
    await rm(folder, { recursive: true, force: true });
  });

  it("publishes with the admin command, syncs, and shows the package, its waiting successor and its problems", async () => {
    assert.ok(world);
    const printed: string[] = [];
    const run = admin(world, printed);
    sim = await openSimulator(world);
    const s = sim;
    await selectItem(s.page, "Contacts", "Ann Lee");
    await ribbon(s.page, "CRM pane");
    await syncFromPane(s);
    const section = s.pane.getByRole("region", { name: "CRM package" });
    const fact = (name: string) => section.locator(`[data-part=package-${name}]`);
    await section.getByText('1.0.0.0 for the role "salesperson"').waitFor();

    await run(
      ...["publish", "--role", "salesperson", "--version", "1.1.0.0", "--products", "1.0.0.0-1.99.99.99"],
      ...["--schemas", "1.0.0.0", "--preferred", "1.2.0.0", "--entities", "contact,appointment,email"],
    );
    assert.match(printed.join("\n"), /published package 1\.1\.0\.0 for role "salesperson"/);
    await syncFromPane(s);
    await section.getByText('1.1.0.0 for the role "salesperson"').waitFor();
    assert.equal(await fact("syncs").textContent(), "Contacts, Appointments, E-mails");
    assert.equal(await fact("product").textContent(), "1.0.0.0");
    assert.match((await fact("preferred").textContent()) ?? "", /Add-in version 1\.2\.0\.0 is the one/);

    await run("template", folder, "--version", "2.0.0.0");
    await run("publish", folder);
    await syncFromPane(s);
    const waiting = section.getByRole("group", { name: "Package waiting" });
    await waiting.getByText(/Package 2\.0\.0\.0 waits for your confirmation/).waitFor();
    assert.match((await fact("problem").textContent()) ?? "", /confirm the package in the task pane/);
    await waiting.getByRole("button", { name: "Confirm the new package" }).click();
    await s.pane.getByRole("status").filter({ hasText: "applies at the next sync" }).waitFor();
    await syncFromPane(s);
    await section.getByText('2.0.0.0 for the role "salesperson"').waitFor();
    assert.equal(await waiting.isHidden(), true);
    assert.equal(await fact("syncs").textContent(), "Contacts, Appointments, Tasks, E-mails");

    await run(
      ...["publish", "--role", "salesperson", "--version", "3.0.0.0", "--products", "3.0.0.0"],
      ...["--schemas", "2.0.0.0", "--preferred", "3.0.0.0"],
    );
    await syncFromPane(s);
    const problem = section.getByRole("alert");
    await problem.getByText(/3\.0\.0\.0 does not support this add-in version 1\.0\.0\.0/).waitFor();
    assert.match(
      (await problem.textContent()) ?? "",
      /preferred add-in version is 3\.0\.0\.0.*Install the preferred/,
    );
    assert.equal(await fact("applied").textContent(), '2.0.0.0 for the role "salesperson"');

    await s.pane.locator("[data-part=log] > summary").click();
    await s.pane.getByRole("button", { name: "Show log" }).click();
    await s.pane
      .getByLabel("Log text")
      .getByText(/CRM package problem: CRM package 3\.0\.0\.0/)
      .waitFor();
    assert.deepEqual(s.errors, []);
  });
});
