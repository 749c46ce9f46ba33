/**
 * Fault switches of the simulator. The mailbox consumes the notification switch itself; the Graph subset
 * server consumes the HTTP ones (429, slow, lost response) request by request. 410 on delta is the
 * mailbox's `expireDeltaTokens`. Plain data, no timers: usable in Node and in a browser page.
 */

/** Which requests a fault applies to; an omitted part matches everything. */
export interface RequestMatch {
  /** HTTP method, upper case. */
  readonly method?: string;
  /** A substring of the request path (after the /v1.0 prefix), e.g. "/contacts". */
  readonly pathIncludes?: string;
}

/** One armed HTTP fault. */
export type HttpFault =
  | { readonly kind: "throttle"; readonly retryAfterSeconds: number }
  | { readonly kind: "slow"; readonly delayMs: number }
  | { readonly kind: "loseResponse" };

interface Armed {
  readonly fault: HttpFault;
  readonly match: RequestMatch;
  remaining: number;
}

export class SimulatedFaults {
  private readonly armed: Armed[] = [];
  private droppedNotices = 0;
  private dropAllNotices = false;

  /**
   * The next `count` matching requests answer 429 with `Retry-After: retryAfterSeconds` (`"all"`: every one
   * until {@link endThrottle}).
   */
  throttle(count: number | "all", retryAfterSeconds: number, match: RequestMatch = {}): void {
    this.arm({ kind: "throttle", retryAfterSeconds }, count === "all" ? Infinity : count, match);
  }

  /** Ends every throttle, counted or open-ended. */
  endThrottle(): void {
    for (let index = this.armed.length - 1; index >= 0; index -= 1) {
      if (this.armed[index]?.fault.kind === "throttle") this.armed.splice(index, 1);
    }
  }

  /** The next `count` matching requests are answered only after `delayMs` of the server's clock. */
  slow(count: number, delayMs: number, match: RequestMatch = {}): void {
    this.arm({ kind: "slow", delayMs }, count, match);
  }

  /** The next `count` matching requests are carried out, then the connection is cut before any answer. */
  loseResponse(count: number, match: RequestMatch = {}): void {
    this.arm({ kind: "loseResponse" }, count, match);
  }

  /** Drops the next `count` change notifications (`"all"`: every one until {@link deliverNotices}). */
  dropNotices(count: number | "all"): void {
    if (count === "all") this.dropAllNotices = true;
    else this.droppedNotices += count;
  }

  /** Ends an open-ended {@link dropNotices}("all"). */
  deliverNotices(): void {
    this.dropAllNotices = false;
    this.droppedNotices = 0;
  }

  /**
   * Consumes and returns the first armed fault that matches the request, or null. With `named`, only a fault
   * armed with a `pathIncludes` matches (a $batch takes only faults armed for "$batch"; the rest are for its
   * sub-requests).
   */
  takeHttpFault(method: string, path: string, named = false): HttpFault | null {
    const index = this.armed.findIndex(
      (armed) =>
        (armed.match.method === undefined || armed.match.method === method) &&
        (armed.match.pathIncludes === undefined ? !named : path.includes(armed.match.pathIncludes)),
    );
    const armed = this.armed[index];
    if (armed === undefined) return null;
    armed.remaining -= 1;
    if (armed.remaining <= 0) this.armed.splice(index, 1);
    return armed.fault;
  }

  /** True when this notice must be dropped (consumes one counted drop). */
  takeNoticeDrop(): boolean {
    if (this.dropAllNotices) return true;
    if (this.droppedNotices === 0) return false;
    this.droppedNotices -= 1;
    return true;
  }

  private arm(fault: HttpFault, count: number, match: RequestMatch): void {
    if (count !== Infinity && (!Number.isInteger(count) || count < 1))
      throw new RangeError(`fault count must be a positive integer, got ${count}`);
    this.armed.push({ fault, match, remaining: count });
  }
}
