/**
 * The worker bench's Graph: one Graph twin server (its own SimulatedMailbox, token check and per-mailbox
 * concurrency limit) per simulated mailbox, all in the bench process, and the routing fetch the worker processes
 * reach them with. The workers address Graph at one base URL, {@link GRAPH_FRONT}, as they address
 * graph.microsoft.com: the fetch sends `/users/{address}/…` and a `$batch` of one mailbox's requests to that
 * mailbox's twin, and gives the twin's links (next and delta links) back under the front's base URL, so the
 * engine sees one Graph whose links start where its requests do.
 */
import type { Clock } from "../../src/ports/clock";
import { startGraphSubsetServer, type GraphSubsetServer } from "../../src/sim/graph/graph-subset-server";
import { SimulatedMailbox } from "../../src/sim/mailbox/simulated-mailbox";

/** The one Graph base URL the workers are given; no host answers it, the routing fetch stands in front. */
export const GRAPH_FRONT = "http://graph.bench.invalid/v1.0";
/** The application token every twin accepts. */
export const GRAPH_TOKEN = "bench-app-token";

/** Each mailbox's address (lower case) and the base URL of its twin. */
export type GraphRoutes = Readonly<Record<string, string>>;

export interface TwinMailboxes {
  readonly routes: GraphRoutes;
  /** Requests each twin answered so far (a $batch counts once), by address. */
  requestsByAddress(): Map<string, number>;
  close(): Promise<void>;
}

/** Starts one twin per address, `parallel` at a time. */
export async function startTwinMailboxes(
  addresses: readonly string[],
  clock: Clock,
  parallel = 50,
): Promise<TwinMailboxes> {
  const twins = new Map<string, GraphSubsetServer>();
  for (let start = 0; start < addresses.length; start += parallel) {
    await Promise.all(
      addresses.slice(start, start + parallel).map(async (address) => {
        const mailbox = new SimulatedMailbox({
          clock,
          owner: { emailAddress: address, displayName: address },
        });
        twins.set(
          address.toLowerCase(),
          await startGraphSubsetServer({ mailbox, clock, token: GRAPH_TOKEN }),
        );
      }),
    );
  }
  return {
    routes: Object.fromEntries([...twins].map(([address, twin]) => [address, twin.baseUrl])),
    requestsByAddress: () => new Map([...twins].map(([address, twin]) => [address, twin.stats().requests])),
    close: async () => {
      await Promise.all([...twins.values()].map((twin) => twin.close()));
    },
  };
}

/** The mailbox a path under the front addresses: `/users/{address}/…`; null for any other path. */
function addressOf(path: string): string | null {
  const match = /^\/users\/([^/?]+)/.exec(path);
  return match?.[1] === undefined ? null : decodeURIComponent(match[1]).toLowerCase();
}

/** The one mailbox a $batch body's sub-requests address (GraphMailboxStore batches one mailbox's requests). */
function batchAddress(body: string): string {
  const parsed = JSON.parse(body) as { requests?: { url?: unknown }[] };
  const addresses = new Set(
    (parsed.requests ?? []).map((request) => addressOf(typeof request.url === "string" ? request.url : "")),
  );
  const [only, ...others] = [...addresses];
  if (only === undefined || only === null || others.length > 0) {
    throw new Error(`a $batch must address one /users/{address} mailbox, got ${[...addresses].join(", ")}`);
  }
  return only;
}

/**
 * A fetch for URLs under {@link GRAPH_FRONT}: each request goes to its mailbox's twin, and the twin's base URL
 * in the answer's body reads as the front's. An address without a twin is an error naming it.
 */
export function routingFetch(routes: GraphRoutes): typeof fetch {
  return async (input, init) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    if (!url.startsWith(`${GRAPH_FRONT}/`)) throw new Error(`not a URL under ${GRAPH_FRONT}: ${url}`);
    const rest = url.slice(GRAPH_FRONT.length);
    const address =
      rest.startsWith("/$batch") && typeof init?.body === "string"
        ? batchAddress(init.body)
        : addressOf(rest);
    const twin = address === null ? undefined : routes[address];
    if (twin === undefined) throw new Error(`no simulated mailbox for ${address ?? url}`);
    const answer = await fetch(`${twin}${rest}`, init);
    const text = await answer.text();
    const headers = new Headers(answer.headers);
    headers.delete("content-length");
    return new Response(text === "" ? null : text.replaceAll(twin, GRAPH_FRONT), {
      status: answer.status,
      statusText: answer.statusText,
      headers,
    });
  };
}
