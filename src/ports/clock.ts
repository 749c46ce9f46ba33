/**
 * Time, injected. Nothing outside an adapter reads the system clock or starts a timer directly,
 * so the simulator can drive every time in a run from its own clock.
 */

/** A timer or subscription that its owner must dispose of. */
export interface Disposable {
  dispose(): void;
}

export interface Clock {
  /** Milliseconds since the epoch. Monotone non-decreasing within one clock. */
  now(): number;
  /** Runs `callback` once after `ms`. Disposing before it fires cancels it. */
  setTimeout(callback: () => void, ms: number): Disposable;
}
