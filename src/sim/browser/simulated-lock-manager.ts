/**
 * A twin of `navigator.locks` (the Web Locks API) for Node tests: exclusive locks by name, shared by every
 * "runtime" handed the same instance, as one browser profile's origin shares them.
 */

/** The part of `LockManager` the add-in uses. */
export interface LockManagerApi {
  request<T>(
    name: string,
    options: { readonly ifAvailable?: boolean; readonly signal?: AbortSignal },
    callback: (lock: { readonly name: string } | null) => Promise<T> | T,
  ): Promise<T>;
}

interface Waiter {
  readonly grant: () => void;
}

export class SimulatedLockManager implements LockManagerApi {
  private readonly held = new Set<string>();
  private readonly queues = new Map<string, Waiter[]>();

  /** Names held now. */
  heldNames(): string[] {
    return [...this.held];
  }

  async request<T>(
    name: string,
    options: { readonly ifAvailable?: boolean; readonly signal?: AbortSignal },
    callback: (lock: { readonly name: string } | null) => Promise<T> | T,
  ): Promise<T> {
    // "ifAvailable: the lock request is granted only if it can be granted without waiting; otherwise the
    // callback is invoked with null" (MDN, LockManager.request()).
    if (options.ifAvailable === true && (this.held.has(name) || (this.queues.get(name)?.length ?? 0) > 0)) {
      return callback(null);
    }
    await this.acquire(name, options.signal);
    try {
      return await callback({ name });
    } finally {
      this.release(name);
    }
  }

  private acquire(name: string, signal: AbortSignal | undefined): Promise<void> {
    // "If signal is aborted before the lock is granted, the request is dropped and rejects with AbortError"
    // (MDN, LockManager.request()).
    if (signal?.aborted === true) return Promise.reject(new DOMException("aborted", "AbortError"));
    if (!this.held.has(name)) {
      this.held.add(name);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const queue = this.queues.get(name) ?? [];
      this.queues.set(name, queue);
      const waiter: Waiter = {
        grant: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        const index = queue.indexOf(waiter);
        if (index >= 0) queue.splice(index, 1);
        reject(new DOMException("aborted", "AbortError"));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      queue.push(waiter);
    });
  }

  private release(name: string): void {
    const next = this.queues.get(name)?.shift();
    if (next === undefined) this.held.delete(name);
    else next.grant();
  }
}
