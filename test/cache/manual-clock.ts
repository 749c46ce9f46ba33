import type { Clock, Disposable } from "../../src/ports/clock";

/** A clock that moves only when told to; timers fire in `advance`, in time order. */
export class ManualClock implements Clock {
  private timers: { at: number; callback: () => void; id: number }[] = [];
  private nextId = 0;

  constructor(private time = 1_700_000_000_000) {}

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): Disposable {
    const id = this.nextId++;
    this.timers.push({ at: this.time + ms, callback, id });
    return { dispose: () => (this.timers = this.timers.filter((t) => t.id !== id)) };
  }

  /** Moves time forward by `ms`, firing the timers that fall due. */
  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t.id !== due.id);
      this.time = due.at;
      due.callback();
    }
    this.time = until;
  }

  /** How many timers are waiting. */
  pending(): number {
    return this.timers.length;
  }
}
