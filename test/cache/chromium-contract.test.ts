import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { launchChromium } from "../support/chromium";
import { bundleForBrowser, servePage } from "./browser-harness";
import type { CaseResult } from "./browser/contract-page";
import { CONTRACT_CASES } from "./contract-cases";

interface CacheContractPage {
  runCases(): Promise<CaseResult[]>;
  realQuota(): Promise<{ code: string | null; mappings: number; checkpoint: unknown }>;
  startLargePage(size: number): void;
  inspectAfterClose(): Promise<{ serverVersion: number | null; mappings: number; entries: number }>;
}

declare global {
  interface Window {
    cacheContract: CacheContractPage;
  }
}

const ENTRY = fileURLToPath(new URL("./browser/contract-page.ts", import.meta.url));

describe("LocalCache contract: IdbLocalCache in Chromium", function () {
  this.timeout(180_000);
  let browser: Browser | undefined;
  let server: Awaited<ReturnType<typeof servePage>> | undefined;
  let results = new Map<string, CaseResult>();

  const newPage = async (): Promise<Page> => {
    assert.ok(browser && server);
    const page = await browser.newPage();
    await page.goto(server.url);
    await page.waitForFunction(() => "cacheContract" in window);
    return page;
  };

  before(async function () {
    browser = await launchChromium(this);
    server = await servePage(await bundleForBrowser(ENTRY));
    const page = await newPage();
    results = new Map((await page.evaluate(() => window.cacheContract.runCases())).map((r) => [r.name, r]));
    await page.close();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  for (const contractCase of CONTRACT_CASES) {
    it(contractCase.name, () => {
      const result = results.get(contractCase.name);
      assert.ok(result, `the page reported nothing for "${contractCase.name}"`);
      assert.equal(result.passed, true, result.error ?? undefined);
    });
  }

  it("fails a write that hits Chromium's real quota with quotaExceeded, leaving nothing behind", async () => {
    const page = await newPage();
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("Storage.overrideQuotaForOrigin", {
      origin: new URL(page.url()).origin,
      quotaSize: 1_000_000,
    });
    const seen = await page.evaluate(() => window.cacheContract.realQuota());
    await page.close();
    assert.deepEqual(seen, { code: "quotaExceeded", mappings: 0, checkpoint: null });
  });

  it("crash: a tab closed during a page write leaves the whole page with its checkpoint, or none of it", async () => {
    const size = 3000;
    const writer = await newPage();
    await writer.evaluate((n) => window.cacheContract.startLargePage(n), size);
    await writer.close();
    const reader = await newPage();
    const seen = await reader.evaluate(() => window.cacheContract.inspectAfterClose());
    await reader.close();
    const whole = { serverVersion: size, mappings: size, entries: size };
    const nothing = { serverVersion: null, mappings: 0, entries: 0 };
    assert.ok(
      JSON.stringify(seen) === JSON.stringify(whole) || JSON.stringify(seen) === JSON.stringify(nothing),
      `half a page survived the closed tab: ${JSON.stringify(seen)}`,
    );
  });
});
