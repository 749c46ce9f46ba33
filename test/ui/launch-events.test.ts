// The send events on the simulator page run where Outlook on the web runs them: the built launch-events.js,
// loaded in a hidden frame of its own per send, which sees only the event's Office and OfficeRuntime.storage.
// The event only stamps and queues a request; the page's runtime, the sync owner, carries the request out.
import assert from "node:assert/strict";
import type { Page, Request } from "playwright-core";
import { ADDIN_ID } from "../../src/entry/commands/addin-id";
import {
  crmRow,
  ribbon,
  selectItem,
  syncFromPane,
  type SimulatorPage,
  simulatorSuite,
} from "./simulator-fixture";

const FRAMES = "iframe[name^=crm-launch-event-]";

describe("launch events on the simulator page (Chromium)", function () {
  this.timeout(240_000);
  const suite = simulatorSuite((world) => world.server.setCrmDown(false));
  const open = suite.open;

  /** The server's copy of the message with this subject in Sent Items, once it is there. */
  function sentMessage(subject: string): { itemId: string } | undefined {
    const mailbox = suite.world().server.mailbox.mailbox;
    const sent = mailbox?.folders().find((folder) => folder.wellKnownName === "sentitems");
    if (mailbox === undefined || sent === undefined) return undefined;
    return mailbox.list(sent.folderId).find((item) => item.fields["subject"] === subject);
  }

  /** Sends a new message to Bo, marked "track on send" first; resolves with the ms from Send to Sent Items. */
  async function composeTrackAndSend(s: SimulatorPage, subject: string, beforeSend = (): void => undefined) {
    await s.page.getByRole("toolbar", { name: "Ribbon" }).getByRole("button", { name: "New e-mail" }).click();
    const form = s.page.getByRole("form", { name: "New message" });
    await form.getByLabel("To").fill("bo.chen@fabrikam.example");
    await form.getByLabel("Subject").fill(subject);
    await form.getByLabel("Message").fill("The proposal is attached.");
    await ribbon(s.page, "Track in CRM");
    await s.page
      .getByRole("list", { name: "Notification bar" })
      .getByText(/when it is sent|on send/i)
      .waitFor({ timeout: 30_000 });
    beforeSend();
    const started = Date.now();
    await form.getByRole("button", { name: "Send" }).click();
    const deadline = started + 20_000;
    while (sentMessage(subject) === undefined) {
      assert.ok(Date.now() < deadline, "the message never reached Sent Items");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return Date.now() - started;
  }

  function crmRows(page: Page, label: string) {
    return page.getByRole("table", { name: "CRM records" }).getByRole("row").filter({ hasText: label });
  }

  it("runs the built launch-events.js once in its own frame: it completes while the CRM is down, and the stamped message lands in the CRM once", async () => {
    const world = suite.world();
    const s = await open();
    const loads: string[] = [];
    s.page.on("request", (request: Request) => {
      if (new URL(request.url()).pathname.endsWith("/launch-events.js")) loads.push(request.frame().name());
    });
    const subject = "Proposal for the Fabrikam renewal";
    const elapsed = await composeTrackAndSend(s, subject, () => suite.world().server.setCrmDown(true));
    assert.ok(elapsed < 3_000, `the send took ${elapsed} ms`);
    assert.equal(loads.length, 1, `launch-events.js loaded by ${JSON.stringify(loads)}`);
    assert.match(loads[0] ?? "", /^crm-launch-event-/);
    await s.page.waitForFunction((selector) => document.querySelectorAll(selector).length === 0, FRAMES);
    const sent = sentMessage(subject);
    assert.ok(sent);
    assert.equal(
      world.server.mailbox.mailbox.customProperties(sent.itemId, ADDIN_ID)["state"],
      "trackOnSend",
    );

    world.server.setCrmDown(false);
    await syncFromPane(s);
    await crmRow(s.page, subject);
    assert.equal(await crmRows(s.page, subject).count(), 1);
    await syncFromPane(s);
    await s.page.getByRole("button", { name: "Refresh CRM" }).click();
    await crmRow(s.page, subject);
    assert.equal(await crmRows(s.page, subject).count(), 1, "a second sync made no second record");
  });

  it("gives the file a frame with only Office and OfficeRuntime.storage: no storage, network, parent or opener", async () => {
    const s = await open();
    // The probe stores what it sees, then completes.
    const probe = `(function () {
      var names = ["localStorage", "sessionStorage", "indexedDB", "fetch", "XMLHttpRequest", "WebSocket",
        "parent", "opener", "frameElement", "crmSimulator"];
      var seen = {};
      names.forEach(function (name) { seen[name] = typeof window[name]; });
      var blank = document.createElement("iframe");
      document.body.appendChild(blank);
      var standard = Object.keys(blank.contentWindow);
      document.body.removeChild(blank);
      var report = {
        seen: seen,
        added: Object.keys(window).filter(function (key) { return standard.indexOf(key) < 0; }).sort(),
        officeRuntime: Object.keys(OfficeRuntime),
        itemType: Office.context.mailbox.item.itemType
      };
      Office.actions.associate("onMessageSendHandler", function (event) {
        OfficeRuntime.storage.setItem("probe", JSON.stringify(report)).then(function () {
          event.completed({ allowEvent: true });
        });
      });
    })();`;
    await s.context.route("**/launch-events.js", (route) =>
      route.fulfill({ contentType: "text/javascript", body: probe }),
    );
    await composeTrackAndSend(s, "What a launch event sees");
    const report = JSON.parse(
      (await s.page.evaluate(() => window.crmSimulator?.storage.getItem("probe"))) ?? "null",
    ) as { seen: Record<string, string>; added: string[]; officeRuntime: string[]; itemType: string };
    for (const [name, type] of Object.entries(report.seen)) assert.equal(type, "undefined", name);
    assert.deepEqual(report.added, ["Office", "OfficeRuntime"]);
    assert.deepEqual(report.officeRuntime, ["storage"]);
    assert.equal(report.itemType, "message");
  });

  it("lets the send go after 5 s when the handler never calls event.completed, and says so", async () => {
    const s = await open();
    const warnings: string[] = [];
    s.page.on("console", (message) => {
      if (message.type() === "warning") warnings.push(message.text());
    });
    await s.context.route("**/launch-events.js", (route) =>
      route.fulfill({
        contentType: "text/javascript",
        body: 'Office.actions.associate("onMessageSendHandler", function () {});',
      }),
    );
    const elapsed = await composeTrackAndSend(s, "A handler that never completes");
    assert.ok(elapsed >= 5_000 && elapsed < 8_000, `the send took ${elapsed} ms`);
    assert.equal(await s.page.locator(FRAMES).count(), 0);
    assert.ok(
      warnings.some((text) => text.includes("did not call event.completed within 5000 ms")),
      JSON.stringify(warnings),
    );
  });

  it("carries out a meeting's Send update through the request OnAppointmentSend queued", async () => {
    const s = await open();
    await selectItem(s.page, "Calendar", "Quarterly review with Fabrikam");
    await ribbon(s.page, "Track in CRM");
    await crmRow(s.page, "Quarterly review with Fabrikam");
    await syncFromPane(s);
    // Without notifications, nothing but the queued request makes the page's runtime sync before its timer.
    await s.page.getByRole("checkbox", { name: "Drop notifications" }).check();
    const form = s.page.getByRole("form", { name: "Edit item" });
    await form.getByText("Edit in Outlook").click();
    await form.getByLabel("Subject", { exact: true }).fill("Quarterly review with Fabrikam (moved)");
    const loads: string[] = [];
    s.page.on("request", (request: Request) => {
      if (new URL(request.url()).pathname.endsWith("/launch-events.js")) loads.push(request.frame().name());
    });
    await form.getByRole("button", { name: "Send update" }).click();
    await form.getByRole("status").filter({ hasText: "Update sent to the attendees." }).waitFor();
    assert.equal(loads.length, 1);
    const row = crmRows(s.page, "Quarterly review with Fabrikam (moved)");
    await row.first().waitFor({ timeout: 15_000 });
    assert.equal(await row.count(), 1);
  });
});
