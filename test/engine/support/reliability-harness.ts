/**
 * The world of one reliability history: a fresh user on a shared server, a fresh simulated mailbox with its
 * Graph subset server, and the add-in's client (IdbLocalCache on its own fake-indexeddb factory, a SyncEngine
 * over OfficeJsOutlookHost, GraphMailboxStore and HttpCrmClient). The mailbox can be handed to the server's
 * headless engine (its own PgLocalCache, Graph as `/users/{address}`) and back (`switchPrimary`); the add-in's
 * client then stays open as the pane where the user's clicks land. The CRM client's fetch can inject faults:
 * a 5xx, a timeout, a response lost after the server committed, or a crash, after which the synchronizing
 * engine is thrown away mid-flight and a new one opens the same cache.
 */
import "fake-indexeddb/auto";
import { IDBFactory } from "fake-indexeddb";
import { HttpCrmClient } from "../../../src/adapters/http/http-crm-client";
import { IdbLocalCache } from "../../../src/adapters/idb/idb-local-cache";
import { OfficeJsOutlookHost } from "../../../src/adapters/officejs/officejs-outlook-host";
import { defaultCacheSchema, migrateCacheSchema } from "../../../src/adapters/pg/pg-cache-schema";
import { SyncEngine } from "../../../src/engine/sync-engine";
import { openHeadlessEngine } from "../../../src/headless/headless-runner";
import type { Privilege } from "../../../src/core/types";
import type { Logger } from "../../../src/ports/logger";
import { DEFAULT_SETTINGS, type SyncSettings } from "../../../src/ports/settings";
import { createCrmServer, type CrmServer } from "../../../src/server/create-crm-server";
import type { Database } from "../../../src/server/db/database";
import { openDatabase } from "../../../src/server/db/open-database";
import { startGraphSubsetServer, type GraphSubsetServer } from "../../../src/sim/graph/graph-subset-server";
import { SimulatedMailbox } from "../../../src/sim/mailbox/simulated-mailbox";
import { createSimulatedOffice, type SimulatedOffice } from "../../../src/sim/office/simulated-office";
import { ScenarioClock } from "../../../src/sim/scenario/scenario-clock";
import { SIM_ADDIN_ID, userEmail } from "../../../src/sim/scenario/scenario-world";
import { twinMailboxStore } from "../../../src/sim/scenario/twin-mailbox-store";

export const silent: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** What the CRM connection does to the next requests of a sync ("ok": that request goes through). */
export type CrmFault = "ok" | "serverError" | "throttled" | "timeout" | "lostAfterCommit" | "crash";

/** The Retry-After (seconds) of an injected "throttled" CRM answer: longer than a request waits in place. */
export const CRM_THROTTLE_SECONDS = 600;

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** One server (and database) shared by every history of a run; each history gets a fresh user. */
export class SharedServer {
  private constructor(
    readonly clock: ScenarioClock,
    readonly db: Database,
    readonly server: CrmServer,
    readonly baseUrl: string,
  ) {}

  static async start(): Promise<SharedServer> {
    const clock = new ScenarioClock(Date.parse("2026-03-02T09:00:00Z"));
    const schema = `rel_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6).toString(36)}`;
    const db = await openDatabase({ databaseUrl: process.env["DATABASE_URL"], schema, logger: silent });
    const server = await createCrmServer({ db, clock, logger: silent, rateLimit: false, collectEveryMs: 0 });
    const baseUrl = await server.listen({ port: 0, host: "127.0.0.1" });
    return new SharedServer(clock, db, server, baseUrl);
  }

  private cacheSchemaReady: Promise<string> | null = null;

  /** The headless engines' cache schema, migrated once for every history of the run. */
  cacheSchema(): Promise<string> {
    const schema = defaultCacheSchema(this.db);
    this.cacheSchemaReady ??= migrateCacheSchema(this.db, schema).then(() => schema);
    return this.cacheSchemaReady;
  }

  async close(): Promise<void> {
    await this.server.close();
    if (this.db.kind === "postgres") {
      await this.db.query(`DROP SCHEMA IF EXISTS ${defaultCacheSchema(this.db)} CASCADE`);
      await this.db.query(`DROP SCHEMA IF EXISTS ${this.db.schema} CASCADE`);
    }
    await this.db.close();
  }
}

