// The simulator page behaves like Outlook across reloads and faults: the mailbox lives on the server that
// `npm start` runs (so a reload keeps it, tracked items included), Reset demo starts over on all three sides,
// the fault switches survive a reload and can always be undone, and the page starts while the CRM is down.
import assert from "node:assert/strict";
import {
  crmRow,
  ribbon,
  selectItem,
  syncFromPane,
  waitUntilBooted,
  type SimulatorPage,
  simulatorSuite,
} from "./simulator-fixture";

describe("simulator page across reloads and faults (Chromium)", function () {
  this.timeout(240_000);
  const suite = simulatorSuite((world) => {
    world.server.setCrmDown(false);
    world.server.mailbox.setThrottleGraph(false);
  });
  const open = suite.open;

  async function reload(s: SimulatorPage): Promise<void> {
    await s.page.reload();
    await waitUntilBooted(s.page);
  }

  it("opens on the Inbox with the first message selected and the task pane open, without a failed request", async () => {
    const s = await open();
    const folders = s.page.getByRole("navigation", { name: "Folders" });
    assert.equal(await folders.getByRole("button", { name: "Mail" }).getAttribute("aria-pressed"), "true");
    const selected = s.page.getByRole("list", { name: "Items" }).locator("button[aria-current=true]");
    assert.equal(await selected.count(), 1);
    const title = (await selected.textContent()) ?? "";
    await s.page
      .getByRole("article", { name: "Reading pane" })
      .getByRole("heading", { name: title })
      .waitFor();
    assert.equal(await s.page.getByRole("complementary", { name: "CRM pane" }).isVisible(), true);
    await s.pane.getByRole("region", { name: "This item" }).getByText(title).first().waitFor();
    assert.deepEqual(s.failedRequests, []);
  });

  it("keeps the mailbox over a reload: a tracked contact is still there and still tracked", async () => {
    const s = await open();
    await selectItem(s.page, "Contacts", "Bo Chen");
    await ribbon(s.page, "Track in CRM");
    await crmRow(s.page, "Bo Chen");
    await s.pane
      .getByRole("region", { name: "This item" })
      .getByText("Tracked in CRM", { exact: true })
      .waitFor();

    await reload(s);
    await selectItem(s.page, "Contacts", "Bo Chen");
    assert.match(
      (await s.page.getByRole("article", { name: "Reading pane" }).textContent()) ?? "",
      /Categories: Tracked to CRM/,
    );
    await s.pane
      .getByRole("region", { name: "This item" })
      .getByText("Tracked in CRM", { exact: true })
      .waitFor();
    const contacts = await s.page
      .getByRole("list", { name: "Items" })
      .getByRole("button", { name: /^Bo Chen/ })
      .count();
    assert.equal(contacts, 1, "the reload made no second Bo Chen");
    assert.deepEqual(s.errors, []);
  });

  it("Reset demo starts over in the mailbox, the add-in's cache and the CRM", async () => {
    const s = await open();
    await selectItem(s.page, "Contacts", "Dana Fischer");
    await ribbon(s.page, "Track in CRM");
    await crmRow(s.page, "Dana Fischer");

    const reset = s.page.getByRole("region", { name: "Faults" }).getByRole("button", { name: /^Reset/ });
    await reset.click();
    await reset.click();
    await s.page.waitForEvent("load");
    await waitUntilBooted(s.page);
    await crmRow(s.page, "Ann Lee");
    assert.equal(
      await s.page
        .getByRole("table", { name: "CRM records" })
        .getByRole("row")
        .filter({ hasText: "Dana Fischer" })
        .count(),
      0,
      "the CRM is back to the demo records",
    );
    await selectItem(s.page, "Contacts", "Dana Fischer");
    assert.match(
      (await s.page.getByRole("article", { name: "Reading pane" }).textContent()) ?? "",
      /No categories/,
    );
    await s.pane
      .getByRole("region", { name: "This item" })
      .getByText("Not tracked", { exact: true })
      .waitFor();
  });

  it("keeps Take the server down over a reload, starts while the CRM is down, and can bring it back", async () => {
    const s = await open();
    const faults = s.page.getByRole("region", { name: "Faults" });
    await faults.getByRole("checkbox", { name: "Take the server down" }).check();
    await faults.getByText("The sync server is down: its connections are cut.").waitFor();

    await reload(s);
    const down = s.page
      .getByRole("region", { name: "Faults" })
      .getByRole("checkbox", { name: "Take the server down" });
    await s.page.waitForFunction(
      () => document.querySelector<HTMLInputElement>("input[name=server-down]")?.checked === true,
    );
    await s.page
      .getByRole("region", { name: "CRM" })
      .getByRole("status")
      .filter({ hasText: /could not be reached/ })
      .waitFor();

    await down.uncheck();
    await s.page.getByRole("region", { name: "Faults" }).getByText("The sync server is up again.").waitFor();
    await crmRow(s.page, "Ann Lee");
  });

  it("takes a Sync now click while a sync runs: the button stays enabled and the click queues a sync", async () => {
    const s = await open();
    const frame = s.page.frame({ url: /sim-taskpane\.html/ });
    assert.ok(frame, "the pane's frame");
    // Read in one step, while the pane's first sync runs: its Sync now button must take a click.
    const during = await frame.waitForFunction(() => {
      const running = document.querySelector("[data-part=last-sync]")?.textContent === "syncing now…";
      const button = document.querySelector<HTMLButtonElement>("[data-part=sync-now]");
      return running && button !== null ? { disabled: button.disabled } : false;
    });
    assert.deepEqual(await during.jsonValue(), { disabled: false }, "Sync now is disabled while a sync runs");
    await s.pane.getByRole("button", { name: "Sync now" }).click();
    await s.pane
      .getByRole("status")
      .filter({ hasText: /^Synchronized/ })
      .waitFor({ timeout: 30_000 });
  });

  it("while the server is down says so with a next try within minutes, and clears on its own once it is back", async () => {
    const s = await open();
    await s.pane.getByRole("button", { name: "Sync now" }).click();
    await s.pane
      .getByRole("status")
      .filter({ hasText: /^Synchronized/ })
      .waitFor({ timeout: 30_000 });
    suite.world().server.setCrmDown(true);
    await s.pane.getByRole("button", { name: "Sync now" }).click();
    const alert = s.pane.getByRole("region", { name: "Sync status" }).getByRole("alert");
    await alert.filter({ hasText: "could not be reached" }).waitFor({ timeout: 30_000 });
    const text = (await alert.textContent()) ?? "";
    assert.match(text, /got no answer\. Check your connection\./, "full sentences");
    const next = await s.page.evaluate(() => {
      const frame = document.querySelector<HTMLIFrameElement>('iframe[title="CRM pane"]');
      return frame?.contentDocument?.querySelector("[data-part=next-sync]")?.textContent ?? "";
    });
    const minutes = (Date.parse(next) - Date.now()) / 60_000;
    assert.ok(Number.isNaN(minutes) || minutes < 2, `the next try is soon, not at the interval: ${next}`);
    assert.match(text, /Next try at \d{1,2}:\d{2}/);

    suite.world().server.setCrmDown(false);
    await alert.waitFor({ state: "hidden", timeout: 90_000 });
  });

  it("opens a second tab of the same browser on the mailbox, its CRM pane waiting until the first tab closes", async () => {
    const s = await open();
    await syncFromPane(s);
    const world = suite.world();
    const second = await s.context.newPage();
    await second.goto(world.server.simulatorUrl);
    await waitUntilBooted(second);
    await second.getByRole("list", { name: "Items" }).locator("button[aria-current=true]").waitFor();
    const secondPane = second.frameLocator('iframe[title="CRM pane"]');
    await secondPane.getByText(/^Another Outlook window is synchronizing this mailbox/).waitFor();
    assert.match(
      (await second.locator("[data-part=boot-status]").textContent()) ?? "",
      /Another simulator tab is synchronizing this mailbox/,
    );
    await s.page.close();
    await syncFromPane({ pane: secondPane });
    assert.equal(await second.locator("[data-part=boot-status]").textContent(), "");
  });

  it("keeps Throttle Graph over a reload: the pane says Throttled, retrying at HH:MM until it is switched off", async () => {
    const s = await open();
    await syncFromPane(s);
    const faults = s.page.getByRole("region", { name: "Faults" });
    await faults.getByRole("checkbox", { name: "Throttle Graph" }).check();
    await faults.getByText("Graph is throttled").waitFor();
    await reload(s);
    const box = s.page
      .getByRole("region", { name: "Faults" })
      .getByRole("checkbox", { name: "Throttle Graph" });
    await s.page.waitForFunction(
      () => document.querySelector<HTMLInputElement>("input[name=throttle-graph]")?.checked === true,
    );
    await s.pane.getByRole("button", { name: "Sync now" }).click();
    const alert = s.pane.getByRole("region", { name: "Sync status" }).getByRole("alert");
    await alert.filter({ hasText: /^Throttled, retrying at / }).waitFor({ timeout: 30_000 });
    await s.page.waitForFunction(() => {
      const frame = document.querySelector<HTMLIFrameElement>('iframe[title="CRM pane"]');
      const last = frame?.contentDocument?.querySelector("[data-part=last-sync]")?.textContent ?? "";
      return last !== "" && last !== "syncing now…";
    });
    const [last, next] = await s.page.evaluate(() => {
      const frame = document.querySelector<HTMLIFrameElement>('iframe[title="CRM pane"]');
      return ["last-sync", "next-sync"].map(
        (name) => frame?.contentDocument?.querySelector(`[data-part=${name}]`)?.textContent ?? "",
      );
    });
    assert.ok(!Number.isNaN(Date.parse(last ?? "")), `the last sync before the throttle is kept: ${last}`);
    // Shown to the minute: Graph's 60 s, not the 15-minute interval.
    const minutes = (Date.parse(next ?? "") - Date.now()) / 60_000;
    assert.ok(minutes > -1 && minutes < 3, `the next sync is Graph's Retry-After away: ${next}`);

    await box.uncheck();
    await s.page.getByRole("region", { name: "Faults" }).getByText("Graph answers again.").waitFor();
    await s.pane.getByRole("button", { name: "Sync now" }).click();
    await alert.waitFor({ state: "hidden", timeout: 30_000 });
    await s.pane
      .getByRole("status")
      .filter({ hasText: /^Synchronized/ })
      .waitFor();
  });

  it("counts an Outlook edit of a tracked item as pending as soon as it is recorded", async () => {
    const s = await open();
    await selectItem(s.page, "Contacts", "Ann Lee");
    await s.pane
      .getByRole("region", { name: "This item" })
      .getByText("Tracked in CRM", { exact: true })
      .waitFor();
    const form = s.page.getByRole("form", { name: "Edit item" });
    await form.getByText("Edit in Outlook").click();
    await form.getByLabel("Job title", { exact: true }).fill("Head buyer");
    await form.getByRole("button", { name: "Save in Outlook" }).click();
    await s.pane.locator("[data-part=pending]", { hasText: /^1$/ }).waitFor({ timeout: 10_000 });
  });

  it("Edit in Outlook offers every field of the type with readable labels, and says when the rules drop an edit", async () => {
    const s = await open();
    await selectItem(s.page, "Contacts", "Ann Lee");
    const form = s.page.getByRole("form", { name: "Edit item" });
    await form.getByText("Edit in Outlook").click();
    for (const label of [
      "First name",
      "Mobile telephone number",
      "Email 2 address",
      "Birthday",
      "Company name",
    ]) {
      assert.equal(await form.getByLabel(label, { exact: true }).count(), 1, label);
    }
    await form.getByLabel("Company name", { exact: true }).fill("Someone else Ltd");
    await form.getByLabel("Mobile telephone number", { exact: true }).fill("+1 555 0199");
    await form.getByRole("button", { name: "Save in Outlook" }).click();
    await s.page
      .getByRole("form", { name: "Edit item" })
      .getByRole("status")
      .filter({ hasText: "Company name is not sent to the CRM" })
      .waitFor();
  });

  it("keeps an open Edit in Outlook form while the mailbox changes, with task status choices in words", async () => {
    const world = suite.world();
    const s = await open();
    await selectItem(s.page, "Tasks", "Send the Fabrikam proposal");
    const form = s.page.getByRole("form", { name: "Edit item" });
    await form.getByText("Edit in Outlook").click();
    const status = form.getByLabel("Status", { exact: true });
    assert.deepEqual(await status.locator("option").allTextContents(), [
      "(none)",
      "Not started",
      "In progress",
      "Waiting on others",
      "Deferred",
      "Completed",
    ]);
    await status.selectOption({ label: "In progress" });
    // A write to the task (as a sync's stamp is) reaches the page's copy of the mailbox while the form is open.
    const taskOf = () =>
      suite
        .world()
        .server.mailbox.snapshot()
        .state.items.find((item) => item.fields["subject"] === "Send the Fabrikam proposal");
    await world.server.mailbox.call({
      method: "updateItem",
      args: [taskOf()?.itemId, { categories: ["Blue category"] }, { notify: true, by: "world" }],
    });
    await s.page.getByRole("list", { name: "Items" }).getByText("Blue category").waitFor();
    assert.equal(await form.locator("details").getAttribute("open"), "", "the form is still open");
    assert.equal(await status.locator("option:checked").textContent(), "In progress", "the choice is kept");
    await form.getByRole("button", { name: "Save in Outlook" }).click();
    await form.getByRole("status").filter({ hasText: "Saved in Outlook." }).waitFor();
    assert.equal(taskOf()?.fields["status"], "inProgress");
  });

  it("the CRM form shows a contact's parent account by name", async () => {
    const s = await open();
    await s.page.getByRole("button", { name: "Open CRM record Ann Lee" }).click();
    const form = s.page.getByRole("form", { name: "Edit CRM record" });
    const company = form.getByLabel("CRM parentaccount");
    assert.equal(await company.locator("option:checked").textContent(), "Contoso Ltd");
    assert.doesNotMatch((await form.textContent()) ?? "", /[0-9a-f]{8}-[0-9a-f]{4}-/);
  });
});
