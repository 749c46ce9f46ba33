// One sync owner per mailbox and browser profile, with two runtimes open at once over the same IndexedDB: the
// pinned pane (owner) and ribbon command runtimes, on the simulator's Office and Graph and the real server.
import "fake-indexeddb/auto";
import assert from "node:assert/strict";
import { IDBFactory } from "fake-indexeddb";
import { GraphMailboxStore } from "../../src/adapters/graph/graph-mailbox-store";
import { StaticTokenProvider } from "../../src/adapters/graph/token-provider";
import { HttpCrmClient } from "../../src/adapters/http/http-crm-client";
import { IdbLocalCache } from "../../src/adapters/idb/idb-local-cache";
import { OfficeJsOutlookHost } from "../../src/adapters/officejs/officejs-outlook-host";
import { startAddinRuntime, type AddinRuntime } from "../../src/entry/commands/addin-runtime";
import { BROWSER_CLOCK } from "../../src/entry/commands/browser-clock";
import { ownedCommandServices } from "../../src/entry/commands/owned-command-services";
import { ownSyncFromPane, type PaneOwnership } from "../../src/entry/commands/pane-owner";
import { appendRequest } from "../../src/entry/launch-events/launch-requests";
import { DEFAULT_SETTINGS } from "../../src/ports/settings";
import { startGraphSubsetServer, type GraphSubsetServer } from "../../src/sim/graph/graph-subset-server";
import { SimulatedLockManager } from "../../src/sim/browser/simulated-lock-manager";
import { SimulatedMailbox } from "../../src/sim/mailbox/simulated-mailbox";
import { SimulatedOfficeRuntimeStorage } from "../../src/sim/office/office-runtime-storage";
import { createSimulatedOffice, type SimulatedOffice } from "../../src/sim/office/simulated-office";
import { SIM_ADDIN_ID, userEmail } from "../../src/sim/scenario/scenario-world";
import { SharedServer, silent } from "../engine/support/reliability-harness";

let shared: SharedServer;
let users = 0;

class Browser {
  readonly mailbox: SimulatedMailbox;
  readonly locks = new SimulatedLockManager();
  readonly storage = new SimulatedOfficeRuntimeStorage();
  readonly started: AddinRuntime[] = [];
  private readonly indexedDB = new IDBFactory();
  private readonly offices: SimulatedOffice[] = [];
  private graph: GraphSubsetServer | null = null;
  private token = "";
  private readonly graphToken = `graph-${Math.random().toString(36).slice(2)}`;

  constructor(readonly userId: string) {
    this.mailbox = new SimulatedMailbox({
      clock: shared.clock,
      owner: { emailAddress: userEmail(userId), displayName: userId },
    });
  }

  get email(): string {
    return userEmail(this.userId);
  }

  async open(): Promise<void> {
    const service = shared.server.service;
    await service.users.create({
      id: this.userId,
      privileges: ["SyncToOutlook", "GoOffline"],
      emails: [this.email],
    });
    this.token = await service.users.issueToken(this.userId, "owner-test");
    this.graph = await startGraphSubsetServer({
      mailbox: this.mailbox,
      clock: shared.clock,
      token: this.graphToken,
    });
  }

  office(): SimulatedOffice {
    const office = createSimulatedOffice(this.mailbox, { addinId: SIM_ADDIN_ID });
    this.offices.push(office);
    return office;
  }

  graphStore(): GraphMailboxStore {
    return new GraphMailboxStore({
      fetch: (input, init) => globalThis.fetch(input, init),
      baseUrl: this.graph?.baseUrl ?? "",
      tokens: new StaticTokenProvider(this.graphToken),
      clock: shared.clock,
      addinId: SIM_ADDIN_ID,
      changeFeed: this.mailbox,
      random: () => 0.5,
    });
  }

  /** Starts one runtime's engine over this browser's IndexedDB, as a page of the add-in does. */
  readonly startRuntime = async (): Promise<AddinRuntime> => {
    const cache = await IdbLocalCache.open({
      indexedDB: this.indexedDB,
      name: "outlook-crm-sync",
      logger: silent,
      clock: shared.clock,
    });
    const mailbox = this.graphStore();
    const runtime = await startAddinRuntime({
      host: new OfficeJsOutlookHost(this.office().office as typeof Office, { itemIds: mailbox }),
      mailbox,
      crm: new HttpCrmClient({
        baseUrl: shared.baseUrl,
        getToken: () => Promise.resolve(this.token),
        clock: shared.clock,
      }),
      cache,
      clock: shared.clock.scheduler,
      logger: silent,
      clientId: "desk",
      settings: {
        ...DEFAULT_SETTINGS,
        entities: ["contact"],
        intervalMinutes: 0,
        serverUrl: shared.baseUrl,
        userId: this.userId,
      },
      storageWarning: null,
    });
    this.started.push(runtime);
    return runtime;
  };

  pane(): PaneOwnership {
    return ownSyncFromPane({
      locks: this.locks,
      store: this.storage,
      mailbox: this.email,
      clock: BROWSER_CLOCK,
      logger: silent,
      startRuntime: this.startRuntime,
      onWaiting: () => undefined,
    });
  }