interface ClientParts {
  engine: SyncEngine;
  cache: IdbLocalCache;
  office: SimulatedOffice;
  /** Set by a crash: this engine's network calls never answer again. */
  dead: { value: boolean };
}

/** The server's headless engine of the mailbox, on its own Postgres cache. */
interface HeadlessParts {
  engine: SyncEngine;
  close(): void;
  dead: { value: boolean };
}

/** Which engine synchronizes the mailbox. */
export type PrimaryKind = "addin" | "headless";

export class HistoryWorld {
  readonly mailbox: SimulatedMailbox;
  private indexedDB = new IDBFactory();
  private settingsChange: Partial<SyncSettings> = {};
  private client: ClientParts | null = null;
  private headless: HeadlessParts | null = null;
  private primaryKind: PrimaryKind = "addin";
  private faults: CrmFault[] = [];
  private readonly graphToken = `graph-${Math.random().toString(36).slice(2)}`;
  private graph: GraphSubsetServer | null = null;
  private token = "";
  private readonly crmTraffic = { requests: 0, bytes: 0 };

  constructor(
    readonly shared: SharedServer,
    readonly userId: string,
  ) {
    this.mailbox = new SimulatedMailbox({
      clock: shared.clock,
      owner: { emailAddress: userEmail(userId), displayName: userId },
    });
  }

  get clock(): ScenarioClock {
    return this.shared.clock;
  }

  /** The engine that synchronizes the mailbox: the add-in's, or the headless engine after `switchPrimary`. */
  get engine(): SyncEngine {
    if (this.primaryKind === "headless") {
      if (this.headless === null) throw new Error("no headless engine");
      return this.headless.engine;
    }
    return this.pane;
  }

  /** The add-in's engine, where the user's clicks land (a secondary client while the server syncs). */
  get pane(): SyncEngine {
    if (this.client === null) throw new Error("no client");
    return this.client.engine;
  }

  get primary(): PrimaryKind {
    return this.primaryKind;
  }

  /** The client's local cache (for tests that observe how the engine writes to it). */
  get cache(): IdbLocalCache {
    if (this.client === null) throw new Error("no client");
    return this.client.cache;
  }

  /** Creates the user (with these privileges) and opens the client (with these settings on top of the defaults). */
  async start(
    options: { privileges?: readonly Privilege[]; settings?: Partial<SyncSettings> } = {},
  ): Promise<void> {
    const service = this.shared.server.service;
    this.settingsChange = options.settings ?? {};
    await service.users.create({
      id: this.userId,
      privileges: options.privileges ?? ["SyncToOutlook", "GoOffline"],
      emails: [userEmail(this.userId)],
    });
    this.token = await service.users.issueToken(this.userId, "reliability");
    this.graph = await startGraphSubsetServer({
      mailbox: this.mailbox,
      clock: this.clock,
      token: this.graphToken,
    });
    await this.openClient();
  }

  /** The next CRM requests fail this way, one fault per request, in order. */
  armCrmFaults(faults: readonly CrmFault[]): void {
    this.faults = [...faults];
  }

  /** The CRM connection of one engine: the armed faults apply to it; after a crash it never answers again. */
  private crmFetch(dead: { value: boolean }): typeof fetch {
    const never = new Promise<Response>(() => undefined);
    return async (input, init) => {
      if (dead.value) return never;
      const fault = this.faults.shift();
      if (fault === "serverError") {
        return new Response(JSON.stringify({ error: { code: "serverError", message: "injected" } }), {
          status: 503,
          headers: { "content-type": "application/json" },
        });
      }
      if (fault === "throttled") {
        return new Response(JSON.stringify({ error: { code: "rateLimited", message: "injected" } }), {
          status: 429,
          headers: { "content-type": "application/json", "retry-after": String(CRM_THROTTLE_SECONDS) },
        });
      }
      if (fault === "timeout") throw new TypeError("injected timeout");
      if (fault === "crash") {
        dead.value = true;
        return never;
      }
      this.crmTraffic.requests += 1;
      this.crmTraffic.bytes +=
        typeof init?.body === "string" ? new TextEncoder().encode(init.body).length : 0;
      const response = await globalThis.fetch(input, init);
      const length = Number(response.headers.get("content-length") ?? 0);
      this.crmTraffic.bytes += Number.isFinite(length) ? length : 0;
      if (fault === "lostAfterCommit") {
        await response.arrayBuffer();
        throw new TypeError("injected: response lost after the server committed");
      }
      return response;
    };
  }

