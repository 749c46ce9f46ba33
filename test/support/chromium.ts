import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
import { skipSuiteBecause } from "./skip";

/** Debian's Chromium; Playwright cannot download its own browser on this machine. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * Launches headless Chromium for a browser suite; call it from the suite's `before` hook. Without Chromium the
 * suite is skipped with a loud message and a reason in the tally, except under CI=true, where a missing browser
 * fails the run.
 */
export async function launchChromium(context: Mocha.Context): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    const message = `Chromium not found at ${CHROMIUM_PATH}: install it with "apt-get update && apt-get install -y chromium" to run the browser suites.`;
    if (process.env.CI === "true") throw new Error(message);
    process.stderr.write(`\n!!! SKIPPING BROWSER SUITE: ${message}\n\n`);
    skipSuiteBecause(context, `no Chromium at ${CHROMIUM_PATH}`);
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}