  /** A ribbon command runtime; `starts` counts the engines it started itself. */
  commands(): { services: ReturnType<typeof ownedCommandServices>; starts: () => number } {
    let starts = 0;
    const services = ownedCommandServices({
      host: new OfficeJsOutlookHost(this.office().office as typeof Office, { itemIds: this.graphStore() }),
      logger: silent,
      locks: this.locks,
      store: this.storage,
      clock: BROWSER_CLOCK,
      mailbox: this.email,
      startRuntime: () => {
        starts += 1;
        return this.startRuntime();
      },
      newId: () => Math.random().toString(36).slice(2),
    });
    return { services, starts: () => starts };
  }

  receivedEmail(subject: string): string {
    const item = this.mailbox.createItem(
      {
        type: "email",
        folder: "inbox",
        fields: {
          subject,
          from: "ann@fabrikam.example",
          to: [this.email],
          receivedAt: "2026-03-02T08:00:00Z",
          internetMessageId: `<${subject}@fabrikam.example>`,
        },
      },
      { notify: false, by: "world" },
    );
    this.mailbox.select(item.immutableId);
    return item.immutableId;
  }

  async emailRecords(): Promise<number> {
    return (await shared.server.service.records.listAll()).filter(
      (r) => r.type === "email" && r.owner === this.userId && !r.deleted,
    ).length;
  }

  async close(): Promise<void> {
    for (const runtime of this.started) runtime.engine.dispose();
    for (const office of this.offices) office.dispose();
    await this.graph?.close();
  }
}

describe("one sync owner per mailbox and browser (Web Locks)", function () {
  this.timeout(60_000);
  let browser: Browser;
  before(async () => {
    shared = await SharedServer.start();
  });
  after(async () => {
    await shared.close();
  });
  beforeEach(async () => {
    users += 1;
    browser = new Browser(`own${users}-${Date.now().toString(36)}`);
    await browser.open();
  });
  afterEach(() => browser.close());

  it("with the pane open, commands forward to it: no second engine, one CRM record for two Track clicks", async () => {
    const pane = browser.pane();
    const owner = await pane.runtime;
    await owner.engine.syncNow();
    browser.receivedEmail("quote");
    const first = browser.commands();
    const second = browser.commands();
    const answers = await Promise.all([
      first.services.track(),
      second.services.track(),
      first.services.syncNow(),
    ]);
    assert.equal(answers[0], "Tracked in CRM.");
    assert.match(answers[1], /^Tracked in CRM\.$|already tracked/);
    assert.match(answers[2], /^Synchronized: /);
    assert.equal(first.starts() + second.starts(), 0, "the commands started no engine of their own");
    assert.equal(browser.started.length, 1);
    assert.equal(await browser.emailRecords(), 1);
    assert.equal((await browser.storage.getKeys()).filter((key) => key.includes("answer")).length, 0);
    pane.dispose();
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(browser.locks.heldNames(), [], "the pane let go of its locks");
  });

  it("with no pane, each command takes its turn under the lock and disposes its engine", async () => {
    browser.receivedEmail("offer");
    const first = browser.commands();
    const second = browser.commands();
    const [tracked, synced] = await Promise.all([first.services.track(), second.services.syncNow()]);
    assert.equal(tracked, "Tracked in CRM.");
    assert.match(synced, /^Synchronized: /);
    assert.equal(first.starts(), 1);
    assert.equal(second.starts(), 1);
    assert.deepEqual(browser.locks.heldNames(), []);
    assert.equal(await browser.emailRecords(), 1);
    assert.equal(browser.started.length, 2);
  });

  it("Untrack on an item that is not tracked says so, through the pane or on its own", async () => {
    browser.receivedEmail("hello");
    const alone = browser.commands();
    assert.equal(
      await alone.services.untrack(),
      "This item is not tracked in CRM: there was nothing to untrack.",
    );
    const pane = browser.pane();
    await pane.runtime;
    const forwarded = browser.commands();
    assert.equal(
      await forwarded.services.untrack(),
      "This item is not tracked in CRM: there was nothing to untrack.",
    );
    assert.equal(forwarded.starts(), 0);
    assert.equal(await forwarded.services.track(), "Tracked in CRM.");
    assert.equal(await forwarded.services.track(), "This item is already tracked in CRM.");
    pane.dispose();
  });

  it("the pane takes the launch events' requests and syncs once for them", async () => {
    const pane = browser.pane();
    const owner = await pane.runtime;
    let cycles = 0;
    let running = false;
    const subscription = owner.engine.onStatus((status) => {
      if (status.running && !running) cycles += 1;
      running = status.running;
    });
    await appendRequest(browser.storage, browser.email, {
      id: "a",
      kind: "appointmentSent",
      itemId: "x",
      itemType: null,
      surface: "inspector",
      at: 0,
    });
    await appendRequest(browser.storage, browser.email, {
      id: "b",
      kind: "messageSent",
      itemId: "y",
      itemType: null,
      surface: "inspector",
      at: 0,
    });
    for (let waited = 0; waited < 6_000 && cycles === 0; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await owner.engine.idle();
    subscription.dispose();
    assert.equal(cycles, 1, "one cycle for both requests");
    assert.equal(await browser.storage.getItem(`outlookCrmSync.requests:${browser.email}`), "[]");
    assert.deepEqual(
      await browser.storage.getKeys(),
      [`outlookCrmSync.requests:${browser.email.toLowerCase()}`],
      "no answers are left for launch events, which never read them",
    );
    pane.dispose();
  });
});
