import assert from "node:assert/strict";
import { GraphMailboxStore } from "../../src/adapters/graph/graph-mailbox-store";
import { StaticTokenProvider } from "../../src/adapters/graph/token-provider";
import { SimulatedMailbox } from "../../src/sim/mailbox/simulated-mailbox";
import { startGraphSubsetServer, type GraphSubsetServer } from "../../src/sim/graph/graph-subset-server";
import { ManualClock } from "../support/manual-clock";
import { runItemIdTranslatorContract } from "./item-id-translator-contract";
import { runMailboxStoreContract } from "./mailbox-store-contract";

const addinId = "5f1e2d3c-0000-4000-8000-00000000a11d";

async function harness(options: { pageSize?: number } = {}) {
  const clock = new ManualClock(Date.parse("2026-03-02T09:00:00Z"), true);
  const mailbox = new SimulatedMailbox({
    clock,
    owner: { emailAddress: "alice@contoso.com", displayName: "Alice" },
  });
  const server: GraphSubsetServer = await startGraphSubsetServer({ mailbox, clock, token: "sim-token" });
  const store = new GraphMailboxStore({
    fetch: globalThis.fetch,
    baseUrl: server.baseUrl,
    tokens: new StaticTokenProvider("sim-token"),
    clock,
    addinId,
    random: () => 0.5,
    changeFeed: mailbox,
    ...(options.pageSize !== undefined && { pageSize: options.pageSize }),
  });
  return { store, mailbox, clock, addinId, http: true, server, dispose: () => server.close() };
}

runMailboxStoreContract("GraphMailboxStore over the Graph subset server", () => harness());
runItemIdTranslatorContract("GraphMailboxStore over the Graph subset server", async () => {
  const h = await harness();
  return { ...h, requests: () => h.server.stats().requests };
});

describe("GraphMailboxStore specifics", () => {
  it("pages a delta scan through nextLink and keeps the stamp readable", async () => {
    const h = await harness({ pageSize: 2 });
    try {
      for (let i = 0; i < 5; i += 1)
        h.mailbox.createItem(
          { type: "contact", fields: { firstName: `C${i}` } },
          { notify: false, by: "world" },
        );
      const [folder] = await h.store.listFolders(["contact"]);
      const scan = await h.store.scanFolder(folder?.folderId ?? "", null);
      assert.equal(scan.changed.length, 5);
      assert.match(scan.checkpoint.deltaLink ?? "", /\$deltatoken=/);
    } finally {
      await h.dispose();
    }
  });

  it("reads items of unknown type by probing, in $batch requests of at most 4 (the mailbox budget)", async () => {
    const h = await harness();
    try {
      const ids = Array.from(
        { length: 30 },
        (_, i) =>
          h.mailbox.createItem({ type: "task", fields: { subject: `t${i}` } }, { notify: false, by: "world" })
            .itemId,
      );
      const before = h.server.stats().requests;
      const items = await h.store.getItems(ids, new Map(ids.map((id) => [id, "task" as const])));
      assert.equal([...items.values()].filter((item) => item !== null).length, 30);
      assert.equal(h.server.stats().requests - before, 8 + 5, "5 folder look-ups + eight batches");
      const fresh = new GraphMailboxStore({
        fetch: globalThis.fetch,
        baseUrl: h.server.baseUrl,
        tokens: new StaticTokenProvider("sim-token"),
        clock: h.clock,
        addinId,
      });
      const probed = await fresh.getItems([ids[0] ?? ""]);
      assert.equal(probed.get(ids[0] ?? "")?.type, "task");
    } finally {
      await h.dispose();
    }
  });

  it("reports a wrong token as unauthorized", async () => {
    const h = await harness();
    try {
      const store = new GraphMailboxStore({
        fetch: globalThis.fetch,
        baseUrl: h.server.baseUrl,
        tokens: new StaticTokenProvider("wrong"),
        clock: h.clock,
        addinId,
      });
      await assert.rejects(
        store.listFolders(["contact"]),
        (error: unknown) => error instanceof Error && "code" in error && error.code === "unauthorized",
      );
    } finally {
      await h.dispose();
    }
  });
});
