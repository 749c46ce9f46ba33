/** The real clock for the server process: wall time and Node timers. */
import type { Clock, Disposable } from "../ports/clock";

/** Wall-clock time, made non-decreasing (a system clock step backwards never reorders server timestamps). */
export class SystemClock implements Clock {
  private last = 0;

  now(): number {
    this.last = Math.max(this.last, Date.now());
    return this.last;
  }

  setTimeout(callback: () => void, ms: number): Disposable {
    const handle = setTimeout(callback, ms);
    handle.unref();
    return { dispose: () => clearTimeout(handle) };
  }
}
