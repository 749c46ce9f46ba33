// The headless runner end to end: the sync server in-process, the Graph twin over one simulated mailbox
// (addressed as /users/{address}), the mailbox's cache in Postgres (PGlite, or DATABASE_URL when set).
import assert from "node:assert/strict";
import { StaticTokenProvider } from "../../src/adapters/graph/token-provider";
import { HttpCrmClient } from "../../src/adapters/http/http-crm-client";
import { TRACKED_CATEGORY } from "../../src/engine/link-stamp";
import {
  createHeadlessRunner,
  HEADLESS_CLIENT_ID,
  type HeadlessRunner,
} from "../../src/headless/headless-runner";
import { customPropertiesPropertyId, customPropertiesWithLink } from "../../src/ports/mailbox-store";
import { startGraphSubsetServer, type GraphSubsetServer } from "../../src/sim/graph/graph-subset-server";
import { SimulatedMailbox } from "../../src/sim/mailbox/simulated-mailbox";
import { SIM_ADDIN_ID, userEmail } from "../../src/sim/scenario/scenario-world";
import { SharedServer, silent } from "../engine/support/reliability-harness";

describe("headless runner", function () {
  this.timeout(180_000);
  let shared: SharedServer;
  let users = 0;

  before(async function () {
    // Starting the server and its database is slow on a loaded machine.
    this.timeout(300_000);
    shared = await SharedServer.start();
  });
  after(() => shared.close());

  /** A fresh user with a mailbox on its own Graph twin, and a runner for it. */
  async function world(): Promise<{
    userId: string;
    mailbox: SimulatedMailbox;
    graph: GraphSubsetServer;
    runner: HeadlessRunner;
    dispose(): Promise<void>;
  }> {
    users += 1;
    const userId = `headless${users}`;
    const service = shared.server.service;
    await service.users.create({
      id: userId,
      privileges: ["SyncToOutlook", "GoOffline"],
      emails: [userEmail(userId)],
    });
    const token = await service.users.issueToken(userId, "headless");
    const mailbox = new SimulatedMailbox({
      clock: shared.clock,
      owner: { emailAddress: userEmail(userId), displayName: userId },
    });
    const graph = await startGraphSubsetServer({ mailbox, clock: shared.clock, token: "app-token" });
    let ids = 0;
    const runner = createHeadlessRunner({
      db: shared.db,
      graph: { baseUrl: graph.baseUrl, tokens: new StaticTokenProvider("app-token") },
      crmFor: () =>
        new HttpCrmClient({
          baseUrl: shared.baseUrl,
          getToken: () => Promise.resolve(token),
          clock: shared.clock,
        }),
      serverUrl: shared.baseUrl,
      addinId: SIM_ADDIN_ID,
      clock: shared.clock.scheduler,
      waitClock: shared.clock,
      logger: silent,
      newId: () => `${userId}-m${(ids += 1)}`,
      random: () => 0.5,
    });
    return { userId, mailbox, graph, runner, dispose: () => graph.close() };
  }

  it("makes an initial run's Outlook items in Graph batches and counts every one as a change", async () => {
    const w = await world();
    try {
      for (let n = 0; n < 30; n += 1) {
        await shared.server.service.records.create({
          by: w.userId,
          owner: w.userId,
          type: "contact",
          fields: { firstname: `First${n}`, lastname: `Last${n}` },
        });
      }
      const first = await w.runner.runMailbox(w.userId);
      assert.equal(first.outcome, "ok", first.errors.join("; "));
      const contacts = w.mailbox.allItems().filter((item) => item.type === "contact" && !item.deleted);
      assert.equal(contacts.length, 30);
      assert.ok(first.changes >= 30, `changes ${first.changes}`);
      assert.ok(first.graphRequests < 30, `${first.graphRequests} Graph requests for 30 creates`);
    } finally {
      await w.dispose();
    }
  });

  it("syncs a CRM contact into the mailbox, then finds nothing to do", async () => {
    const w = await world();
    try {
      const { record } = await shared.server.service.records.create({
        by: w.userId,
        owner: w.userId,
        type: "contact",
        fields: { firstname: "Ada", lastname: "Lovelace" },
      });
      const first = await w.runner.runMailbox(w.userId);
      assert.equal(first.outcome, "ok", first.errors.join("; "));
      assert.deepEqual(first.errors, []);
      assert.equal(first.userId, w.userId);
      assert.ok(first.changes >= 1, `changes ${first.changes}`);
      assert.ok(first.graphRequests > 0);
      const contacts = w.mailbox.allItems().filter((item) => item.type === "contact" && !item.deleted);
      assert.deepEqual(
        contacts.map((item) => item.fields["lastName"]),
        ["Lovelace"],
      );
      const second = await w.runner.runMailbox(w.userId);
      assert.equal(second.outcome, "ok");
      assert.equal(second.changes, 0);
      // The second run still reads back the contact the first one wrote (its delta shows it); the third is idle,
      // and the folder ids the first run read serve it: one $batch of the contacts, calendar and To Do delta
      // queries, and the Sent Items delta query.
      const third = await w.runner.runMailbox(w.userId);
      assert.equal(third.changes, 0);
      assert.equal(third.graphRequests, 2, `an idle run sent ${third.graphRequests} Graph requests`);
      const clients = await shared.server.service.clients.list(w.userId);
      assert.deepEqual(
        clients.map((client) => [client.clientId, client.role]),
        [[HEADLESS_CLIENT_ID, "primary"]],
      );
      assert.ok(record.id);
    } finally {
      await w.dispose();
    }
  });

  it("does a tracking request stamped on an item at its next run", async () => {
    const w = await world();
    try {
      await w.runner.runMailbox(w.userId);
      w.mailbox.createItem(
        {
          type: "contact",
          fields: { firstName: "Bo", lastName: "Chen" },
          categories: [TRACKED_CATEGORY],
          extendedProperties: {
            [customPropertiesPropertyId(SIM_ADDIN_ID)]: JSON.stringify(
              customPropertiesWithLink({}, { crmId: null, state: "trackRequested" }),
            ),
          },
        },
        { notify: false, by: "world" },
      );
      const report = await w.runner.runMailbox(w.userId);
      assert.equal(report.outcome, "ok", report.errors.join("; "));
      const records = (await shared.server.service.records.listAll()).filter(
        (record) => record.owner === w.userId && record.type === "contact",
      );
      assert.deepEqual(
        records.map((record) => record.fields["lastname"]),
        ["Chen"],
      );
    } finally {
      await w.dispose();
    }
  });

  it("reports a throttled mailbox with when to retry, and a user without a mailbox as failed", async () => {
    const w = await world();
    try {
      w.mailbox.faults.throttle(100, 30);
      const throttled = await w.runner.runMailbox(w.userId);
      assert.equal(throttled.outcome, "throttled", throttled.errors.join("; "));
      assert.ok(throttled.graphThrottled > 0);
      assert.ok(
        throttled.retryAt !== undefined && Date.parse(throttled.retryAt) > Date.parse(throttled.startedAt),
      );
      const unknown = await w.runner.runMailbox("nobody");
      assert.equal(unknown.outcome, "failed");
      assert.match(unknown.errors.join(" "), /nobody/);
    } finally {
      await w.dispose();
    }
  });

  it("stops at the next Graph request once its signal is aborted", async () => {
    const w = await world();
    try {
      const controller = new AbortController();
      controller.abort();
      const report = await w.runner.runMailbox(w.userId, { signal: controller.signal });
      assert.equal(report.outcome, "failed");
      assert.equal(report.graphRequests, 0);
    } finally {
      await w.dispose();
    }
  });
});
