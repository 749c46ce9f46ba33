/**
 * Everything one scenario run needs, wired the way the add-in runs in Outlook: the sync server in-process
 * (PGlite in memory, or a fresh schema on the Postgres of `--database-url`) listening on loopback, one
 * simulated mailbox with its Graph subset server on loopback, and per client (one browser profile) a fake
 * `Office` global, an IdbLocalCache on its own fake-indexeddb factory, and a SyncEngine built on
 * OfficeJsOutlookHost, GraphMailboxStore and HttpCrmClient. One ScenarioClock drives every time, the
 * server's included. Node only.
 */
import { randomUUID } from "node:crypto";
import "fake-indexeddb/auto";
import { IDBFactory } from "fake-indexeddb";
import { TASK_LINK_EXTENSION } from "../../adapters/graph/graph-mailbox-store";
import { HttpCrmClient } from "../../adapters/http/http-crm-client";
import { defaultCacheSchema, migrateCacheSchema } from "../../adapters/pg/pg-cache-schema";
import { IdbLocalCache } from "../../adapters/idb/idb-local-cache";
import { OfficeJsOutlookHost } from "../../adapters/officejs/officejs-outlook-host";
import { SyncError } from "../../core/errors";
import { SyncEngine } from "../../engine/sync-engine";
import { openHeadlessEngine } from "../../headless/headless-runner";
import { TRACKED_CATEGORY } from "../../engine/link-stamp";
import type { LocalCache } from "../../ports/local-cache";
import type { Logger } from "../../ports/logger";
import { customPropertiesPropertyId, customPropertiesWithLink } from "../../ports/mailbox-store";
import { DEFAULT_SETTINGS, type SyncSettings } from "../../ports/settings";
import { createCrmServer, type CrmServer } from "../../server/create-crm-server";
import type { Database } from "../../server/db/database";
import { openDatabase } from "../../server/db/open-database";
import type { CrmService } from "../../server/sync/crm-service";
import { MailboxRegistry } from "../../server/worker/mailbox-registry";
import type { RecordAction } from "../../server/sync/record-access";
import { startGraphSubsetServer, type GraphSubsetServer } from "../graph/graph-subset-server";
import { taskExtensionProperties } from "../graph/graph-todo";
import { SimulatedMailbox } from "../mailbox/simulated-mailbox";
import { createSimulatedOffice } from "../office/simulated-office";
import { itemLink } from "./scenario-output";
import { ScenarioClock } from "./scenario-clock";
import { publishInitialPackages } from "./scenario-packages";
import { ScenarioRefs } from "./scenario-refs";
import { twinMailboxStore } from "./twin-mailbox-store";
import type { Scenario } from "./scenario-schema";

/** The add-in id under which the simulated Office keeps custom properties and roaming settings. */
export const SIM_ADDIN_ID = "7c0a6e43-5e7b-4b8e-9d55-0f6a9d0c1e21";

/**
 * One client: a browser profile running the add-in, or with `headlessPrimary` the primary client played by the
 * headless engine, whose user's clicks reach a task pane in the same mailbox.
 */
export interface ScenarioClient {
  readonly id: string;
  /** The engine that syncs: the add-in's, or the headless engine on the server. */
  readonly engine: SyncEngine;
  readonly cache: LocalCache;
  /** The engine the user's clicks reach (Track, Untrack, Set regarding): `engine`, or the pane beside the server. */
  readonly pane: SyncEngine;
  /** True when `engine` is the headless engine: a click is followed by a run of it (SPEC "Background sync"). */
  readonly headless: boolean;
  /**
   * Beside the headless engine: runs it when the pane asked the server for a run (`POST /v1/background-sync/run`),
   * as a worker queues the job at once, and records its start and outcome as the worker would (the scenario
   * counts no writes, so the recorded changes are 0); false when nothing was asked. Null otherwise.
   */
  readonly runIfAsked: (() => Promise<boolean>) | null;
  /** Stops the client's engines and closes what they hold. */
  close(): Promise<void>;
}

export interface ScenarioWorldOptions {
  readonly logger: Logger;
  /** Postgres to run on; each run gets its own schema, dropped at the end. Default: PGlite in memory. */
  readonly databaseUrl?: string | undefined;
  /**
   * The primary client is the headless engine (the server's background sync, on its Postgres cache and Graph
   * as `/users/{address}`); its user's clicks go to a task pane that is a secondary client.
   */
  readonly headlessPrimary?: boolean;
}

