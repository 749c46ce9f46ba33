import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { baseUrlFrom, DEFAULT_GRAPH_URL, smokeGraph } from "../../../scripts/smoke-graph";
import { startGraphSubsetServer, type GraphSubsetServer } from "../../../src/sim/graph/graph-subset-server";
import { SimulatedMailbox } from "../../../src/sim/mailbox/simulated-mailbox";
import { ManualClock } from "../../support/manual-clock";

describe("npm run smoke:graph", () => {
  let server: GraphSubsetServer;
  let mailbox: SimulatedMailbox;
  beforeEach(async () => {
    const clock = new ManualClock(Date.parse("2026-03-02T09:00:00Z"), true);
    mailbox = new SimulatedMailbox({
      clock,
      owner: { emailAddress: "alice@contoso.com", displayName: "Alice" },
    });
    server = await startGraphSubsetServer({ mailbox, clock, token: "smoke-token" });
  });
  afterEach(() => server.close());

  it("runs its round trip against the Graph twin and leaves nothing behind", async () => {
    const folders = mailbox.folders().length;
    const lines: string[] = [];
    await smokeGraph({ token: "smoke-token", baseUrl: server.baseUrl, log: (line) => lines.push(line) });
    assert.ok(lines.includes("all steps passed"), lines.join("\n"));
    assert.ok(lines.some((line) => /POST \/me\/todo\/lists → 201/.test(line)));
    assert.equal(mailbox.allItems().length, 3, "a contact, an event and a task were made");
    assert.ok(
      mailbox.allItems().every((item) => item.deleted),
      "and all deleted",
    );
    assert.equal(mailbox.folders().length, folders, "its folder and list are gone");
  });

  it("fails naming the step, and still cleans up, when Graph refuses a request", async () => {
    const lines: string[] = [];
    await assert.rejects(
      smokeGraph({ token: "wrong", baseUrl: server.baseUrl, log: (line) => lines.push(line) }),
      /POST \/me\/contactFolders: 401/,
    );
    assert.equal(mailbox.allItems().length, 0);
  });

  it("takes the base URL from --base-url, then GRAPH_BASE_URL, then Graph's", () => {
    assert.equal(
      baseUrlFrom(["--base-url", "http://x/v1.0"], { GRAPH_BASE_URL: "http://y" }),
      "http://x/v1.0",
    );
    assert.equal(baseUrlFrom([], { GRAPH_BASE_URL: "http://y" }), "http://y");
    assert.equal(baseUrlFrom([], {}), DEFAULT_GRAPH_URL);
  });

  it("explains how to get a token and exits 2 without one", () => {
    const env = { ...process.env };
    delete env.GRAPH_TOKEN;
    const run = spawnSync(process.execPath, ["--import", "tsx", "scripts/smoke-graph.ts"], {
      env,
      encoding: "utf8",
    });
    assert.equal(run.status, 2);
    assert.match(run.stderr, /GRAPH_TOKEN is not set/);
    assert.match(run.stderr, /Graph Explorer/);
  });
});
