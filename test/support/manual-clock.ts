import type { Clock, Disposable } from "../../src/ports/clock";

interface Timer {
  readonly due: number;
  readonly order: number;
  readonly callback: () => void;
}

/**
 * A test clock. Time moves only through {@link advance}, or, with `autoAdvance`, whenever code waits on a
 * timer: the clock jumps to the timer's due time and fires it on a later tick, so retries that wait through
 * the clock need no real sleeping. Every requested wait is recorded in `waits`.
 */
export class ManualClock implements Clock {
  readonly waits: number[] = [];
  private current: number;
  private readonly timers = new Set<Timer>();
  private order = 0;

  constructor(
    start = Date.parse("2026-03-02T09:00:00Z"),
    private readonly autoAdvance = false,
  ) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(callback: () => void, ms: number): Disposable {
    this.waits.push(ms);
    const timer: Timer = { due: this.current + Math.max(0, ms), order: this.order++, callback };
    this.timers.add(timer);
    if (this.autoAdvance) {
      void Promise.resolve().then(() => {
        if (!this.timers.delete(timer)) return;
        this.current = Math.max(this.current, timer.due);
        timer.callback();
      });
    }
    return { dispose: () => this.timers.delete(timer) };
  }

  /** Moves time forward, firing due timers in order. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      const next = [...this.timers]
        .filter((timer) => timer.due <= target)
        .sort((a, b) => a.due - b.due || a.order - b.order)[0];
      if (next === undefined) break;
      this.timers.delete(next);
      this.current = Math.max(this.current, next.due);
      next.callback();
    }
    this.current = target;
  }

  /** How many timers are waiting. */
  pending(): number {
    return this.timers.size;
  }
}

/** Resolves after every already queued microtask and one macrotask have run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
