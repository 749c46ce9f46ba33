/**
 * The IndexedDB cache benchmark, in Chromium: recording one notification, applying a 500-record batch (with
 * Dexie `bulkPut` and raw IndexedDB doing the same in the same rounds), and readwrite transactions per 1,000
 * applied records. Run on its own with
 * `node --import tsx bench/cache/cache-bench.ts`; prints one JSON object with the figures and the machine.
 */
import { execFileSync } from "node:child_process";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { CHROMIUM_PATH } from "../../test/support/chromium";
import { bundleForBrowser, servePage } from "../../test/cache/browser-harness";

const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"];

const server = await servePage(
  await bundleForBrowser(fileURLToPath(new URL("./bench-page.ts", import.meta.url))),
);
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ARGS });
try {
  const page = await browser.newPage();
  await page.goto(server.url);
  await page.waitForFunction(() => "cacheBench" in window);
  const figures: unknown = await page.evaluate(() =>
    (window as unknown as { cacheBench: { run(): Promise<unknown> } }).cacheBench.run(),
  );
  const machine = {
    nproc: execFileSync("nproc").toString().trim(),
    cpu: cpus()[0]?.model ?? "unknown",
    node: process.version,
    chromium: browser.version(),
  };
  console.log(JSON.stringify({ figures, machine }, null, 2));
} finally {
  await browser.close();
  await server.close();
}
