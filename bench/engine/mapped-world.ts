/**
 * A benchmark world whose mailbox is already synchronized: N mapped pairs seeded directly on all three sides,
 * so 50,000 fit in one process where a full initial sync through the service does not.
 * - CRM: the records in bulk SQL (each with its own version and a feed row for its owner, as the service writes
 *   them), and the client's subscription acknowledged up to the newest version, so the first pull has nothing;
 * - Outlook: one item per record in the simulated mailbox, its fields mapped from the record by the core's
 *   mapping, stamped with the record's id and the Tracked category as the engine's create leaves it;
 * - the cache: a mapping per pair with both snapshots (the Outlook one from the item as the mailbox stored it,
 *   with the values Exchange adds, as the engine takes it from the created item), the CRM cursor and the
 *   initial-sync marker.
 * The folders' delta links come from the engine's own missed-change scan, run once alone (a real delta round
 * over every item), and the first cycle then takes the day's first id listing of each folder; `firstCycle`
 * checks that neither found anything to do, so the three sides agree.
 * The client is the add-in's (IdbLocalCache on fake-indexeddb, GraphMailboxStore to the Graph subset server,
 * HttpCrmClient to the in-process server), and its ports are open to the bench to time a cycle's parts.
 */
import "fake-indexeddb/auto";
import { IDBFactory } from "fake-indexeddb";
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { TASK_LINK_EXTENSION } from "../../src/adapters/graph/graph-mailbox-store";
import { HttpCrmClient } from "../../src/adapters/http/http-crm-client";
import { IdbLocalCache } from "../../src/adapters/idb/idb-local-cache";
import { OfficeJsOutlookHost } from "../../src/adapters/officejs/officejs-outlook-host";
import { DEFAULT_PACKAGE_METADATA } from "../../src/core/customization-package";
import { toOutlook } from "../../src/core/mapping";
import type { EntityType, Fields } from "../../src/core/types";
import { saveCheckpoints } from "../../src/engine/cache-writes";
import { CRM_CHECKPOINT } from "../../src/engine/crm-pull";
import type { CycleContext } from "../../src/engine/cycle-context";
import type { SyncEngineDeps } from "../../src/engine/engine-deps";
import { TRACKED_CATEGORY } from "../../src/engine/link-stamp";
import { scanOutlook } from "../../src/engine/outlook-scan";
import { listingCheckpointKey } from "../../src/engine/reconcile-slice";
import { snapshotOf } from "../../src/engine/snapshots";
import { INITIAL_CHECKPOINT, loginKey, SyncEngine } from "../../src/engine/sync-engine";
import type { Mapping } from "../../src/ports/local-cache";
import { customPropertiesPropertyId, customPropertiesWithLink } from "../../src/ports/mailbox-store";
import { DEFAULT_SETTINGS, type SyncSettings } from "../../src/ports/settings";
import { refreshStatistics } from "../../src/server";
import { deriveColumns } from "../../src/server/sync/record-columns";
import { startGraphSubsetServer, type GraphSubsetServer } from "../../src/sim/graph/graph-subset-server";
import { taskExtensionProperties } from "../../src/sim/graph/graph-todo";
import { SimulatedMailbox } from "../../src/sim/mailbox/simulated-mailbox";
import { createSimulatedOffice, type SimulatedOffice } from "../../src/sim/office/simulated-office";
import { SIM_ADDIN_ID, userEmail } from "../../src/sim/scenario/scenario-world";
import { twinMailboxStore } from "../../src/sim/scenario/twin-mailbox-store";
import { silent, type SharedServer } from "../../test/engine/support/reliability-harness";

/** The types that sync CRM→Outlook; the world syncs all three. */
const TYPES = ["contact", "appointment", "task"] as const;
const CLIENT_ID = "desk";
const DAY_MS = 86_400_000;
/** Records per SQL statement and mappings per cache transaction while seeding. */
const SEED_CHUNK = 2_000;

export interface Traffic {
  readonly crmRequests: number;
  readonly crmBytes: number;
  readonly graphRequests: number;
  readonly graphBytes: number;
}

/** One seeded pair: the record's id, its type and the Outlook item's id. */
export interface SeededPair {
  readonly crmId: string;
  readonly type: EntityType;
  readonly itemId: string;
}