  private graphFetch(dead: { value: boolean }): typeof fetch {
    const never = new Promise<Response>(() => undefined);
    return (input, init) => (dead.value ? never : globalThis.fetch(input, init));
  }

  private crmClient(dead: { value: boolean }): HttpCrmClient {
    return new HttpCrmClient({
      baseUrl: this.shared.baseUrl,
      getToken: () => Promise.resolve(this.token),
      fetch: this.crmFetch(dead),
      clock: this.clock,
    });
  }

  private async openClient(): Promise<void> {
    const clock = this.clock;
    const dead = { value: false };
    const cache = await IdbLocalCache.open({
      indexedDB: this.indexedDB,
      name: `rel-${this.userId}`,
      logger: silent,
      clock,
    });
    const office = createSimulatedOffice(this.mailbox, { addinId: SIM_ADDIN_ID });
    const graphFetch = this.graphFetch(dead);
    let counter = 0;
    const mailbox = twinMailboxStore({
      fetch: graphFetch,
      baseUrl: this.graph?.baseUrl ?? "",
      token: this.graphToken,
      clock,
      addinId: SIM_ADDIN_ID,
      mailbox: this.mailbox,
    });
    const engine = new SyncEngine({
      host: new OfficeJsOutlookHost(office.office as typeof Office, { itemIds: mailbox }),
      mailbox,
      crm: this.crmClient(dead),
      cache,
      clock: clock.scheduler,
      logger: silent,
      newId: () => `${this.userId}-${(counter += 1)}-${Math.random().toString(36).slice(2)}`,
      clientId: "desk",
      settings: {
        ...DEFAULT_SETTINGS,
        entities: ["contact", "task"],
        intervalMinutes: 0,
        serverUrl: this.shared.baseUrl,
        userId: this.userId,
        ...this.settingsChange,
        ...(this.primaryKind === "headless" ? { isSyncClient: false } : {}),
      },
      random: () => 0.5,
    });
    await engine.start();
    this.client = { engine, cache, office, dead };
  }

  /** The headless engine of this mailbox, as a worker's run opens it, on the cache it kept since its last run. */
  private async openHeadless(): Promise<void> {
    const db = this.shared.db;
    const schema = await this.shared.cacheSchema();
    const dead = { value: false };
    const mailbox = twinMailboxStore({
      fetch: this.graphFetch(dead),
      baseUrl: this.graph?.baseUrl ?? "",
      token: this.graphToken,
      clock: this.clock,
      addinId: SIM_ADDIN_ID,
      mailbox: this.mailbox,
      mailboxAddress: this.mailbox.owner.emailAddress,
    });
    let counter = 0;
    const { engine, cache } = openHeadlessEngine({
      db,
      schema,
      userId: this.userId,
      user: this.mailbox.owner,
      mailbox,
      crm: this.crmClient(dead),
      serverUrl: this.shared.baseUrl,
      clock: this.clock.scheduler,
      logger: silent,
      settings: { entities: ["contact", "task"], intervalMinutes: 0 },
      newId: () => `${this.userId}-s${(counter += 1)}-${Math.random().toString(36).slice(2)}`,
      random: () => 0.5,
    });
    await engine.start();
    this.headless = { engine, close: () => cache.close(), dead };
  }

  /** Reconciles and syncs until a cycle completes with nothing pending; a throttle is waited out (at most 5 rounds). */
  private async finishLastCycle(): Promise<void> {
    for (let round = 0; round < 5; round += 1) {
      const reconciled = await this.engine.reconcileNow().then(
        () => true,
        () => false,
      );
      await this.sync();
      const status = this.engine.status();
      if (reconciled && status.lastCycleError === null && status.pending === 0) return;
      this.advance(Math.max(60_000, (status.nextSyncAt ?? 0) - this.clock.now()));
    }
  }

