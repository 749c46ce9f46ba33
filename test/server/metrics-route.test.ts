/** `GET /metrics`: answered on loopback or to an administrator's token, in the Prometheus text format. */
import assert from "node:assert/strict";
import { createCrmServer, MailboxRegistry, type CrmServer, type Database } from "../../src/server";
import { ManualClock } from "../support/manual-clock";
import { openTestDatabase, silentLogger } from "./support/test-database";

describe("GET /metrics", function () {
  this.timeout(60_000);
  let db: Database;
  let dispose: () => Promise<void>;
  let server: CrmServer;

  before(async () => {
    const database = await openTestDatabase();
    db = database.db;
    dispose = () => database.dispose();
    const clock = new ManualClock();
    server = await createCrmServer({ db, clock, logger: silentLogger, rateLimit: false });
    await server.service.users.create({ id: "ada", privileges: ["SyncToOutlook"], administrator: true });
    await server.service.users.create({ id: "bob", privileges: ["SyncToOutlook"] });
    const registry = new MailboxRegistry(db, clock);
    await registry.setEnabled("bob", true);
    await registry.recordRun(
      "bob",
      { startedAt: clock.now(), durationMs: 5, changes: 0, outcome: "failed", errors: ["no"] },
      clock.now(),
    );
  });
  after(async () => {
    await server?.close();
    await dispose?.();
  });

  it("answers loopback with the queue's jobs and the mailboxes by state", async () => {
    const reply = await server.app.inject({ method: "GET", url: "/metrics", remoteAddress: "127.0.0.1" });
    assert.equal(reply.statusCode, 200);
    assert.match(String(reply.headers["content-type"]), /^text\/plain; version=0\.0\.4/);
    assert.match(reply.body, /^# TYPE outlook_crm_jobs gauge$/m);
    assert.match(reply.body, /^outlook_crm_jobs\{state="queued"\} 0$/m);
    assert.match(reply.body, /^outlook_crm_mailboxes\{state="enabled"\} 1$/m);
    assert.match(reply.body, /^outlook_crm_mailboxes\{state="failing"\} 1$/m);
  });

  it("refuses another address unless it carries an administrator's token", async () => {
    const remote = { method: "GET" as const, url: "/metrics", remoteAddress: "203.0.113.9" };
    const anonymous = await server.app.inject(remote);
    assert.equal(anonymous.statusCode, 403);
    assert.match(anonymous.body, /only on this machine or to a CRM administrator's token/);
    const bob = await server.service.users.issueToken("bob");
    const user = await server.app.inject({ ...remote, headers: { authorization: `Bearer ${bob}` } });
    assert.equal(user.statusCode, 403);
    const ada = await server.service.users.issueToken("ada");
    const admin = await server.app.inject({ ...remote, headers: { authorization: `Bearer ${ada}` } });
    assert.equal(admin.statusCode, 200);
    assert.match(admin.body, /^outlook_crm_jobs\{state="dead"\} 0$/m);
  });
});
