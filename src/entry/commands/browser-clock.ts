import type { Clock, Disposable } from "../../ports/clock";

/** The page's clock: Date.now and window timers. The add-in's entry points give it to the engine. */
export const BROWSER_CLOCK: Clock = {
  now: () => Date.now(),
  setTimeout: (callback: () => void, ms: number): Disposable => {
    const handle = setTimeout(callback, ms);
    return { dispose: () => clearTimeout(handle) };
  },
};