  private async closeHeadless(): Promise<void> {
    const headless = this.headless;
    if (headless === null) return;
    headless.engine.dispose();
    await headless.engine.idle();
    headless.close();
    this.headless = null;
  }

  /**
   * Hands the mailbox from the add-in to the headless engine or back, each keeping its own cache. The leaving
   * one first reconciles and runs a last cycle, until both complete with nothing left pending (what only its
   * cache knows, an item gone without a notice, would be lost otherwise), then gives up the role; the other
   * takes the primary role at the server and runs its first cycle.
   */
  async switchPrimary(): Promise<void> {
    await this.finishLastCycle();
    if (this.primaryKind === "addin") {
      await this.pane.saveSettings({ isSyncClient: false });
      this.primaryKind = "headless";
      await this.openHeadless();
    } else {
      await this.closeHeadless();
      this.primaryKind = "addin";
      await this.pane.saveSettings({ isSyncClient: true });
    }
    await this.sync();
  }

  /**
   * Runs one sync. With a crash armed, the engine stops answering at that request: it is thrown away without
   * waiting, its cache connection closed, and a new engine opens the same IndexedDB (nothing else survives).
   */
  async sync(): Promise<void> {
    const active = this.primaryKind === "headless" ? this.headless : this.client;
    if (active === null) throw new Error("no client");
    const done = active.engine.syncNow().then(
      () => "done" as const,
      () => "failed" as const,
    );
    for (;;) {
      const state = await Promise.race([done, tick().then(() => "running" as const)]);
      if (state !== "running") break;
      if (active.dead.value) {
        for (let i = 0; i < 20; i += 1) await tick();
        active.engine.dispose();
        this.faults = [];
        if (this.headless === active) {
          this.headless.close();
          this.headless = null;
          await this.openHeadless();
        } else if (this.client !== null) {
          this.client.cache.close();
          this.client.office.dispose();
          this.client = null;
          await this.openClient();
        }
        break;
      }
    }
    this.faults = [];
    await this.settle();
  }

  /**
   * Closes this client and opens it again, as a reload of the task pane would: with `lostCache`, the browser
   * lost the IndexedDB (a new, empty one); `settings` replaces settings given to the new engine.
   */
  async reopen(options: { lostCache?: boolean; settings?: Partial<SyncSettings> } = {}): Promise<void> {
    const client = this.client;
    if (client !== null) {
      client.engine.dispose();
      await client.engine.idle();
      client.cache.close();
      client.office.dispose();
      this.client = null;
    }
    if (options.lostCache === true) this.indexedDB = new IDBFactory();
    if (options.settings) this.settingsChange = { ...this.settingsChange, ...options.settings };
    await this.openClient();
  }

  /** Requests and body bytes (both directions) sent so far to the CRM server and the Graph server. */
  traffic(): { crmRequests: number; crmBytes: number; graphRequests: number; graphBytes: number } {
    const graph = this.graph?.stats() ?? { requests: 0, bytesIn: 0, bytesOut: 0 };
    return {
      crmRequests: this.crmTraffic.requests,
      crmBytes: this.crmTraffic.bytes,
      graphRequests: graph.requests,
      graphBytes: graph.bytesIn + graph.bytesOut,
    };
  }

  /** Lets notices reach the engines and their queued work finish. */
  async settle(): Promise<void> {
    for (let i = 0; i < 3; i += 1) {
      await tick();
      await this.engine.idle();
      await this.pane.idle();
    }
  }

  /** Moves the clock forward (no engine timers are armed: the interval is manual). */
  advance(ms: number): void {
    this.clock.moveTo(this.clock.now() + ms);
  }

  async close(): Promise<void> {
    await this.closeHeadless();
    if (this.client !== null) {
      this.client.engine.dispose();
      await this.client.engine.idle();
      this.client.cache.close();
      this.client.office.dispose();
    }
    await this.graph?.close();
  }
}
