/**
 * The simulator page as the add-in's host: the page's copy of the server's mailbox, one fake `Office` over it
 * (shared by the task pane and commands frames, as Outlook is one host), the add-in domain's
 * `OfficeRuntime.storage`, a frame per launch event that runs the built launch-events.js (launch-event-frames.ts),
 * and one add-in runtime started on first use with the real OfficeJsOutlookHost, HttpCrmClient, IndexedDB cache
 * and GraphMailboxStore, which reaches the server's mailbox through the Graph twin. That runtime is the sync
 * owner, as the pinned task pane is in Outlook (pane-owner.ts): it holds the sync lock and its request pump
 * carries out what launch events and commands queue. The frames find the host as `window.parent.crmSimulator`.
 */
import { SyncError } from "../../core/errors";
import { HttpCrmClient } from "../../adapters/http/http-crm-client";
import { openLocalCache } from "../../adapters/idb/open-local-cache";
import { OfficeJsOutlookHost } from "../../adapters/officejs/officejs-outlook-host";
import { GraphMailboxStore } from "../../adapters/graph/graph-mailbox-store";
import type { TokenProvider } from "../../adapters/graph/token-provider";
import { DEFAULT_SETTINGS } from "../../ports/settings";
import { SimulatedOfficeRuntimeStorage } from "../../sim/office/office-runtime-storage";
import { createSimulatedOffice, type SimulatedOffice } from "../../sim/office/simulated-office";
import { ADDIN_ID, browserClientId, startAddinRuntime, type AddinRuntime } from "../commands/addin-runtime";
import { ownSyncFromPane, type PaneOwnership } from "../commands/pane-owner";
import { BROWSER_CLOCK } from "../commands/browser-clock";
import { CONSOLE_LOGGER, createCacheLogger } from "../commands/cache-logger";
import { LaunchEventFrames } from "./launch-event-frames";
import type { ServerMailbox } from "./server-mailbox";

/**
 * What `npm start` gives the simulator page: the CRM user it signs in as, a token that is good until
 * `expiresAt`, the server's URL, the Graph twin's URL and a token for it good until the same time, and the
 * mailbox's owner.
 */
export interface SimulatorSession {
  readonly userId: string;
  readonly token: string;
  readonly expiresAt: number;
  readonly serverUrl: string;
  readonly graphUrl: string;
  readonly graphToken: string;
  readonly owner: { readonly emailAddress: string; readonly displayName: string };
}

/** A token is renewed this long before it runs out. */
const RENEW_BEFORE_MS = 60_000;

/** What the add-in's frames in the simulator page use. */
export interface SimulatorHost {
  readonly mailbox: ServerMailbox;
  readonly office: SimulatedOffice;
  readonly session: SimulatorSession;
  /** The add-in domain's `OfficeRuntime.storage`: launch events queue their requests here. */
  readonly storage: SimulatedOfficeRuntimeStorage;
  /** The launch events' frames. */
  readonly launchEvents: LaunchEventFrames;
  /**
   * The page's one add-in runtime, started on the first call once it holds the sync lock; `waiting` is called
   * (at once, when that is so already) while another tab of this browser holds the lock.
   */
  runtime(waiting?: () => void): Promise<AddinRuntime>;
  /** Ends the launch events, the request pump, the engine and the fake `Office`. */
  dispose(): void;
}

declare global {
  interface Window {
    crmSimulator?: SimulatorHost;
  }
}

/** Reads the session from the serving process; a bad answer fails with a SyncError naming it. */
export async function fetchSession(): Promise<SimulatorSession> {
  const response = await fetch("sim/session", { cache: "no-store" }).catch((cause: unknown) => {
    throw new SyncError("network", { details: "The simulator's server did not answer /sim/session.", cause });
  });
  const body = (await response.json().catch(() => null)) as Partial<SimulatorSession> | null;
  if (
    !response.ok ||
    typeof body?.userId !== "string" ||
    typeof body.token !== "string" ||
    typeof body.expiresAt !== "number" ||
    typeof body.serverUrl !== "string" ||
    typeof body.graphUrl !== "string" ||
    typeof body.graphToken !== "string" ||
    typeof body.owner?.emailAddress !== "string" ||
    typeof body.owner.displayName !== "string"
  ) {
    throw new SyncError("serverError", {
      details: `/sim/session answered ${response.status} without a session.`,
    });
  }
  return {
    userId: body.userId,
    token: body.token,
    expiresAt: body.expiresAt,
    serverUrl: body.serverUrl,
    graphUrl: body.graphUrl,
    graphToken: body.graphToken,
    owner: { emailAddress: body.owner.emailAddress, displayName: body.owner.displayName },
  };
}

