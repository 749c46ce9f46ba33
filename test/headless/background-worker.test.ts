// A background-sync worker process end to end on PostgreSQL: the queue runs the headless engine for an enabled
// mailbox (the sync server over HTTP, the Graph twin as /users/{address}), a CRM change wakes the mailbox before
// its interval, the worker's own /metrics counts the runs, and stopping revokes the CRM tokens it minted.
import assert from "node:assert/strict";
import { StaticTokenProvider } from "../../src/adapters/graph/token-provider";
import { startBackgroundWorker, type BackgroundWorker } from "../../src/headless/background-worker";
import { WORKER_TOKEN_LABEL } from "../../src/headless/user-crm-tokens";
import {
  createCrmServer,
  MailboxRegistry,
  SystemClock,
  type CrmServer,
  type Database,
} from "../../src/server";
import { GraphSubscriptionStore } from "../../src/server/sync/graph-subscription-store";
import { QueueInspector } from "../../src/server/worker/mailbox-queue";
import { startGraphSubsetServer, type GraphSubsetServer } from "../../src/sim/graph/graph-subset-server";
import { SimulatedMailbox } from "../../src/sim/mailbox/simulated-mailbox";
import { SIM_ADDIN_ID } from "../../src/sim/scenario/scenario-world";
import { databaseUrl, openTestDatabase, silentLogger } from "../server/support/test-database";
import { skipSuiteBecause } from "../support/skip";
import { until } from "../support/until";

