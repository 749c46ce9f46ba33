/**
 * One sync owner per mailbox and browser profile (docs/DESIGN.md "Runtimes"): the runtime holding the Web Lock
 * `outlook-crm-sync:sync:<mailbox>` is the only one running the engine. The pinned task pane holds it for its
 * life, and with it the `…:pane:` lock that says a pane is there to answer. A ribbon command forwards to that
 * pane when there is one (a request in the queue, src/entry/launch-events/launch-requests.ts, which the pane's
 * RequestPump takes and answers); otherwise it takes the sync lock for one bounded piece of work, waiting
 * briefly while another command has it. Launch events only leave requests.
 */
import type { Clock, Disposable } from "../../ports/clock";
import type { Logger } from "../../ports/logger";
import { ReportedFailure } from "./command-runner";
import {
  answerKey,
  appendRequest,
  takeRequests,
  type KeyValueStore,
  type LaunchRequest,
} from "../launch-events/launch-requests";

/** The part of `navigator.locks` (Web Locks API) the owner rules use. */
export interface LockManagerLike {
  request<T>(
    name: string,
    options: { readonly ifAvailable?: boolean; readonly signal?: AbortSignal },
    callback: (lock: { readonly name: string } | null) => Promise<T> | T,
  ): Promise<T>;
}

/** The owner's answer to a forwarded Track, Untrack or Sync now: the sentence for the notification bar. */
export interface OwnerAnswer {
  readonly ok: boolean;
  readonly text: string;
}

/** How often the owner looks for requests (ms). */
export const PUMP_INTERVAL_MS = 2_000;
/** How long a command waits for the owner's answer before it says the request is queued (ms). */
export const FORWARD_WAIT_MS = 15_000;
const FORWARD_POLL_MS = 250;

export function syncLockName(mailbox: string): string {
  return `outlook-crm-sync:sync:${mailbox.toLowerCase()}`;
}

function paneLockName(mailbox: string): string {
  return `outlook-crm-sync:pane:${mailbox.toLowerCase()}`;
}

function queueLockName(mailbox: string): string {
  return `outlook-crm-sync:queue:${mailbox.toLowerCase()}`;
}

/**
 * Waits for the sync lock and holds it until disposed. `onWaiting` is called when another runtime holds it;
 * `start` runs once it is granted, and what it returns is disposed (before the lock is let go) on dispose.
 */
export function holdSyncOwnership(options: {
  readonly locks: LockManagerLike;
  readonly mailbox: string;
  readonly onWaiting: () => void;
  readonly start: () => Promise<Disposable>;
  readonly logger: Logger;
}): Disposable {
  const { locks, mailbox, logger } = options;
  const abort = new AbortController();
  let release = (): void => undefined;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let owned: Disposable | null = null;
  let disposed = false;
  const whileHeld = async (): Promise<void> => {
    if (disposed) return;
    await locks.request(paneLockName(mailbox), {}, async () => {
      owned = await options.start();
      if (disposed) owned.dispose();
      await released;
    });
  };
  void locks
    .request(syncLockName(mailbox), { ifAvailable: true }, async (lock) => {
      if (lock === null) return false;
      await whileHeld();
      return true;
    })
    .then(async (got) => {
      if (got || disposed) return;
      options.onWaiting();
      await locks.request(syncLockName(mailbox), { signal: abort.signal }, whileHeld);
    })
    .catch((error: unknown) => {
      if (!disposed) logger.error("the sync owner stopped", { error: String(error) });
    });
  return {
    dispose: () => {
      if (disposed) return;
      disposed = true;
      abort.abort();
      owned?.dispose();
      release();
    },
  };
}

/** How long a command waits for another command's turn with the sync lock (ms). */
export const COMMAND_TURN_WAIT_MS = 30_000;

/**
 * A command's turn: `forward()` when a pane owns the sync; otherwise `work()` holding the sync lock, waiting
 * (polling, at most COMMAND_TURN_WAIT_MS) while another command holds it.
 */
