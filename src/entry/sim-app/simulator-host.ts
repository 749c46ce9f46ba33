/**
 * The simulator page as the add-in's host: one simulated mailbox, one fake `Office` over it (shared by the
 * task pane and commands frames, as Outlook is one host), and one add-in runtime started on first use with the
 * real OfficeJsOutlookHost, HttpCrmClient and IndexedDB cache, and the simulated mailbox store.
 * The frames find it as `window.parent.crmSimulator`.
 */
import { SyncError } from "../../core/errors";
import { HttpCrmClient } from "../../adapters/http/http-crm-client";
import { openLocalCache } from "../../adapters/idb/open-local-cache";
import { OfficeJsOutlookHost } from "../../adapters/officejs/officejs-outlook-host";
import { SimulatedMailboxStore } from "../../adapters/sim/simulated-mailbox-store";
import { DEFAULT_SETTINGS } from "../../ports/settings";
import type { SimulatedMailbox } from "../../sim/mailbox/simulated-mailbox";
import { createSimulatedOffice, type SimulatedOffice } from "../../sim/office/simulated-office";
import { ADDIN_ID, browserClientId, startAddinRuntime, type AddinRuntime } from "../commands/addin-runtime";
import { BROWSER_CLOCK } from "../commands/browser-clock";
import { CONSOLE_LOGGER, createCacheLogger } from "../commands/cache-logger";
import { SimulatedFaultyMailboxStore } from "./faulty-mailbox-store";

/** What `npm start` gives the simulator page: the CRM user it signs in as, a token, and the server's URL. */
export interface SimulatorSession {
  readonly userId: string;
  readonly token: string;
  readonly serverUrl: string;
}

/** What the add-in's frames in the simulator page use. */
export interface SimulatorHost {
  readonly mailbox: SimulatedMailbox;
  readonly office: SimulatedOffice;
  readonly session: SimulatorSession;
  /** The page's one add-in runtime, started on the first call. */
  runtime(): Promise<AddinRuntime>;
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
    typeof body.serverUrl !== "string"
  ) {
    throw new SyncError("serverError", {
      details: `/sim/session answered ${response.status} without a session.`,
    });
  }
  return { userId: body.userId, token: body.token, serverUrl: body.serverUrl };
}

/** The simulator's CRM client for `session` (the add-in's and the CRM view's). */
export function crmClientFor(session: SimulatorSession): HttpCrmClient {
  return new HttpCrmClient({
    baseUrl: session.serverUrl,
    getToken: () => Promise.resolve(session.token),
    clock: BROWSER_CLOCK,
  });
}

export function createSimulatorHost(mailbox: SimulatedMailbox, session: SimulatorSession): SimulatorHost {
  const office = createSimulatedOffice(mailbox, { addinId: ADDIN_ID });
  let runtime: Promise<AddinRuntime> | undefined;
  const start = async (): Promise<AddinRuntime> => {
    const opened = await openLocalCache({
      name: `outlook-crm-sync:${mailbox.owner.emailAddress}`,
      logger: CONSOLE_LOGGER,
      clock: BROWSER_CLOCK,
    });
    const logger = createCacheLogger(opened.cache, BROWSER_CLOCK);
    const store = new SimulatedMailboxStore({ mailbox, addinId: ADDIN_ID, clock: BROWSER_CLOCK });
    return startAddinRuntime({
      host: new OfficeJsOutlookHost(office.office as typeof Office, { itemIds: store }),
      mailbox: new SimulatedFaultyMailboxStore(store, mailbox.faults),
      crm: crmClientFor(session),
      cache: opened.cache,
      clock: BROWSER_CLOCK,
      logger,
      clientId: browserClientId(),
      settings: { ...DEFAULT_SETTINGS, serverUrl: session.serverUrl, userId: session.userId },
      storageWarning: opened.warning,
      explorerSelection: () => mailbox.selection()?.itemId ?? null,
    });
  };
  return {
    mailbox,
    office,
    session,
    runtime: () => {
      runtime ??= start().catch((error: unknown) => {
        runtime = undefined;
        throw error;
      });
      return runtime;
    },
  };
}