describe("background-sync worker process (PostgreSQL)", function () {
  this.timeout(240_000);
  const clock = new SystemClock();
  let db: Database;
  let disposeDb: () => Promise<void>;
  let server: CrmServer;
  let serverUrl: string;
  let mailbox: SimulatedMailbox;
  let graph: GraphSubsetServer;
  let worker: BackgroundWorker | null = null;
  let contactId = "";

  before(async function () {
    if (!databaseUrl) skipSuiteBecause(this, "the worker's queue needs PostgreSQL: DATABASE_URL is not set");
    const database = await openTestDatabase({ postgres: "required" });
    db = database.db;
    disposeDb = async () => {
      await db.query(`DROP SCHEMA IF EXISTS ${db.schema}_jobs CASCADE`);
      await db.query(`DROP SCHEMA IF EXISTS ${db.schema}_mailbox_cache CASCADE`);
      await database.dispose();
    };
    server = await createCrmServer({ db, clock, logger: silentLogger, rateLimit: false, collectEveryMs: 0 });
    serverUrl = await server.listen({ port: 0 });
    await server.service.users.create({
      id: "walt",
      privileges: ["SyncToOutlook", "GoOffline"],
      emails: ["walt@contoso.example"],
    });
    mailbox = new SimulatedMailbox({
      clock,
      owner: { emailAddress: "walt@contoso.example", displayName: "Walt" },
    });
    graph = await startGraphSubsetServer({ mailbox, clock, token: "app-token" });
  });
  after(async () => {
    await worker?.stop();
    await graph?.close();
    await server?.close();
    await disposeDb?.();
  });

  const lastNames = (): unknown[] =>
    mailbox
      .allItems()
      .filter((item) => item.type === "contact" && !item.deleted)
      .map((item) => item.fields["lastName"]);

  it("syncs an enabled mailbox, is woken by a CRM change, counts its runs and revokes its tokens on stop", async () => {
    const { record } = await server.service.records.create({
      by: "walt",
      owner: "walt",
      type: "contact",
      fields: { firstname: "Ada", lastname: "Lovelace" },
    });
    contactId = record.id;
    await new MailboxRegistry(db, clock).setEnabled("walt", true);

    worker = await startBackgroundWorker({
      db,
      connectionString: databaseUrl ?? "",
      syncServerUrl: serverUrl,
      graph: { baseUrl: graph.baseUrl, tokens: new StaticTokenProvider("app-token") },
      addinId: SIM_ADDIN_ID,
      notificationBaseUrl: null,
      clock,
      logger: silentLogger,
      // An hour's interval: the second sync below can only come from the CRM's change hint.
      settings: { intervalMs: 3_600_000, concurrency: 2, scheduleEveryMs: 500, wakeDelayMs: 0 },
      metrics: { host: "127.0.0.1", port: 0 },
      queue: { pollingSeconds: 0.5, retry: { retryLimit: 1, retryDelaySeconds: 1, expireSeconds: 120 } },
    });
    const registry = new MailboxRegistry(db, clock);
    await until(
      async () => (await registry.status("walt")).lastRun !== null,
      "the first run recorded",
      90_000,
    );
    assert.deepEqual(lastNames(), ["Lovelace"]);

    const tokens = await server.service.users.listTokens("walt");
    assert.deepEqual(
      tokens.filter((token) => !token.expired).map((token) => token.label),
      [WORKER_TOKEN_LABEL],
      "one CRM token of the user, reused by every run",
    );

    await server.service.records.update({
      by: "walt",
      id: record.id,
      fields: { lastname: "King" },
    });
    await until(
      () => lastNames().includes("King"),
      "the CRM edit in the mailbox, before the interval",
      90_000,
    );

    const metricsUrl = worker.metricsUrl;
    assert.ok(metricsUrl);
    const okRuns = (text: string): number =>
      Number(/^outlook_crm_sync_runs_total\{outcome="ok"\} (\d+)$/m.exec(text)?.[1]);
    let body = "";
    // The run that wrote the edit may still be finishing: its outcome is counted when it ends.
    await until(
      async () => okRuns((body = await (await fetch(metricsUrl)).text())) >= 2,
      "two ok runs counted",
    );
    const answer = await fetch(metricsUrl);
    assert.equal(answer.status, 200);
    assert.match(String(answer.headers.get("content-type")), /^text\/plain; version=0\.0\.4/);
    assert.match(body, /^outlook_crm_sync_duration_seconds_count \d+$/m);
    assert.match(body, /^outlook_crm_jobs\{state="dead"\} 0$/m);
    assert.ok(Number(/^outlook_crm_graph_requests_total (\d+)$/m.exec(body)?.[1]) > 0);
    assert.equal((await fetch(new URL("/other", metricsUrl))).status, 404);

    const status = await registry.status("walt");
    assert.equal(status.lastRun?.outcome, "ok", status.lastRun?.errors.join("; "));

    await worker.stop();
    worker = null;
    const after = await server.service.users.listTokens("walt");
    assert.deepEqual(
      after.filter((token) => token.label === WORKER_TOKEN_LABEL),
      [],
      "the worker's tokens are revoked when it stops",
    );
  });

  const start = (notificationBaseUrl: string | null): Promise<BackgroundWorker> =>
    startBackgroundWorker({
      db,
      connectionString: databaseUrl ?? "",
      syncServerUrl: serverUrl,
      graph: { baseUrl: graph.baseUrl, tokens: new StaticTokenProvider("app-token") },
      addinId: SIM_ADDIN_ID,
      notificationBaseUrl,
      clock,
      logger: silentLogger,
      settings: { intervalMs: 3_600_000, concurrency: 2, scheduleEveryMs: 500, wakeDelayMs: 0 },
      metrics: { host: "127.0.0.1", port: 0 },
      queue: { pollingSeconds: 0.5, retry: { retryLimit: 1, retryDelaySeconds: 1, expireSeconds: 120 } },
    });

  it("keeps a Graph subscription per folder, is woken by Graph's notifications, answers lifecycle events and releases them", async () => {
    const store = new GraphSubscriptionStore(db, clock);
    const inspector = new QueueInspector(db, db.schema);
    const crmLastName = async (): Promise<unknown> =>
      (await server.service.records.get(contactId))?.fields["lastname"];
    const idle = async (): Promise<boolean> => {
      const counts = await inspector.counts();
      return counts.queued + counts.running + counts.retrying === 0;
    };
    const editInOutlook = (lastName: string): void => {
      const item = mailbox.allItems().find((entry) => entry.type === "contact" && !entry.deleted);
      assert.ok(item);
      mailbox.updateItem(item.itemId, { fields: { lastName } }, { notify: true, by: "world" });
    };
    worker = await start(serverUrl);
    // The last run was just now and the interval is an hour: a CRM change brings the run that subscribes.
    await server.service.records.update({ by: "walt", id: contactId, fields: { firstname: "Augusta" } });
    await until(
      async () => (await store.ofUser("walt")).length === 4,
      "a subscription per synced folder",
      90_000,
    );
    const twinSubscriptions = async (): Promise<string[]> => {
      const answer = await fetch(`${graph.baseUrl}/subscriptions`, {
        headers: { authorization: "Bearer app-token" },
      });
      return ((await answer.json()) as { value: { id: string }[] }).value.map((entry) => entry.id).sort();
    };
    assert.deepEqual(await twinSubscriptions(), (await store.ofUser("walt")).map((row) => row.id).sort());
    await until(idle, "the queue idle", 90_000);

    editInOutlook("Byron");
    await until(
      async () => (await crmLastName()) === "Byron",
      "the Outlook edit in the CRM, woken by Graph",
      90_000,
    );
    assert.ok(worker.metricsUrl);
    const metricsBody = await (await fetch(worker.metricsUrl)).text();
    assert.match(metricsBody, /^outlook_crm_sync_queued_total\{reason="graph"\} [1-9]\d*$/m);

    const [removed, reauthorized] = await store.ofUser("walt");
    assert.ok(removed && reauthorized);
    assert.equal(await graph.subscriptions.lifecycle(removed.id, "subscriptionRemoved"), 202);
    await until(
      async () => {
        const rows = await store.ofUser("walt");
        return rows.length === 4 && rows.every((row) => row.id !== removed.id);
      },
      "the removed subscription made again",
      90_000,
    );
    assert.equal(await graph.subscriptions.lifecycle(reauthorized.id, "reauthorizationRequired"), 202);
    await until(
      async () =>
        (await store.ofUser("walt")).find((row) => row.id === reauthorized.id)?.lifecycleEvent === null,
      "the subscription reauthorized",
      90_000,
    );
    await until(idle, "the queue idle", 90_000);
    editInOutlook("Lovelace");
    await until(
      async () => (await crmLastName()) === "Lovelace",
      "notifications flowing after reauthorizing",
      90_000,
    );

    await worker.stop();
    worker = null;
    await new MailboxRegistry(db, clock).setEnabled("walt", false);
    worker = await start(serverUrl);
    await until(async () => (await store.ofUser("walt")).length === 0, "the subscriptions released", 90_000);
    assert.deepEqual(await twinSubscriptions(), []);
  });
});