export async function ownOrForward<T>(options: {
  readonly locks: LockManagerLike;
  readonly mailbox: string;
  readonly clock: Clock;
  readonly work: () => Promise<T>;
  readonly forward: () => Promise<T>;
}): Promise<T> {
  const { locks, mailbox, clock } = options;
  const until = clock.now() + COMMAND_TURN_WAIT_MS;
  for (;;) {
    const paneThere = await locks.request(
      paneLockName(mailbox),
      { ifAvailable: true },
      (lock) => lock === null,
    );
    if (paneThere) return options.forward();
    const turn = await locks.request(syncLockName(mailbox), { ifAvailable: true }, async (lock) =>
      lock === null ? { ran: false as const } : { ran: true as const, value: await options.work() },
    );
    if (turn.ran) return turn.value;
    if (clock.now() >= until) {
      throw new ReportedFailure("Another CRM command is still running. Try again in a moment.");
    }
    await sleep(clock, FORWARD_POLL_MS);
  }
}

interface QueueDeps {
  readonly store: KeyValueStore;
  readonly locks: LockManagerLike;
  readonly mailbox: string;
  readonly clock: Clock;
}

/** Puts `request` in the queue, under the queue lock so browser runtimes never overwrite each other. */
export function enqueue(deps: QueueDeps, request: LaunchRequest): Promise<void> {
  return deps.locks.request(queueLockName(deps.mailbox), {}, () =>
    appendRequest(deps.store, deps.mailbox, request),
  );
}

function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}

/**
 * Queues `request` for the owner and waits up to FORWARD_WAIT_MS for its answer; null when none came (the
 * request then stays for the owner's next look).
 */
export async function forwardToOwner(deps: QueueDeps, request: LaunchRequest): Promise<OwnerAnswer | null> {
  await enqueue(deps, request);
  const key = answerKey(deps.mailbox, request.id);
  const until = deps.clock.now() + FORWARD_WAIT_MS;
  while (deps.clock.now() < until) {
    await sleep(deps.clock, FORWARD_POLL_MS);
    const text = await deps.store.getItem(key);
    if (text === null) continue;
    await deps.store.removeItem(key);
    try {
      const answer = JSON.parse(text) as Partial<OwnerAnswer>;
      if (typeof answer.ok === "boolean" && typeof answer.text === "string") return answer as OwnerAnswer;
    } catch {
      // An unreadable answer counts as none.
    }
    return null;
  }
  await deps.store.removeItem(key);
  return null;
}

/**
 * The owner's side: every PUMP_INTERVAL_MS, takes the queued requests (under the queue lock), hands them to
 * `handle`, and stores the answers it returns for the commands waiting on them. Owns its timer.
 */
export class RequestPump implements Disposable {
  private timer: Disposable | null = null;
  private disposed = false;

  constructor(
    private readonly deps: QueueDeps & {
      readonly logger: Logger;
      readonly handle: (requests: readonly LaunchRequest[]) => Promise<ReadonlyMap<string, OwnerAnswer>>;
    },
  ) {}

  start(): void {
    this.arm();
  }

  /** Takes and handles what is queued now; resolves when the answers are stored. */
  async drain(): Promise<void> {
    const { locks, store, mailbox } = this.deps;
    const requests = await locks.request(queueLockName(mailbox), {}, () => takeRequests(store, mailbox));
    if (requests.length === 0) return;
    const answers = await this.deps.handle(requests);
    // Only a command still waiting reads an answer: launch events never do, and a command gives up after
    // FORWARD_WAIT_MS (removing its key), so nothing else is written that no one would remove.
    const now = this.deps.clock.now();
    for (const request of requests) {
      const answer = answers.get(request.id);
      const waiting = request.kind === "track" || request.kind === "untrack" || request.kind === "syncNow";
      if (answer === undefined || !waiting || now - request.at >= FORWARD_WAIT_MS) continue;
      await store.setItem(answerKey(mailbox, request.id), JSON.stringify(answer));
    }
  }

  dispose(): void {
    this.disposed = true;
    this.timer?.dispose();
    this.timer = null;
  }

  private arm(): void {
    if (this.disposed) return;
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = null;
      this.drain()
        .catch((error: unknown) => this.deps.logger.warn("queued requests failed", { error: String(error) }))
        .finally(() => this.arm());
    }, PUMP_INTERVAL_MS);
  }
}
