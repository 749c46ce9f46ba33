/**
 * The browser suites' world: this run's production build served by `startAddinServer` (the same code as
 * `npm start`) on an in-memory database with the demo data, and headless Chromium. Each test gets a fresh
 * browser context, so its IndexedDB and client id start empty, and the demo mailbox again.
 */
import assert from "node:assert/strict";
import type { Browser, BrowserContext, FrameLocator, Page } from "playwright-core";
import { launchChromium } from "../support/chromium";
import { startAddinServer, type AddinServer } from "../../src/entry/cli/start";
import { productionBuild } from "../manifest/production-build";

const quiet = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

export interface SimulatorWorld {
  readonly server: AddinServer;
  readonly browser: Browser;
}

/** Builds (once per run), serves and launches Chromium; call from a `before` hook. */
export async function openWorld(context: Mocha.Context): Promise<SimulatorWorld> {
  const browser = await launchChromium(context);
  const server = await startAddinServer({
    distDir: await productionBuild(),
    port: 0,
    host: "127.0.0.1",
    tls: null,
    logger: quiet,
  });
  return { server, browser };
}

export async function closeWorld(world: SimulatorWorld | undefined): Promise<void> {
  await world?.browser.close();
  await world?.server.close();
}

/** A simulator page that finished booting, with every dialog and page error recorded. */
export interface SimulatorPage {
  readonly context: BrowserContext;
  readonly page: Page;
  readonly pane: FrameLocator;
  readonly dialogs: string[];
  readonly errors: string[];
  /** Every answer of 400 or more the page received, as "status url". */
  readonly failedRequests: string[];
}

export async function openSimulator(world: SimulatorWorld): Promise<SimulatorPage> {
  world.server.mailbox.reset();
  const context = await world.browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  const failedRequests: string[] = [];
  page.on("response", (response) => {
    if (response.status() >= 400) failedRequests.push(`${response.status()} ${response.url()}`);
  });
  const dialogs: string[] = [];
  const errors: string[] = [];
  page.on("dialog", (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto(world.server.simulatorUrl);
  await waitUntilBooted(page);
  return {
    context,
    page,
    pane: page.frameLocator('iframe[title="CRM pane"]'),
    dialogs,
    errors,
    failedRequests,
  };
}

/** What a suite of simulator-page tests shares: its world, and the page of the running test. */
export interface SimulatorSuite {
  /** The suite's world; only inside a test or hook. */
  readonly world: () => SimulatorWorld;
  /** Opens a fresh simulator page (its own browser context), closed after the test. */
  readonly open: () => Promise<SimulatorPage>;
}

/**
 * Registers the hooks of a suite of simulator-page tests, from inside its `describe`: the world for the whole
 * suite, and after each test `reset` (undoing the server-side switches a test may have left on) and the close
 * of the page it opened.
 */
export function simulatorSuite(reset?: (world: SimulatorWorld) => void): SimulatorSuite {
  let world: SimulatorWorld | undefined;
  let sim: SimulatorPage | undefined;
  before(async function () {
    world = await openWorld(this);
  });
  after(() => closeWorld(world));
  afterEach(async () => {
    if (world !== undefined) reset?.(world);
    await sim?.context.close();
    sim = undefined;
  });
  const current = (): SimulatorWorld => {
    assert.ok(world, "the suite's world is open only inside its tests and hooks");
    return world;
  };
  return {
    world: current,
    open: async () => {
      sim = await openSimulator(current());
      return sim;
    },
  };
}

/** Waits until the page finished booting; a failed start throws with what the page said. */
export async function waitUntilBooted(page: Page): Promise<void> {
  await page.waitForFunction(() => document.body.dataset["ready"] !== undefined, null, { timeout: 60_000 });
  const state = await page.evaluate(() => document.body.dataset["ready"]);
  if (state !== "true") {
    throw new Error(
      `the simulator did not start: ${await page.locator("[data-part=boot-status]").textContent()}`,
    );
  }
}

/** Opens a folder and selects the item with this title in the list. */
export async function selectItem(page: Page, folder: string, title: string): Promise<void> {
  await page.getByRole("navigation", { name: "Folders" }).getByRole("button", { name: folder }).click();
  await page.getByRole("list", { name: "Items" }).getByRole("button", { name: title }).click();
  await page.getByRole("article", { name: "Reading pane" }).getByRole("heading", { name: title }).waitFor();
}

/** Presses the pane's Sync now and waits until the pane says the sync finished. */
export async function syncFromPane(s: Pick<SimulatorPage, "pane">): Promise<void> {
  await s.pane.getByRole("button", { name: "Sync now" }).click();
  await s.pane
    .getByRole("status")
    .filter({ hasText: /^Synchronized/ })
    .waitFor({ timeout: 30_000 });
}

/** Clicks a button of the add-in's CRM group on the ribbon. */
export async function ribbon(page: Page, label: string): Promise<void> {
  await page.getByRole("toolbar", { name: "Ribbon" }).getByRole("button", { name: label }).click();
}

/** The row of the CRM view naming this record, once it shows. */
export async function crmRow(page: Page, label: string): Promise<string> {
  const row = page.getByRole("table", { name: "CRM records" }).getByRole("row").filter({ hasText: label });
  await row.first().waitFor({ timeout: 30_000 });
  return (await row.first().textContent()) ?? "";
}
