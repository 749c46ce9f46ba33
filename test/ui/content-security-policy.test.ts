/**
 * Issue 14: every page `npm start` serves answers with its Content-Security-Policy, the simulator runs and syncs
 * under it without one violation (zod validating the server's answers in its jitless mode, so it never probes
 * `new Function`), and script injected into the pane, inline or through eval, is blocked.
 */
import assert from "node:assert/strict";
import type { BrowserContext, Frame, FrameLocator, Page } from "playwright-core";
import { ADDIN_PAGES, pagePolicy, SIMULATOR_PAGES } from "../../src/entry/cli/page-policy";
import {
  closeWorld,
  openWorld,
  syncFromPane,
  waitUntilBooted,
  type SimulatorWorld,
} from "./simulator-fixture";

/** A booted simulator page whose every frame reports its CSP violations. */
interface WatchedPage {
  readonly context: BrowserContext;
  readonly page: Page;
  readonly pane: FrameLocator;
  /** "directive blocked what (in which page)", in the order reported. */
  readonly violations: string[];
}

async function openWatched(world: SimulatorWorld): Promise<WatchedPage> {
  world.server.mailbox.reset();
  const context = await world.browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const violations: string[] = [];
  await context.exposeBinding("reportCspViolation", ({ frame }, text: string) => {
    violations.push(`${text} (in ${new URL(frame.url()).pathname})`);
  });
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      const page = window as unknown as { reportCspViolation: (text: string) => void };
      page.reportCspViolation(`${event.effectiveDirective} blocked ${event.blockedURI}`);
    });
  });
  const page = await context.newPage();
  page.on("console", (message) => {
    if (message.text().includes("Content Security Policy")) violations.push(message.text());
  });
  await page.goto(world.server.simulatorUrl);
  await waitUntilBooted(page);
  return { context, page, pane: page.frameLocator('iframe[title="CRM pane"]'), violations };
}

function paneFrame(page: Page): Frame {
  const frame = page.frames().find((f) => f.url().endsWith("/sim-taskpane.html"));
  assert.ok(frame, "the task pane's frame is open");
  return frame;
}

/** Waits until `violations` holds one matching `pattern`; fails after 5 s. */
async function reported(violations: readonly string[], pattern: RegExp): Promise<void> {
  for (let waited = 0; !violations.some((v) => pattern.test(v)); waited += 50) {
    assert.ok(waited < 5_000, `no violation matching ${pattern} was reported: ${JSON.stringify(violations)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("Content-Security-Policy of the pages", function () {
  this.timeout(240_000);
  let world: SimulatorWorld | undefined;

  before(async function () {
    world = await openWorld(this);
  });
  after(() => closeWorld(world));

  it("sends each page's policy, and the simulator loads and syncs without one violation", async () => {
    assert.ok(world);
    for (const name of ["", ...ADDIN_PAGES, ...SIMULATOR_PAGES]) {
      const response: Response = await fetch(new URL(name, world.server.baseUrl));
      assert.equal(response.status, 200, name);
      const policy = response.headers.get("content-security-policy") ?? "";
      assert.equal(policy, pagePolicy(`/${name}`), `/${name}`);
      assert.doesNotMatch(policy, /unsafe-(inline|eval)/, `/${name}`);
    }
    const s = await openWatched(world);
    try {
      await syncFromPane(s);
      assert.deepEqual(s.violations, []);
    } finally {
      await s.context.close();
    }
  });

  it("blocks an inline script and eval injected into the pane", async () => {
    assert.ok(world);
    const s = await openWatched(world);
    try {
      const pane = paneFrame(s.page);
      await pane.evaluate(() => {
        const script = document.createElement("script");
        script.textContent = "document.body.dataset['injected'] = 'ran'";
        document.body.append(script);
      });
      await reported(s.violations, /^script-src-elem blocked inline \(in \/sim-taskpane\.html\)/);
      assert.equal(await pane.evaluate(() => document.body.dataset["injected"]), undefined);
      // Run from a task the page itself schedules: DevTools' own evaluation is exempt from the policy.
      const evaluated = await pane.evaluate(
        () =>
          new Promise<string>((resolve) =>
            setTimeout(() => {
              try {
                resolve(String((0, eval)("'ran'")));
              } catch (error) {
                resolve((error as Error).name);
              }
            }),
          ),
      );
      assert.equal(evaluated, "EvalError");
      await reported(s.violations, /^script-src blocked eval \(in \/sim-taskpane\.html\)/);
    } finally {
      await s.context.close();
    }
  });

  it("validates the server's answers with zod under the policy, without its eval probe", async () => {
    assert.ok(world);
    const s = await openWatched(world);
    try {
      await syncFromPane(s);
      // A PrepareSync answer the protocol refuses (a negative count) must be caught by the page's zod.
      const prepareSync = (url: URL): boolean => url.pathname === "/v1/sync/prepare";
      await s.context.route(prepareSync, async (route) => {
        const answer = await route.fetch();
        const body = (await answer.json()) as { counts: Record<string, number> };
        await route.fulfill({ response: answer, json: { ...body, counts: { ...body.counts, task: -1 } } });
      });
      await s.pane.getByRole("button", { name: "Sync now" }).click();
      await s.pane
        .getByRole("alert")
        .filter({ hasText: "The CRM server had a problem with this request." })
        .waitFor({ timeout: 30_000 });
      await s.context.unroute(prepareSync);
      await syncFromPane(s);
      assert.deepEqual(s.violations, [], "zod ran in its jitless mode: no eval was tried");
    } finally {
      await s.context.close();
    }
  });
});