/** The session's tokens, the CRM's and the Graph twin's, renewed together from `/sim/session` before they run out. */
export interface SessionTokens {
  readonly crm: () => Promise<string>;
  readonly graph: TokenProvider;
}

export function sessionTokens(first: SimulatorSession): SessionTokens {
  let session: Promise<SimulatorSession> = Promise.resolve(first);
  const fresh = async (): Promise<SimulatorSession> => {
    const current = await session;
    if (current.expiresAt - BROWSER_CLOCK.now() > RENEW_BEFORE_MS) return current;
    session = fetchSession().catch(() => current);
    return session;
  };
  return {
    crm: async () => (await fresh()).token,
    graph: { getToken: async () => (await fresh()).graphToken },
  };
}

/** The simulator's CRM client for `session` (the add-in's and the CRM view's). */
export function crmClientFor(
  session: SimulatorSession,
  getToken = sessionTokens(session).crm,
): HttpCrmClient {
  return new HttpCrmClient({ baseUrl: session.serverUrl, getToken, clock: BROWSER_CLOCK });
}

/**
 * The host of the simulator page over `mailbox`. While another tab of this browser profile owns the mailbox's
 * sync, the callers of `runtime` that passed `waiting` are told, and this page's runtime starts when that tab
 * closes.
 */
export function createSimulatorHost(mailbox: ServerMailbox, session: SimulatorSession): SimulatorHost {
  const storage = new SimulatedOfficeRuntimeStorage();
  const launchEvents = new LaunchEventFrames({ document, storage, logger: CONSOLE_LOGGER });
  const office = createSimulatedOffice(mailbox, { addinId: ADDIN_ID, launchEvents: launchEvents.run });
  const tokens = sessionTokens(session);
  let ownership: PaneOwnership | undefined;
  const waiters = new Set<() => void>();
  let waiting = false;
  const onWaiting = (): void => {
    waiting = true;
    for (const waiter of waiters) waiter();
  };
  const start = async (): Promise<AddinRuntime> => {
    const opened = await openLocalCache({
      name: `outlook-crm-sync:${mailbox.owner.emailAddress}`,
      logger: CONSOLE_LOGGER,
      clock: BROWSER_CLOCK,
    });
    const logger = createCacheLogger(opened.cache, BROWSER_CLOCK);
    const store = new GraphMailboxStore({
      fetch: (input, init) => fetch(input, init),
      tokens: tokens.graph,
      clock: BROWSER_CLOCK,
      addinId: ADDIN_ID,
      baseUrl: session.graphUrl,
      changeFeed: mailbox,
    });
    return startAddinRuntime({
      host: new OfficeJsOutlookHost(office.office as typeof Office, { itemIds: store }),
      mailbox: store,
      crm: crmClientFor(session, tokens.crm),
      cache: opened.cache,
      clock: BROWSER_CLOCK,
      logger,
      clientId: browserClientId(),
      settings: { ...DEFAULT_SETTINGS, serverUrl: session.serverUrl, userId: session.userId },
      storageWarning: opened.warning,
      explorerSelection: () => {
        const selected = mailbox.selection();
        const item = selected === null ? undefined : mailbox.get(selected.itemId);
        return selected === null || item === undefined ? null : { itemId: selected.itemId, type: item.type };
      },
    });
  };
  const own = (): PaneOwnership => {
    const owned = ownSyncFromPane({
      locks: navigator.locks,
      store: storage,
      mailbox: mailbox.owner.emailAddress,
      clock: BROWSER_CLOCK,
      logger: CONSOLE_LOGGER,
      startRuntime: start,
      onWaiting,
    });
    // A start that failed has let the lock go; the next call tries again.
    owned.runtime.then(
      () => {
        waiting = false;
      },
      () => {
        waiting = false;
        owned.dispose();
        if (ownership === owned) ownership = undefined;
      },
    );
    return owned;
  };
  return {
    mailbox,
    office,
    session,
    storage,
    launchEvents,
    runtime: (waiter) => {
      const { runtime } = (ownership ??= own());
      if (waiter !== undefined) {
        waiters.add(waiter);
        // Later, as a lock manager calls it: the caller is still setting up what the call shows.
        if (waiting) void Promise.resolve().then(waiter);
        void runtime.then(
          () => waiters.delete(waiter),
          () => waiters.delete(waiter),
        );
      }
      return runtime;
    },
    dispose: () => {
      launchEvents.dispose();
      ownership?.dispose();
      office.dispose();
    },
  };
}
