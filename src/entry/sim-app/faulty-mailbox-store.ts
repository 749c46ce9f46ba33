import { SyncError } from "../../core/errors";
import type { MailboxStore } from "../../ports/mailbox-store";
import type { SimulatedFaults } from "../../sim/mailbox/simulated-faults";

/**
 * The simulator page's mailbox store: the simulated store, with the page's Graph fault switches (429 with
 * Retry-After, slow answers, lost responses) applied per call as the Graph subset server applies them per
 * request. The browser page has no Graph server, so the faults act here, on the same switches.
 */
export class SimulatedFaultyMailboxStore implements MailboxStore {
  constructor(
    private readonly store: MailboxStore,
    private readonly faults: SimulatedFaults,
  ) {}

  private async call<T>(method: string, path: string, run: () => Promise<T>): Promise<T> {
    const fault = this.faults.takeHttpFault(method, path);
    if (fault?.kind === "throttle") {
      throw new SyncError("rateLimited", {
        details: `Graph answered 429, retry after ${fault.retryAfterSeconds} s.`,
      });
    }
    if (fault?.kind === "slow") await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    const result = await run();
    if (fault?.kind === "loseResponse")
      throw new SyncError("network", { details: `Graph ${method} ${path}: no answer.` });
    return result;
  }

  listFolders(...args: Parameters<MailboxStore["listFolders"]>): ReturnType<MailboxStore["listFolders"]> {
    return this.call("GET", "/mailFolders", () => this.store.listFolders(...args));
  }

  scanFolder(...args: Parameters<MailboxStore["scanFolder"]>): ReturnType<MailboxStore["scanFolder"]> {
    return this.call("GET", `/folders/${args[0]}/delta`, () => this.store.scanFolder(...args));
  }

  getItems(...args: Parameters<MailboxStore["getItems"]>): ReturnType<MailboxStore["getItems"]> {
    return this.call("POST", "/$batch", () => this.store.getItems(...args));
  }

  createItem(...args: Parameters<MailboxStore["createItem"]>): ReturnType<MailboxStore["createItem"]> {
    return this.call("POST", `/${args[0].type}s`, () => this.store.createItem(...args));
  }

  findByIdempotencyKey(
    ...args: Parameters<MailboxStore["findByIdempotencyKey"]>
  ): ReturnType<MailboxStore["findByIdempotencyKey"]> {
    return this.call("GET", `/${args[0]}s`, () => this.store.findByIdempotencyKey(...args));
  }

  updateItem(...args: Parameters<MailboxStore["updateItem"]>): ReturnType<MailboxStore["updateItem"]> {
    return this.call("PATCH", `/items/${args[0]}`, () => this.store.updateItem(...args));
  }

  deleteItem(...args: Parameters<MailboxStore["deleteItem"]>): ReturnType<MailboxStore["deleteItem"]> {
    return this.call("DELETE", `/items/${args[0]}`, () => this.store.deleteItem(...args));
  }

  watch(...args: Parameters<MailboxStore["watch"]>): ReturnType<MailboxStore["watch"]> {
    return this.store.watch(...args);
  }
}
