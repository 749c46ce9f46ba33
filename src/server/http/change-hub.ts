/**
 * Fans "changes available" hints out to this instance's Server-Sent Events streams. Writers NOTIFY on the
 * schema's channel when they commit; every instance LISTENs once and forwards to its own connected users,
 * so hints reach clients whichever instance took the write.
 */
import type { Disposable } from "../../ports/clock";
import type { Logger } from "../../ports/logger";
import type { Database } from "../db/database";
import type { ChangeNotice } from "../sync/change-feed";

export type HintListener = (latestVersion: number) => void;

export class ChangeHub {
  private readonly listeners = new Map<string, Set<HintListener>>();
  private listening: { close(): Promise<void> } | undefined;

  constructor(
    private readonly db: Database,
    private readonly channel: string,
    private readonly logger: Logger,
  ) {}

  /** Starts listening on the database channel. */
  async start(): Promise<void> {
    this.listening = await this.db.listen(this.channel, (payload) => this.deliver(payload));
  }

  /** Calls `listener` for each hint that concerns `userId`, until disposed. */
  subscribe(userId: string, listener: HintListener): Disposable {
    const set = this.listeners.get(userId) ?? new Set<HintListener>();
    set.add(listener);
    this.listeners.set(userId, set);
    return {
      dispose: () => {
        set.delete(listener);
        if (set.size === 0 && this.listeners.get(userId) === set) this.listeners.delete(userId);
      },
    };
  }

  /** How many streams are subscribed. */
  get subscriberCount(): number {
    let count = 0;
    for (const set of this.listeners.values()) count += set.size;
    return count;
  }

  /** Stops listening; subscribers get no more hints. */
  async close(): Promise<void> {
    this.listeners.clear();
    await this.listening?.close();
    this.listening = undefined;
  }

  private deliver(payload: string): void {
    let notice: ChangeNotice;
    try {
      notice = JSON.parse(payload) as ChangeNotice;
    } catch {
      this.logger.warn("ignored a malformed change notice", { payload: payload.slice(0, 200) });
      return;
    }
    const targets = notice.users === null ? [...this.listeners.keys()] : notice.users;
    for (const userId of targets) {
      for (const listener of this.listeners.get(userId) ?? []) listener(notice.latestVersion);
    }
  }
}