export interface SeedRecord {
  readonly id: string;
  readonly type: EntityType;
  readonly fields: Fields;
}

/**
 * The `n`-th record of the mix: of every five, three contacts, an appointment (on one of the 60 days from
 * `day0`, in the calendar window, organized by the user) and a task; its id is new.
 */
export function mixRecord(n: number, userId: string, day0: number): SeedRecord {
  const slot = n % 5;
  const id = randomUUID();
  if (slot < 3) {
    return {
      id,
      type: "contact",
      fields: {
        firstname: `First${n}`,
        lastname: `Last${n}`,
        emailaddress1: `c${n}@bench.example`,
        jobtitle: "Buyer",
        telephone1: "555-0100",
        address1_city: "Springfield",
        description: "Met at the trade fair. Interested in the premium plan.",
      },
    };
  }
  if (slot === 3) {
    const start = day0 + (n % 60) * DAY_MS + 10 * 3_600_000;
    return {
      id,
      type: "appointment",
      fields: {
        subject: `Meeting ${n}`,
        organizer: userId,
        scheduledstart: new Date(start).toISOString().replace(".000Z", "Z"),
        scheduledend: new Date(start + 3_600_000).toISOString().replace(".000Z", "Z"),
        statecode: 3,
        statuscode: 5,
      },
    };
  }
  return { id, type: "task", fields: { subject: `Task ${n}`, statecode: 0, statuscode: 2, prioritycode: 1 } };
}

/** The add-in's link stamp on an item, as the Graph store writes it (tasks: an open extension). */
function linkProperties(type: EntityType, crmId: string): Record<string, string> {
  const link = { crmId, state: "tracked" as const };
  return type === "task"
    ? taskExtensionProperties(TASK_LINK_EXTENSION, link)
    : { [customPropertiesPropertyId(SIM_ADDIN_ID)]: JSON.stringify(customPropertiesWithLink({}, link)) };
}

export class MappedWorld {
  readonly mailbox: SimulatedMailbox;
  readonly pairs: SeededPair[] = [];
  private readonly indexedDB = new IDBFactory();
  private readonly crmTraffic = { requests: 0, bytes: 0 };
  private readonly graphToken = `graph-${randomUUID()}`;
  private graph: GraphSubsetServer | null = null;
  private office: SimulatedOffice | null = null;
  private parts: { engine: SyncEngine; deps: SyncEngineDeps; cache: IdbLocalCache } | null = null;

  constructor(
    readonly shared: SharedServer,
    readonly userId: string,
  ) {
    this.mailbox = new SimulatedMailbox({
      clock: shared.clock,
      owner: { emailAddress: userEmail(userId), displayName: userId },
    });
  }

  get engine(): SyncEngine {
    if (this.parts === null) throw new Error("the world is not started");
    return this.parts.engine;
  }

  get deps(): SyncEngineDeps {
    if (this.parts === null) throw new Error("the world is not started");
    return this.parts.deps;
  }

  /** Creates the user, starts the Graph server and the client's engine (which registers the client). */
  async start(): Promise<void> {
    const { service } = this.shared.server;
    await service.users.create({
      id: this.userId,
      privileges: ["SyncToOutlook", "GoOffline"],
      emails: [userEmail(this.userId)],
    });
    const token = await service.users.issueToken(this.userId, "engine bench");
    this.graph = await startGraphSubsetServer({
      mailbox: this.mailbox,
      clock: this.shared.clock,
      token: this.graphToken,
    });
    const clock = this.shared.clock;
    const cache = await IdbLocalCache.open({
      indexedDB: this.indexedDB,
      name: `bench-${this.userId}`,
      logger: silent,
      clock,
    });
    this.office = createSimulatedOffice(this.mailbox, { addinId: SIM_ADDIN_ID });
    const mailbox = twinMailboxStore({
      fetch: globalThis.fetch,
      baseUrl: this.graph.baseUrl,
      token: this.graphToken,
      clock,
      addinId: SIM_ADDIN_ID,
      mailbox: this.mailbox,
    });
    const settings: SyncSettings = {
      ...DEFAULT_SETTINGS,
      entities: [...TYPES],
      intervalMinutes: 15,
      serverUrl: this.shared.baseUrl,
      userId: this.userId,
    };
    let counter = 0;
    const deps: SyncEngineDeps = {
      host: new OfficeJsOutlookHost(this.office.office as typeof Office, { itemIds: mailbox }),
      mailbox,
      crm: new HttpCrmClient({
        baseUrl: this.shared.baseUrl,
        getToken: () => Promise.resolve(token),
        fetch: this.countedFetch(),
        clock,
      }),
      cache,
      // Timers fire only when the bench fires them: it runs every cycle itself.
      clock: clock.scheduler,
      logger: silent,
      newId: () => `${this.userId}-${(counter += 1)}`,
      clientId: CLIENT_ID,
      settings,
      random: () => 0.5,
    };
    const engine = new SyncEngine(deps);
    await engine.start();
    this.parts = { engine, deps, cache };
  }

