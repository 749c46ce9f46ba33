/**
 * The Chromium side of the initial-sync benchmark. Two runs the Node side alternates, each into a fresh
 * IndexedDB database of this page:
 * - `pouch(remote, name)`: PouchDB (`pouchdb-browser`, its default replication options) replicates every
 *   document of the remote database into a new local database;
 * - `ours(run)`: the add-in's sync engine, on the same adapters the add-in runs with (HttpCrmClient to the sync
 *   server, GraphMailboxStore to the Graph twin, IdbLocalCache on this page's IndexedDB, OfficeJsOutlookHost
 *   on the simulated `Office`), starts and runs one sync: the initial synchronization of the user's records.
 * Both report wall time from the first call to the last write. Called by initial-sync-bench.ts.
 */
import PouchDB from "pouchdb-browser";
import { GraphMailboxStore } from "../../src/adapters/graph/graph-mailbox-store";
import { StaticTokenProvider } from "../../src/adapters/graph/token-provider";
import { HttpCrmClient } from "../../src/adapters/http/http-crm-client";
import { IdbLocalCache } from "../../src/adapters/idb/idb-local-cache";
import { OfficeJsOutlookHost } from "../../src/adapters/officejs/officejs-outlook-host";
import { ADDIN_ID } from "../../src/entry/commands/addin-runtime";
import { BROWSER_CLOCK } from "../../src/entry/commands/browser-clock";
import { SyncEngine } from "../../src/engine/sync-engine";
import type { Logger } from "../../src/ports/logger";
import { DEFAULT_SETTINGS } from "../../src/ports/settings";
import { SimulatedMailbox } from "../../src/sim/mailbox/simulated-mailbox";
import { createSimulatedOffice } from "../../src/sim/office/simulated-office";

const quiet: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/** What the Node side hands a run of ours: the CRM user and token, the Graph twin's token, a fresh cache name. */
export interface OursRun {
  readonly userId: string;
  readonly crmToken: string;
  readonly graphToken: string;
  readonly ownerEmail: string;
  readonly cacheName: string;
}

export interface RunResult {
  readonly ms: number;
  /** Documents replicated (PouchDB) or mappings in the cache (ours). */
  readonly count: number;
  /** Why the run did not finish cleanly, or null. */
  readonly failure: string | null;
}

async function pouch(remote: string, name: string): Promise<RunResult> {
  const start = performance.now();
  const local = new PouchDB(name);
  const result = await local.replicate.from(remote);
  const ms = performance.now() - start;
  const info = await local.info();
  await local.close();
  return {
    ms,
    count: info.doc_count,
    failure: result.ok ? null : `replication ended with ${result.errors.length} errors`,
  };
}

async function ours(run: OursRun): Promise<RunResult> {
  const clock = BROWSER_CLOCK;
  const origin = window.location.origin;
  const start = performance.now();
  const cache = await IdbLocalCache.open({ indexedDB, name: run.cacheName, logger: quiet, clock });
  const store = new GraphMailboxStore({
    fetch: (input, init) => fetch(input, init),
    tokens: new StaticTokenProvider(run.graphToken),
    clock,
    addinId: ADDIN_ID,
    baseUrl: `${origin}/graph/v1.0`,
  });
  // The host's own mailbox only answers what Office.js gives the engine (the user, roaming settings); the
  // items the engine syncs are the Graph twin's, reached through the store.
  const office = createSimulatedOffice(
    new SimulatedMailbox({ clock, owner: { emailAddress: run.ownerEmail, displayName: run.userId } }),
    { addinId: ADDIN_ID },
  );
  const engine = new SyncEngine({
    host: new OfficeJsOutlookHost(office.office as typeof Office, { itemIds: store }),
    mailbox: store,
    crm: new HttpCrmClient({ baseUrl: origin, getToken: () => Promise.resolve(run.crmToken), clock }),
    cache,
    clock,
    logger: quiet,
    newId: () => crypto.randomUUID(),
    clientId: run.cacheName,
    settings: {
      ...DEFAULT_SETTINGS,
      entities: ["contact", "appointment", "task"],
      intervalMinutes: 0,
      serverUrl: origin,
      userId: run.userId,
    },
  });
  try {
    await engine.start();
    const status = await engine.syncNow();
    const ms = performance.now() - start;
    // Counted, not listed: listing every mapping would put them all on the heap being measured.
    const [mappings, left] = await Promise.all([cache.countMappings(), cache.countEntries()]);
    const failure =
      status.lastCycleError !== null
        ? `${status.lastCycleError.code}: ${status.lastCycleError.message}`
        : left > 0
          ? `${left} change-log entries left`
          : null;
    return { ms, count: mappings, failure };
  } finally {
    engine.dispose();
    await engine.idle();
    cache.close();
    office.dispose();
  }
}

declare global {
  interface Window {
    initialSyncBench: { pouch: typeof pouch; ours: typeof ours };
  }
}

window.initialSyncBench = { pouch, ours };
