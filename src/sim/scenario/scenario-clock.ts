/**
 * The simulated clock of a scenario run (docs/SCENARIOS.md "Time": one clock drives every time of a run).
 * Time moves only when the runner says so, with two kinds of timers:
 * - scheduled timers (the engines' interval and follow-up timers, through {@link scheduler}) fire only when
 *   the runner moves time to or past them, in due order;
 * - waits (an adapter honouring Retry-After or backing off, through the clock itself) fire on a later tick
 *   by jumping time forward, so a wait inside a step never needs the runner and never sleeps for real.
 */
import type { Clock, Disposable } from "../../ports/clock";

interface Timer {
  readonly due: number;
  readonly order: number;
  readonly callback: () => void;
}

export class ScenarioClock implements Clock {
  private current: number;
  private order = 0;
  private readonly scheduled = new Set<Timer>();

  constructor(start: number) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  /** A wait: fires on a later tick, with time moved forward to its due time. */
  setTimeout(callback: () => void, ms: number): Disposable {
    let live = true;
    const due = this.current + Math.max(0, ms);
    void Promise.resolve().then(() => {
      if (!live) return;
      live = false;
      this.current = Math.max(this.current, due);
      callback();
    });
    return { dispose: () => (live = false) };
  }

  /** A Clock whose timers are scheduled: they fire only from {@link fireDue} (give it to the engines). */
  readonly scheduler: Clock = {
    now: () => this.current,
    setTimeout: (callback: () => void, ms: number): Disposable => {
      const timer: Timer = { due: this.current + Math.max(0, ms), order: this.order++, callback };
      this.scheduled.add(timer);
      return { dispose: () => this.scheduled.delete(timer) };
    },
  };

  /** Fires the earliest scheduled timer due at or before `until`, moving time to it; false when none is due. */
  fireNext(until: number): boolean {
    let next: Timer | undefined;
    for (const timer of this.scheduled) {
      if (timer.due > until) continue;
      if (next === undefined || timer.due < next.due || (timer.due === next.due && timer.order < next.order))
        next = timer;
    }
    if (next === undefined) return false;
    this.scheduled.delete(next);
    this.current = Math.max(this.current, next.due);
    next.callback();
    return true;
  }

  /** Moves time forward to `time` (never backwards). Fire due timers first with {@link fireNext}. */
  moveTo(time: number): void {
    this.current = Math.max(this.current, time);
  }
}