/** What a client is built from: its id, settings, the server and the user's token. */
interface ClientSetup {
  readonly clientId: string;
  readonly settings: SyncSettings;
  readonly baseUrl: string;
  readonly token: string;
  readonly productVersion: string | undefined;
}

/** The e-mail address the simulator gives a user id. */
export function userEmail(userId: string): string {
  return `${userId.toLowerCase()}@contoso.example`;
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class ScenarioWorld {
  readonly refs = new ScenarioRefs();
  readonly addinId = SIM_ADDIN_ID;
  private readonly options: ScenarioWorldOptions;
  private clockValue: ScenarioClock | null = null;
  private db: Database | null = null;
  private server: CrmServer | null = null;
  private mailboxValue: SimulatedMailbox | null = null;
  private graph: GraphSubsetServer | null = null;
  private administratorId: string | null = null;
  private readonly graphToken = `graph-${randomUUID()}`;
  private readonly clientMap = new Map<string, ScenarioClient>();
  private readonly indexedDBs = new Map<string, IDBFactory>();

  constructor(options: ScenarioWorldOptions) {
    this.options = options;
  }

  get clock(): ScenarioClock {
    return required(this.clockValue, "clock");
  }

  get mailbox(): SimulatedMailbox {
    return required(this.mailboxValue, "mailbox");
  }

  get service(): CrmService {
    return required(this.server, "server").service;
  }

  /** Builds the world of the scenario's header: server, users, records, mailbox, items and clients. */
  async setUp(scenario: Scenario): Promise<void> {
    const { logger } = this.options;
    const clock = new ScenarioClock(Date.parse(scenario.start));
    this.clockValue = clock;
    const schema = `sim_${randomUUID().replaceAll("-", "").slice(0, 20)}`;
    this.db = await openDatabase({ databaseUrl: this.options.databaseUrl, schema, logger });
    this.server = await createCrmServer({ db: this.db, clock, logger, rateLimit: false, collectEveryMs: 0 });
    const baseUrl = await this.server.listen({ port: 0, host: "127.0.0.1" });
    for (const user of scenario.users) {
      await this.service.users.create({
        id: user.id,
        privileges: user.privileges,
        emails: [userEmail(user.id)],
        ...(user.role === undefined ? {} : { role: user.role }),
      });
    }
    let administrator = "administrator";
    for (let n = 2; scenario.users.some((user) => user.id.toLowerCase() === administrator); n += 1) {
      administrator = `administrator-${n}`;
    }
    await this.service.users.create({ id: administrator, privileges: [], administrator: true });
    this.administratorId = administrator;
    await publishInitialPackages(this.service, scenario);
    const token = await this.service.users.issueToken(scenario.mailbox, "simulator");
    for (const record of scenario.crm) {
      const fields = this.refs.resolve(record.fields);
      const { record: created } = await this.service.records.create({
        by: record.owner,
        owner: record.owner,
        type: record.type,
        fields,
      });
      this.refs.setRecord(record.ref, created.id);
    }
    const mailbox = new SimulatedMailbox({
      clock,
      owner: { emailAddress: userEmail(scenario.mailbox), displayName: scenario.mailbox },
    });
    this.mailboxValue = mailbox;
    for (const item of scenario.outlook) {
      const crmId = scenario.crm.some((record) => record.ref === item.ref)
        ? this.refs.recordOf(item.ref)
        : null;
      const created = mailbox.createItem(
        {
          type: item.type,
          fields: item.fields,
          ...(crmId === null
            ? {}
            : {
                categories: [TRACKED_CATEGORY],
                extendedProperties:
                  item.type === "task"
                    ? taskExtensionProperties(TASK_LINK_EXTENSION, { crmId, state: "tracked" })
                    : {
                        [customPropertiesPropertyId(this.addinId)]: JSON.stringify(
                          customPropertiesWithLink({}, { crmId, state: "tracked" }),
                        ),
                      },
              }),
        },
        { notify: false, by: "world" },
      );
      this.refs.setItem(item.ref, created.immutableId);
    }
    this.graph = await startGraphSubsetServer({ mailbox, clock, token: this.graphToken });
    for (const client of scenario.clients) {
      const settings: SyncSettings = {
        ...DEFAULT_SETTINGS,
        ...scenario.settings,
        isSyncClient: client.role === "primary",
        serverUrl: baseUrl,
        userId: scenario.mailbox,
      };
      const setup = { clientId: client.id, settings, baseUrl, token, productVersion: client.product };
      if (client.role === "primary" && this.options.headlessPrimary === true) {
        await this.addHeadlessClient(setup);
      } else {
        await this.addClient(setup);
      }
    }
    await this.settle();
  }

  private async addClient(setup: ClientSetup): Promise<void> {
    const { clientId, settings, baseUrl, token, productVersion } = setup;
    const { logger } = this.options;
    const clock = this.clock;
    const office = createSimulatedOffice(this.mailbox, { addinId: this.addinId });
    const indexedDB = this.indexedDBs.get(clientId) ?? new IDBFactory();
    this.indexedDBs.set(clientId, indexedDB);
    const cache = await IdbLocalCache.open({
      indexedDB,
      name: `outlook-crm-sync-${clientId}`,
      logger,
      clock,
    });
    const mailboxStore = twinMailboxStore({
      fetch: (input, init) => globalThis.fetch(input, init),
      baseUrl: required(this.graph, "Graph server").baseUrl,
      token: this.graphToken,
      clock,
      addinId: this.addinId,
      mailbox: this.mailbox,
    });
    const host = new OfficeJsOutlookHost(office.office as typeof Office, { itemIds: mailboxStore });
    const crm = new HttpCrmClient({ baseUrl, getToken: () => Promise.resolve(token), clock });
    let counter = 0;
    const engine = new SyncEngine({
      host,
      mailbox: mailboxStore,
      crm,
      cache,
      clock: clock.scheduler,
      logger,
      newId: () => `${clientId}-${(counter += 1)}-${randomUUID()}`,
      clientId,
      settings,
      random: () => 0.5,
      ...(productVersion === undefined ? {} : { productVersion }),
    });
    await engine.start();
    this.clientMap.set(clientId, {
      id: clientId,
      engine,
      cache,
      pane: engine,
      headless: false,
      runIfAsked: null,
      close: async () => {
        engine.dispose();
        await engine.idle();
        cache.close();
        office.dispose();
      },
    });
  }

  /**
   * The primary client played by the headless engine: the engine the worker runs for a mailbox, on the
   * server's Postgres cache, with Graph addressed as `/users/{address}` and the mailbox's change notices standing
   * in for the Graph change notifications that wake its job. The user's clicks reach a task pane in the same
   * mailbox. Background sync of the mailbox is enabled, so the pane, with the user's own settings, reads that
   * the server synchronizes it: a secondary client, which stamps the request on the item for the headless engine
   * to carry out and asks the server for a run.
   */
  private async addHeadlessClient(setup: ClientSetup): Promise<void> {
    const { clientId, settings, baseUrl, token, productVersion } = setup;
    const db = required(this.db, "database");
    const schema = defaultCacheSchema(db);
    await migrateCacheSchema(db, schema);
    const mailboxStore = twinMailboxStore({
      fetch: (input, init) => globalThis.fetch(input, init),
      baseUrl: required(this.graph, "Graph server").baseUrl,
      token: this.graphToken,
      clock: this.clock,
      addinId: this.addinId,
      mailbox: this.mailbox,
      mailboxAddress: this.mailbox.owner.emailAddress,
    });
    let counter = 0;
    const { engine, cache } = openHeadlessEngine({
      db,
      schema,
      userId: settings.userId,
      user: this.mailbox.owner,
      mailbox: mailboxStore,
      crm: new HttpCrmClient({ baseUrl, getToken: () => Promise.resolve(token), clock: this.clock }),
      serverUrl: baseUrl,
      clock: this.clock.scheduler,
      logger: this.options.logger,
      settings,
      newId: () => `${clientId}-${(counter += 1)}-${randomUUID()}`,
      random: () => 0.5,
      ...(productVersion === undefined ? {} : { productVersion }),
    });
    const registry = new MailboxRegistry(db, this.clock);
    await registry.setEnabled(settings.userId, true);
    await engine.start();
    const paneId = `${clientId}-pane`;
    await this.addClient({ ...setup, clientId: paneId });
    const pane = this.client(paneId);
    this.clientMap.delete(paneId);
    const service = this.service;
    this.clientMap.set(clientId, {
      id: clientId,
      engine,
      cache,
      pane: pane.engine,
      headless: true,
      runIfAsked: async () => {
        if (!(await service.backgroundSync.status(settings.userId)).runPending) return false;
        const startedAt = this.clock.now();
        const status = await engine.syncNow();
        const run = {
          startedAt,
          durationMs: this.clock.now() - startedAt,
          changes: 0,
          outcome: status.lastCycleError === null ? ("ok" as const) : ("failed" as const),
          errors: status.lastCycleError === null ? [] : [status.lastCycleError.message],
        };
        await registry.recordRun(settings.userId, run, startedAt + 15 * 60_000);
        return true;
      },
      close: async () => {
        engine.dispose();
        await engine.idle();
        cache.close();
        await pane.close();
      },
    });
  }

  /** The client with this id (validation guarantees it exists). */
  client(id: string): ScenarioClient {
    const client = this.clientMap.get(id);
    if (client === undefined) throw new SyncError("invalidInput", { details: `unknown client "${id}"` });
    return client;
  }

  clients(): readonly ScenarioClient[] {
    return [...this.clientMap.values()];
  }

  /** Every engine of the run, the task pane beside a headless primary included. */
  private engines(): readonly SyncEngine[] {
    return this.clients().flatMap((client) =>
      client.pane === client.engine ? [client.engine] : [client.engine, client.pane],
    );
  }

  /** The user presses Confirm for the package waiting on a client; with none waiting there is no such button. */
  async confirmPackage(clientId: string): Promise<void> {
    const { engine } = this.client(clientId);
    if (engine.status().package.waiting?.confirmed !== false) {
      this.options.logger.warn("package.confirm: no package waits for confirmation", { client: clientId });
      return;
    }
    await engine.confirmPackage();
  }

  /** The current owner of a record. */
  async ownerOf(crmId: string): Promise<string> {
    const record = await this.service.records.get(crmId);
    if (record === undefined) throw new SyncError("notFound", { details: `record ${crmId}` });
    return record.owner;
  }

  /** The CRM administrator the world's CRM steps act as when their `by` may not do the action. */
  get administrator(): string {
    return required(this.administratorId, "administrator");
  }

  /** `by` when the CRM's record rules let them do `action` to the record, the world's administrator otherwise. */
  async actorFor(by: string, crmId: string, action: RecordAction): Promise<string> {
    return (await this.service.records.permits(by, crmId, action)) ? by : this.administrator;
  }

  /** Fires every scheduled timer due by `time`, in order, letting each one's work finish; then moves time there. */
  async advanceTo(time: number): Promise<void> {
    while (this.clock.fireNext(time)) await this.settle();
    this.clock.moveTo(time);
  }

  /** Waits until every engine is idle and no scheduled timer is due now (notices and follow-ups included). */
  async settle(): Promise<void> {
    for (let round = 0; round < 1000; round += 1) {
      await tick();
      await tick();
      await Promise.all(this.engines().map((engine) => engine.idle()));
      if (this.clock.fireNext(this.clock.now())) continue;
      await tick();
      if (this.engines().every((engine) => !engine.busy)) return;
    }
    throw new Error("the simulator did not settle: work keeps arriving");
  }

  /**
   * Links refs through the CRM ids stamped on items and names every object without a ref. Items are named by
   * their immutable ids, which the engine's mappings hold and a move keeps.
   */
  async refreshRefs(): Promise<void> {
    const items = this.mailbox.allItems();
    for (const item of items) {
      const link = itemLink(item, this.addinId);
      if (link?.crmId) this.refs.link(item.immutableId, link.crmId);
    }
    const records = await this.service.records.listAll();
    this.refs.nameUnseen(
      items.map((item) => ({ id: item.immutableId, type: item.type })),
      records.map((record) => ({ id: record.id, type: record.type })),
    );
  }

  /** Stops every engine, server and database of the run; drops the run's Postgres schema. */
  async close(): Promise<void> {
    for (const client of this.clientMap.values()) await client.close();
    this.clientMap.clear();
    await this.graph?.close();
    await this.server?.close();
    if (this.db !== null) {
      if (this.db.kind === "postgres") {
        await this.db.query(`DROP SCHEMA IF EXISTS ${defaultCacheSchema(this.db)} CASCADE`);
        await this.db.query(`DROP SCHEMA IF EXISTS ${this.db.schema} CASCADE`);
      }
      await this.db.close();
    }
  }
}

function required<T>(value: T | null, what: string): T {
  if (value === null) throw new Error(`the scenario world has no ${what} yet`);
  return value;
}
