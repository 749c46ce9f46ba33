/** Polls `condition` every `everyMs` until it holds; fails naming `what` after `ms` (real time). */
import { setTimeout as sleep } from "node:timers/promises";

export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  ms = 60_000,
  everyMs = 100,
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}
