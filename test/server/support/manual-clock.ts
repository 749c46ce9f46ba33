/** A clock that only moves when the test says so; timers fire as time passes them. */
import type { Clock, Disposable } from "../../../src/ports/clock";

export class ManualClock implements Clock {
  private timers: { at: number; callback: () => void; id: number }[] = [];
  private nextId = 0;

  constructor(private time = Date.UTC(2026, 2, 2, 9)) {}

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): Disposable {
    const id = this.nextId++;
    this.timers.push({ at: this.time + ms, callback, id });
    return { dispose: () => (this.timers = this.timers.filter((timer) => timer.id !== id)) };
  }

  /** Moves time forward by `ms`, firing due timers in order. */
  advance(ms: number): void {
    const target = this.time + ms;
    for (;;) {
      const due = this.timers.filter((timer) => timer.at <= target).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((timer) => timer !== due);
      this.time = Math.max(this.time, due.at);
      due.callback();
    }
    this.time = target;
  }
}