  /** Counts the CRM requests and their body bytes in both directions. */
  private countedFetch(): typeof fetch {
    return async (input, init) => {
      this.crmTraffic.requests += 1;
      this.crmTraffic.bytes += typeof init?.body === "string" ? Buffer.byteLength(init.body) : 0;
      const response = await globalThis.fetch(input, init);
      this.crmTraffic.bytes += Number(response.headers.get("content-length") ?? 0) || 0;
      return response;
    };
  }

  /** Seeds `count` mapped pairs of the mix on the three sides (see the module comment). */
  async seed(count: number): Promise<void> {
    const { db } = this.shared;
    const clock = this.shared.clock;
    const day0 = clock.now() - (clock.now() % DAY_MS);
    const deps = this.deps;
    for (let start = 0; start < count; start += SEED_CHUNK) {
      const records: SeedRecord[] = [];
      for (let n = start; n < Math.min(count, start + SEED_CHUNK); n += 1)
        records.push(mixRecord(n, this.userId, day0));
      const versions = await this.insertRecords(records);
      const mappings: Mapping[] = records.map((record, at) => {
        const outlook = toOutlook(record.type, record.fields, {
          updateCompanyField: deps.settings.updateCompanyField,
          parentAccountName: null,
        });
        const item = this.mailbox.createItem(
          {
            type: record.type,
            fields: outlook,
            categories: [TRACKED_CATEGORY],
            extendedProperties: linkProperties(record.type, record.id),
          },
          { notify: false, by: "world" },
        );
        this.pairs.push({ crmId: record.id, type: record.type, itemId: item.immutableId });
        return {
          mapId: `${this.userId}-seed-${start + at}`,
          crmId: record.id,
          itemId: item.immutableId,
          type: record.type,
          deletedLocally: false,
          linked: true,
          visited: true,
          verifiedTime: clock.now(),
          crmVersion: versions[at] ?? null,
          trackedByHand: false,
          snapshot: snapshotOf(
            DEFAULT_PACKAGE_METADATA.fieldMaps,
            record.type,
            item.fields,
            record.fields,
            this.userId,
          ),
        };
      });
      await deps.cache.putMappings(mappings);
    }
    const { rows } = await db.query<{ version: string }>(
      `UPDATE subscriptions SET acked_version = (SELECT version FROM sync_clock WHERE id = 1)
        WHERE user_id = $1 AND client_id = $2 RETURNING acked_version AS version`,
      [this.userId, CLIENT_ID],
    );
    await refreshStatistics(db);
    await saveCheckpoints(deps.cache, [
      { key: CRM_CHECKPOINT, serverVersion: Number(rows[0]?.version ?? 0), watermark: null, deltaLink: null },
      {
        key: INITIAL_CHECKPOINT,
        serverVersion: 1,
        watermark: clock.now(),
        deltaLink: loginKey(deps.settings),
      },
    ]);
  }

