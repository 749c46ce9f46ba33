/**
 * Rate limits: per user with a valid token, per client address without one (a new garbage token buys no new
 * allowance), `/health` on its own budget, and one count across instances that share a Redis store.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createCrmServer, type CrmServer } from "../../src/server";
import { ManualClock } from "../support/manual-clock";
import { skipSuiteBecause } from "../support/skip";
import { openTestDatabase, silentLogger } from "./support/test-database";
import { startTestServer, type TestServer } from "./support/test-server";

const redisUrl = process.env["REDIS_URL"];

const statusOf = async (url: string, token?: string): Promise<number> => {
  const response = await fetch(
    url,
    token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } },
  );
  await response.arrayBuffer();
  return response.status;
};

describe("CRM server rate limits by caller", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ rateLimit: { max: 3, windowMs: 60_000 } });
  });
  after(() => t.dispose());

  it("counts requests without a valid token per address, whatever token they carry", async () => {
    const statuses = [];
    for (const token of [undefined, "ocs_garbage-1", "ocs_garbage-2", "ocs_garbage-3", "eyJ.eyJ.sig"]) {
      statuses.push(await statusOf(`${t.url}/v1/whoami`, token));
    }
    assert.deepEqual(statuses, [401, 401, 401, 429, 429]);
    const token = await t.user("alice");
    assert.equal(await statusOf(`${t.url}/v1/whoami`, token), 200, "a valid token counts for its user");
  });

  it("counts a user's requests together, across their tokens", async () => {
    const first = await t.user("bob");
    const second = await t.server.service.users.issueToken("bob", "second");
    const statuses = [];
    for (const token of [first, second, first, second])
      statuses.push(await statusOf(`${t.url}/v1/whoami`, token));
    assert.deepEqual(statuses, [200, 200, 200, 429]);
  });

  it("limits /health on a budget of its own", async () => {
    const statuses = [];
    for (let i = 0; i < 4; i += 1) statuses.push(await statusOf(`${t.url}/health`));
    assert.deepEqual(statuses, [200, 200, 200, 429]);
  });
});

describe("CRM server rate limits behind a trusted reverse proxy", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ rateLimit: { max: 1, windowMs: 60_000 }, trustProxy: "127.0.0.1" });
  });
  after(() => t.dispose());

  it("counts per client address that the proxy forwards", async () => {
    const from = async (address: string): Promise<number> => {
      const response = await fetch(`${t.url}/v1/whoami`, { headers: { "x-forwarded-for": address } });
      await response.arrayBuffer();
      return response.status;
    };
    assert.deepEqual(
      [await from("203.0.113.1"), await from("203.0.113.1"), await from("203.0.113.2")],
      [401, 429, 401],
    );
  });
});

describe("CRM server rate limits across instances (Redis)", function () {
  this.timeout(30_000);
  let servers: CrmServer[] = [];
  let urls: string[] = [];
  let dispose: () => Promise<void>;

  before(async function () {
    if (!redisUrl) skipSuiteBecause(this, "the shared rate-limit store needs Redis (REDIS_URL unset)");
    const database = await openTestDatabase();
    dispose = () => database.dispose();
    const redisPrefix = `crm-rate-limit-test-${randomBytes(6).toString("hex")}:`;
    servers = await Promise.all(
      [0, 1].map(() =>
        createCrmServer({
          db: database.db,
          clock: new ManualClock(),
          logger: silentLogger,
          collectEveryMs: 0,
          rateLimit: { max: 4, windowMs: 60_000, redisUrl: redisUrl ?? "", redisPrefix },
        }),
      ),
    );
    urls = await Promise.all(servers.map((server) => server.listen({ port: 0 })));
  });
  after(async () => {
    for (const server of servers) await server.close();
    await dispose?.();
  });

  it("holds one limit for a user across two instances sharing the store", async () => {
    const [one, two] = servers;
    assert.ok(one && two);
    await one.service.users.create({ id: "carol", privileges: ["SyncToOutlook"] });
    const token = await one.service.users.issueToken("carol", "test");
    const statuses = [];
    for (let i = 0; i < 6; i += 1) statuses.push(await statusOf(`${urls[i % 2]}/v1/whoami`, token));
    assert.deepEqual(statuses, [200, 200, 200, 200, 429, 429]);
  });
});
