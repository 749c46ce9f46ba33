/**
 * The add-in's GraphMailboxStore over the Graph twin of one simulated mailbox, as the scenario runner and the
 * engine tests build it: the mailbox's change notices stand in for Graph's, and retry jitter is fixed. With
 * `mailboxAddress` it addresses `/users/{address}`, as the server's headless engine does; otherwise `/me`.
 */
import { GraphMailboxStore } from "../../adapters/graph/graph-mailbox-store";
import { StaticTokenProvider } from "../../adapters/graph/token-provider";
import type { Clock } from "../../ports/clock";
import type { SimulatedMailbox } from "../mailbox/simulated-mailbox";

export function twinMailboxStore(options: {
  readonly fetch: typeof fetch;
  readonly baseUrl: string;
  readonly token: string;
  readonly clock: Clock;
  readonly addinId: string;
  readonly mailbox: SimulatedMailbox;
  readonly mailboxAddress?: string;
}): GraphMailboxStore {
  return new GraphMailboxStore({
    fetch: options.fetch,
    baseUrl: options.baseUrl,
    tokens: new StaticTokenProvider(options.token),
    clock: options.clock,
    addinId: options.addinId,
    changeFeed: options.mailbox,
    ...(options.mailboxAddress === undefined ? {} : { mailboxAddress: options.mailboxAddress }),
    random: () => 0.5,
  });
}