  /** Inserts the records owned by the user with consecutive versions and their feed rows; returns the versions. */
  private async insertRecords(records: readonly SeedRecord[]): Promise<number[]> {
    const now = this.shared.clock.now();
    return this.shared.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ version: string }>(
        "UPDATE sync_clock SET version = version + $1 RETURNING version",
        [records.length],
      );
      const first = Number(rows[0]?.version ?? 0) - records.length + 1;
      const input = records.map((record, at) => {
        const derived = deriveColumns(record.type, record.fields);
        const text = JSON.stringify(record.fields);
        return {
          id: record.id,
          type: record.type,
          fields: record.fields,
          version: first + at,
          search_name: derived.searchName,
          parties: derived.parties,
          fields_bytes: Buffer.byteLength(text),
        };
      });
      await tx.query(
        `INSERT INTO records (id, type, owner, fields, version, modified_at, created_at, created_by, search_name,
                              parties, fields_bytes)
         SELECT r.id, r.type, $2, r.fields, r.version, $3, $3, $2, r.search_name, r.parties, r.fields_bytes
           FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, type text, fields jsonb, version bigint,
                                                   search_name text, parties text[], fields_bytes int)`,
        [JSON.stringify(input), this.userId, now],
      );
      await tx.query(
        `INSERT INTO change_feed (user_id, record_id, type, version, kind, changed_at)
         SELECT $1, (r->>'id')::uuid, r->>'type', (r->>'version')::bigint, 'upsert', $3
           FROM jsonb_array_elements($2::jsonb) AS r`,
        [this.userId, JSON.stringify(input.map(({ id, type, version }) => ({ id, type, version }))), now],
      );
      return input.map((row) => row.version);
    });
  }

  /**
   * The first cycle after seeding: the missed-change scan alone first (a whole delta round of every folder,
   * which stores the delta links), which throws when it found any item differing from its snapshot (the sides
   * did not agree); then a whole cycle, which takes the day's first id listing of every folder and must end
   * with nothing pending. Returns the time of each in ms.
   */
  async firstCycle(): Promise<{ scanMs: number; cycleMs: number }> {
    const started = performance.now();
    await scanOutlook(this.cycleContext(), new Set());
    const scanMs = performance.now() - started;
    const noted = await this.deps.cache.countEntries();
    if (noted > 0) throw new Error(`the seeded sides disagree: the first scan noted ${noted} changed items`);
    const cycleStarted = performance.now();
    const status = await this.engine.syncNow();
    const cycleMs = performance.now() - cycleStarted;
    if (status.lastCycleError !== null || status.pending > 0 || status.errors.length > 0) {
      throw new Error(
        `the first cycle after seeding left ${status.pending} entries pending, ${status.errors.length} failed, ` +
          `cycle error ${status.lastCycleError?.code ?? "none"}`,
      );
    }
    return { scanMs, cycleMs };
  }

  /** The context a primary cycle runs with under the default package (to run its steps one by one). */
  cycleContext(): CycleContext {
    const deps = this.deps;
    const types = new Set<EntityType>(DEFAULT_PACKAGE_METADATA.entityTypes);
    return {
      deps,
      maps: DEFAULT_PACKAGE_METADATA.fieldMaps,
      filters: DEFAULT_PACKAGE_METADATA.filters,
      settings: deps.settings,
      user: { id: this.userId, emails: [userEmail(this.userId)] },
      privileges: new Set(["SyncToOutlook", "GoOffline"]),
      role: "primary",
      syncTypes: types,
      packageTypes: types,
      downloadTypes: new Set(TYPES),
      linkIndex: null,
    };
  }

  /** When the latest id listing of any synced folder started (its checkpoint's watermark), or null. */
  async lastListing(): Promise<number | null> {
    const folders = await this.deps.mailbox.listFolders([...TYPES]);
    const times = await Promise.all(
      folders.map(
        async ({ folderId }) =>
          (await this.deps.cache.getCheckpoint(listingCheckpointKey(folderId)))?.watermark ?? null,
      ),
    );
    return times.reduce<number | null>(
      (latest, at) => (at !== null && (latest === null || at > latest) ? at : latest),
      null,
    );
  }

  /** Requests and body bytes so far, both directions, to the CRM server and to the Graph server. */
  traffic(): Traffic {
    const graph = this.graph?.stats();
    const { requests, bytes } = this.crmTraffic;
    return {
      crmRequests: requests,
      crmBytes: bytes,
      graphRequests: graph?.requests ?? 0,
      graphBytes: graph === undefined ? 0 : graph.bytesIn + graph.bytesOut,
    };
  }

  /** Lets the mailbox's notices reach the engine and the work they queued finish. */
  async settle(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    await this.engine.idle();
  }

  advance(ms: number): void {
    this.shared.clock.moveTo(this.shared.clock.now() + ms);
  }

  async close(): Promise<void> {
    if (this.parts !== null) {
      this.parts.engine.dispose();
      await this.parts.engine.idle();
      this.parts.cache.close();
    }
    this.office?.dispose();
    await this.graph?.close();
  }
}
