import assert from "node:assert/strict";
import { GraphMailboxStore } from "../../src/adapters/graph/graph-mailbox-store";
import { StaticTokenProvider } from "../../src/adapters/graph/token-provider";
import { SyncError } from "../../src/core/errors";
import type { EntityType } from "../../src/core/types";
import type { FolderCheckpoint } from "../../src/ports/mailbox-store";
import { SimulatedMailbox } from "../../src/sim/mailbox/simulated-mailbox";
import { startGraphSubsetServer, type GraphSubsetServer } from "../../src/sim/graph/graph-subset-server";
import { ManualClock } from "../support/manual-clock";
import { runItemIdTranslatorContract } from "./item-id-translator-contract";
import { immutableRef, runMailboxStoreContract, SAMPLE_FIELDS } from "./mailbox-store-contract";

const addinId = "5f1e2d3c-0000-4000-8000-00000000a11d";

/** What the store sent: method, path and JSON body of every request. */
interface Sent {
  readonly method: string;
  readonly path: string;
  readonly body: Record<string, unknown> | null;
}

async function harness(
  options: {
    pageSize?: number;
    listPageSize?: number;
    clock?: ManualClock;
    calendarWindow?: { pastDays: number; futureDays: number };
    mailboxAddress?: string;
  } = {},
) {
  const sent: Sent[] = [];
  const recording: typeof fetch = (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const text = typeof init?.body === "string" ? init.body : null;
    sent.push({
      method: init?.method ?? "GET",
      path: decodeURIComponent(url.pathname.replace(/^\/v1\.0/, "")),
      body: text === null ? null : (JSON.parse(text) as Record<string, unknown>),
    });
    return globalThis.fetch(input, init);
  };
  const clock = options.clock ?? new ManualClock(Date.parse("2026-03-02T09:00:00Z"), true);
  const mailbox = new SimulatedMailbox({
    clock,
    owner: { emailAddress: "alice@contoso.com", displayName: "Alice" },
  });
  const server: GraphSubsetServer = await startGraphSubsetServer({ mailbox, clock, token: "sim-token" });
  const store = new GraphMailboxStore({
    fetch: recording,
    baseUrl: server.baseUrl,
    tokens: new StaticTokenProvider("sim-token"),
    clock,
    addinId,
    random: () => 0.5,
    changeFeed: mailbox,
    ...(options.pageSize !== undefined && { pageSize: options.pageSize }),
    ...(options.listPageSize !== undefined && { listPageSize: options.listPageSize }),
    ...(options.mailboxAddress !== undefined && { mailboxAddress: options.mailboxAddress }),
    ...(options.calendarWindow !== undefined && {
      calendarWindow: options.calendarWindow,
      calendarRollDays: 2,
    }),
  });
  return { store, mailbox, clock, addinId, http: true, server, sent, dispose: () => server.close() };
}

runMailboxStoreContract("GraphMailboxStore over the Graph subset server", () => harness());
runMailboxStoreContract("GraphMailboxStore over the Graph subset server, addressed as /users/{address}", () =>
  harness({ mailboxAddress: "Alice@contoso.com" }),
);
runItemIdTranslatorContract("GraphMailboxStore over the Graph subset server", async () => {
  const h = await harness();
  return { ...h, requests: () => h.server.stats().requests };
});

describe("GraphMailboxStore specifics", () => {
  it("reads the folders' next delta pages in one $batch; a round Graph ended (410) is read again alone", async () => {
    const { store, mailbox, server, dispose } = await harness();
    try {
      const folders = await store.listFolders(["contact", "appointment", "task"]);
      const asked = (scans: readonly { checkpoint: FolderCheckpoint }[] | null) =>
        folders.map(({ folderId }, index) => ({ folderId, checkpoint: scans?.[index]?.checkpoint ?? null }));
      const first = await store.scanFolders(asked(null));
      const before = server.stats().requests;
      const idle = await store.scanFolders(asked(first));
      assert.equal(server.stats().requests - before, 1, "three folders with nothing new: one $batch");
      mailbox.expireDeltaTokens(folders[0]?.folderId);
      const created = mailbox.createItem(
        { type: "contact", fields: { lastName: "Ng" } },
        { notify: false, by: "world" },
      );
      const afterExpiry = server.stats().requests;
      const rescanned = await store.scanFolders(asked(idle));
      assert.equal(rescanned[0]?.fullRescan, true);
      assert.ok(rescanned[0]?.changed.some((item) => item.itemId === created.immutableId));
      assert.equal(
        server.stats().requests - afterExpiry,
        4,
        "the $batch, the expired link alone (410), the new round, and the read of the new contact",
      );
    } finally {
      await dispose();
    }
  });

  it("addresses every request to /users/{address} when given the mailbox's address (application token)", async () => {
    const { store, mailbox, sent, dispose } = await harness({ mailboxAddress: "alice@contoso.com" });
    try {
      mailbox.createItem({ type: "contact", fields: { lastName: "Ng" } }, { notify: false, by: "world" });
      const folders = await store.listFolders(["contact", "appointment", "task", "email"]);
      for (const folder of folders) await store.scanFolder(folder.folderId, null);
      assert.ok(sent.length > 0);
      assert.deepEqual(
        sent.filter(
          (request) => !request.path.startsWith("/users/alice@contoso.com/") && request.path !== "/$batch",
        ),
        [],
      );
    } finally {
      await dispose();
    }
  });

  it("fails on a mailbox the Graph twin does not hold, naming the user", async () => {
    const { store, dispose } = await harness({ mailboxAddress: "bob@contoso.com" });
    try {
      await assert.rejects(store.listFolders(["contact"]), (error: unknown) => {
        assert.ok(error instanceof SyncError, String(error));
        assert.match(error.message, /bob@contoso\.com/);
        return true;
      });
    } finally {
      await dispose();
    }
  });

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

  it("lists a series' exceptions through every page of List instances", async () => {
    const h = await harness({ listPageSize: 2 });
    try {
      const master = h.mailbox.createItem(
        {
          type: "appointment",
          fields: {
            subject: "Daily",
            start: "2026-03-09T08:00:00Z",
            end: "2026-03-09T08:15:00Z",
            recurrence: "pattern=daily;interval=1;range=numbered;startDate=2026-03-09;numberOfOccurrences=7",
          },
        },
        { notify: false, by: "world" },
      );
      const exceptions = ["2026-03-10T08:00:00Z", "2026-03-13T08:00:00Z", "2026-03-15T08:00:00Z"].map(
        (start) =>
          h.mailbox.updateOccurrence(
            master.immutableId,
            start,
            { fields: { location: start } },
            { notify: false, by: "world" },
          ).immutableId,
      );
      const listed = await h.store.listExceptions(master.immutableId);
      assert.deepEqual(listed.map((item) => item.itemId).sort(), [...exceptions].sort());
      assert.equal(
        h.sent.filter((request) => request.path.endsWith("/instances")).length,
        4,
        "7 instances, 2 a page",
      );
    } finally {
      await h.dispose();
    }
  });

  it("addresses one collection for a get, an update and a delete of one item: the type the caller passes", async () => {
    const h = await harness();
    const collections: Readonly<Record<EntityType, RegExp>> = {
      contact: /^\/me\/contacts\//,
      appointment: /^\/me\/events\//,
      task: /^\/me\/todo\/lists\/[^/]+\/tasks\//,
      email: /^\/me\/messages\//,
    };
    /** Every URL the store asked for since `from`, a $batch's sub-requests each counted. */
    const addressed = (from: number): string[] =>
      h.sent
        .slice(from)
        .flatMap((request) =>
          request.path === "/$batch"
            ? ((request.body?.requests ?? []) as { url: string }[]).map((sub) => decodeURIComponent(sub.url))
            : [request.path],
        );
    try {
      await h.store.listFolders(["contact"]);
      for (const type of ["contact", "appointment", "task", "email"] as const) {
        const world = h.mailbox.createItem(
          { type, fields: SAMPLE_FIELDS[type], ...(type === "email" && { folder: "sentitems" }) },
          { notify: false, by: "world" },
        );
        const ref = immutableRef(world);
        let from = h.sent.length;
        assert.ok((await h.store.getItems([ref])).get(ref.itemId), `${type}: read`);
        const reads = addressed(from);
        assert.equal(reads.length, 1, `${type}: one request for a read, not a probe (${reads.join(", ")})`);
        assert.match(reads[0] ?? "", collections[type]);
        from = h.sent.length;
        await h.store.updateItem(ref, { categories: ["Blue"] });
        const writes = addressed(from);
        assert.deepEqual(
          writes.filter((url) => !collections[type].test(url)),
          [],
          `${type}: an update addresses only its collection`,
        );
        from = h.sent.length;
        await h.store.deleteItem(ref);
        assert.deepEqual(addressed(from).length, 1, `${type}: one request for a delete`);
        assert.match(addressed(from)[0] ?? "", collections[type]);
        assert.equal(h.mailbox.get(ref.itemId), undefined, `${type}: deleted`);
      }
    } finally {
      await h.dispose();
    }
  });

  it("reads a batch of items in $batch requests of at most 4 (the mailbox budget)", async () => {
    const h = await harness();
    try {
      const refs = Array.from({ length: 30 }, (_, i) =>
        immutableRef(
          h.mailbox.createItem(
            { type: "task", fields: { subject: `t${i}` } },
            { notify: false, by: "world" },
          ),
        ),
      );
      const before = h.server.stats().requests;
      const items = await h.store.getItems(refs);
      assert.equal([...items.values()].filter((item) => item !== null).length, 30);
      assert.equal(h.server.stats().requests - before, 8 + 5, "5 folder look-ups + eight batches");
    } finally {
      await h.dispose();
    }
  });

  it("stamps received and sent mail with extended properties and categories only, never its subject or body", async () => {
    const h = await harness();
    try {
      const received = h.mailbox.createItem(
        {
          type: "email",
          fields: {
            subject: "Order",
            body: "Hi",
            from: "bob@contoso.com",
            receivedAt: "2026-03-01T10:00:00Z",
          },
        },
        { notify: false, by: "world" },
      );
      h.sent.length = 0;
      const stamped = await h.store.updateItem(immutableRef(received), {
        link: { crmId: "crm-1", state: "tracked" },
        categories: ["Tracked to CRM"],
      });
      assert.deepEqual(stamped.link, { crmId: "crm-1", state: "tracked" });
      const patches = h.sent.filter((request) => request.method === "PATCH");
      assert.equal(patches.length, 1);
      assert.deepEqual(Object.keys(patches[0]?.body ?? {}).sort(), [
        "categories",
        "singleValueExtendedProperties",
      ]);
      assert.equal(h.mailbox.get(received.itemId)?.fields.subject, "Order");
      await assert.rejects(
        h.store.updateItem(immutableRef(received), { fields: { subject: "Changed" } }),
        (error: unknown) => error instanceof Error && /subject/.test(error.message),
      );
      assert.equal(h.mailbox.get(received.itemId)?.fields.subject, "Order");
    } finally {
      await h.dispose();
    }
  });

  it("patches only the properties that change", async () => {
    const h = await harness();
    try {
      const created = await h.store.createItem({
        type: "appointment",
        fields: {
          subject: "Review",
          body: "Agenda",
          start: "2026-03-10T14:00:00Z",
          end: "2026-03-10T15:00:00Z",
        },
        idempotencyKey: "p1",
      });
      h.sent.length = 0;
      await h.store.updateItem(created, { fields: { subject: "Review 2", body: "Agenda" } });
      const patch = h.sent.find((request) => request.method === "PATCH");
      assert.deepEqual(patch?.body, { subject: "Review 2" });
      h.sent.length = 0;
      await h.store.updateItem(created, { link: { crmId: "crm-2", state: "tracked" } });
      assert.deepEqual(Object.keys(h.sent.find((request) => request.method === "PATCH")?.body ?? {}), [
        "singleValueExtendedProperties",
      ]);
    } finally {
      await h.dispose();
    }
  });

  it("sends a first attempt's create without looking its key up, and still finds one whose answer was lost", async () => {
    const h = await harness();
    try {
      await h.store.listFolders(["contact", "task"]);
      for (const type of ["contact", "task"] as const) {
        const fields = type === "contact" ? { firstName: "Ann" } : { subject: "Call" };
        h.sent.length = 0;
        await h.store.createItem({ type, fields, idempotencyKey: `first-${type}`, firstAttempt: true });
        assert.deepEqual(
          h.sent.map((request) => request.method),
          ["POST"],
        );
        h.mailbox.faults.loseResponse(1, { method: "POST" });
        h.sent.length = 0;
        const created = await h.store.createItem({
          type,
          fields,
          idempotencyKey: `lost-${type}`,
          firstAttempt: true,
        });
        assert.equal(created.idempotencyKey, `lost-${type}`);
        assert.deepEqual(
          h.sent.map((request) => request.method),
          ["POST", "GET"],
        );
        assert.equal(
          h.mailbox.allItems().filter((item) => item.type === type && item.folderId === created.folderId)
            .length,
          2,
        );
      }
    } finally {
      await h.dispose();
    }
  });

  it("creates in sequential $batch requests of 20 within the budget; a lost batch or a throttled create is made once", async () => {
    const h = await harness();
    try {
      await h.store.listFolders(["contact", "appointment", "task"]);
      const types = ["contact", "appointment", "task"] as const;
      const input = (i: number, key = `b-${i}`) => ({
        type: types[i % 3] ?? "contact",
        fields: SAMPLE_FIELDS[types[i % 3] ?? "contact"],
        idempotencyKey: key,
        firstAttempt: true,
      });
      h.sent.length = 0;
      const outcomes = await h.store.createItems?.(Array.from({ length: 100 }, (_, i) => input(i)));
      assert.equal(outcomes?.filter((outcome) => "item" in outcome).length, 100);
      assert.deepEqual(
        h.sent.map((request) => [request.method, request.path, (request.body?.requests as unknown[]).length]),
        Array.from({ length: 5 }, () => ["POST", "/$batch", 20]),
      );
      const chained = (h.sent[0]?.body?.requests ?? []) as { id: string; dependsOn?: string[] }[];
      assert.deepEqual(
        chained.map((request) => request.dependsOn?.[0] ?? null),
        [null, ...chained.slice(0, -1).map((request) => request.id)],
      );
      assert.equal(h.server.stats().overConcurrency, 0);
      assert.equal(h.mailbox.allItems().length, 100);

      h.mailbox.faults.loseResponse(1, { method: "POST", pathIncludes: "$batch" });
      const lost = await h.store.createItems?.(Array.from({ length: 6 }, (_, i) => input(i, `lost-${i}`)));
      assert.equal(lost?.filter((outcome) => "item" in outcome).length, 6);
      assert.equal(h.mailbox.allItems().length, 106, "the lost batch's creates are found, not repeated");

      h.mailbox.faults.throttle(1, 1, { method: "POST", pathIncludes: "/contacts" });
      const throttled = await h.store.createItems?.(
        Array.from({ length: 6 }, (_, i) => input(i, `throttled-${i}`)),
      );
      assert.deepEqual(
        throttled?.map((outcome) => ("item" in outcome ? outcome.item.idempotencyKey : null)),
        Array.from({ length: 6 }, (_, i) => `throttled-${i}`),
      );
      assert.equal(h.mailbox.allItems().length, 112);
    } finally {
      await h.dispose();
    }
  });

  it("reads and writes bodies as text, so a round trip never turns text into HTML", async () => {
    const h = await harness();
    try {
      const body = "Line <1>\nLine & 2";
      const created = await h.store.createItem({
        type: "appointment",
        fields: { subject: "s", body, start: "2026-03-10T14:00:00Z", end: "2026-03-10T15:00:00Z" },
        idempotencyKey: "b1",
      });
      assert.equal(created.fields.body, body);
      assert.equal((await h.store.getItems([created])).get(created.itemId)?.fields.body, body);
      assert.equal(h.mailbox.get(created.itemId)?.fields.body, body);
    } finally {
      await h.dispose();
    }
  });

  it("writes only extended property values that are present, and empties a cleared text one", async () => {
    const h = await harness();
    try {
      const created = await h.store.createItem({
        type: "contact",
        fields: { firstName: "Ann", pagerNumber: "1" },
        idempotencyKey: "x1",
      });
      const post = h.sent.find((request) => request.method === "POST" && request.path.endsWith("/contacts"));
      const values = (post?.body?.singleValueExtendedProperties ?? []) as { id: string; value: string }[];
      assert.ok(
        values.every((entry) => entry.value !== ""),
        JSON.stringify(values),
      );
      assert.ok(!values.some((entry) => entry.id.startsWith("SystemTime")));
      const cleared = await h.store.updateItem(created, { fields: { pagerNumber: null } });
      assert.equal(cleared.fields.pagerNumber, undefined);
    } finally {
      await h.dispose();
    }
  });

  it("keeps within the mailbox's 4 concurrent requests, batch sub-requests included, across concurrent calls", async () => {
    const clock = new ManualClock(Date.parse("2026-03-02T09:00:00Z"));
    const h = await harness({ clock });
    try {
      const refs = Array.from({ length: 13 }, (_, i) =>
        immutableRef(
          h.mailbox.createItem(
            { type: "task", fields: { subject: `t${i}` } },
            { notify: false, by: "world" },
          ),
        ),
      );
      const [first] = refs;
      assert.ok(first);
      h.mailbox.faults.slow(1000, 50);
      let settled = false;
      const work = Promise.all([
        h.store.getItems(refs),
        h.store.getItems(refs.slice(0, 6)),
        h.store.updateItem(first, { fields: { subject: "changed" } }),
        h.store.listFolders(["contact"]),
      ]).finally(() => (settled = true));
      while (!settled) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        clock.advance(50);
      }
      const [all, probed] = await work;
      assert.equal([...all.values()].filter((item) => item !== null).length, 13);
      assert.equal([...probed.values()].filter((item) => item !== null).length, 6);
      assert.equal(h.server.stats().overConcurrency, 0, "no request went over the limit");
    } finally {
      await h.dispose();
    }
  });

  it("bounds the first Sent Items scan by date, and later rounds keep the bound", async () => {
    const h = await harness();
    try {
      const old = h.mailbox.createItem(
        { type: "email", fields: { subject: "old", sentAt: "2025-09-01T10:00:00Z" }, folder: "sentitems" },
        { notify: false, by: "world" },
      );
      const recent = h.mailbox.createItem(
        { type: "email", fields: { subject: "recent", sentAt: "2026-03-01T10:00:00Z" }, folder: "sentitems" },
        { notify: false, by: "world" },
      );
      const [folder] = await h.store.listFolders(["email"]);
      const first = await h.store.scanFolder(folder?.folderId ?? "", null);
      assert.deepEqual(
        first.changed.map((item) => item.itemId),
        [recent.immutableId],
      );
      assert.ok(h.sent.some((request) => request.path.endsWith("/messages/delta")));
      h.mailbox.updateItem(old.itemId, { categories: ["x"] }, { notify: false });
      const second = await h.store.scanFolder(folder?.folderId ?? "", first.checkpoint);
      assert.deepEqual(second.changed, []);
    } finally {
      await h.dispose();
    }
  });

  it("rolls the calendar window forward without losing or repeating an event", async () => {
    const h = await harness({ calendarWindow: { pastDays: 1, futureDays: 10 } });
    try {
      const day = 86_400_000;
      const at = (days: number) => new Date(h.clock.now() + days * day).toISOString().replace(".000Z", "Z");
      const event = (subject: string, days: number) =>
        h.mailbox.createItem(
          { type: "appointment", fields: { subject, start: at(days), end: at(days + 0.05) } },
          { notify: false, by: "world" },
        );
      const inside = event("inside", 5);
      const doomed = event("doomed", 6);
      const later = event("later", 12);
      const [folder] = await h.store.listFolders(["appointment"]);
      const folderId = folder?.folderId ?? "";
      const first = await h.store.scanFolder(folderId, null);
      assert.deepEqual(first.changed.map((item) => item.fields.subject).sort(), ["doomed", "inside"]);
      h.clock.advance(3 * day);
      h.mailbox.deleteItem(doomed.itemId, { notify: false });
      const rolled = await h.store.scanFolder(folderId, first.checkpoint);
      assert.deepEqual(
        rolled.changed.map((item) => item.itemId),
        [later.immutableId],
        "only the event the new window adds",
      );
      assert.deepEqual(rolled.removed, [doomed.immutableId], "the old round's removal is not lost");
      assert.equal(rolled.fullRescan, false);
      h.mailbox.updateItem(inside.itemId, { fields: { subject: "inside 2" } }, { notify: false });
      const next = await h.store.scanFolder(folderId, rolled.checkpoint);
      assert.deepEqual(
        next.changed.map((item) => item.fields.subject),
        ["inside 2"],
      );
    } finally {
      await h.dispose();
    }
  });

  it("names the mailbox, not the CRM, when Graph cannot be reached or fails", async () => {
    const clock = new ManualClock(Date.parse("2026-03-02T09:00:00Z"), true);
    const storeOver = (fetch: typeof globalThis.fetch) =>
      new GraphMailboxStore({
        fetch,
        baseUrl: "https://graph.invalid/v1.0",
        tokens: new StaticTokenProvider("sim-token"),
        clock,
        addinId,
        random: () => 0.5,
      });
    const failsWith = (code: string) => (error: unknown) =>
      error instanceof SyncError &&
      error.code === code &&
      /mailbox/.test(error.message) &&
      !/CRM/.test(error.message);
    await assert.rejects(
      storeOver(() => Promise.reject(new TypeError("fetch failed"))).listFolders(["contact"]),
      failsWith("mailboxUnreachable"),
    );
    const failing = () =>
      Promise.resolve(
        new Response(JSON.stringify({ error: { code: "generalException", message: "boom" } }), {
          status: 500,
          headers: { "content-type": "application/json" },
        }),
      );
    await assert.rejects(storeOver(failing).listFolders(["contact"]), failsWith("mailboxServerError"));
  });

  it("hands a Retry-After of 60 s back as a rateLimited error with its retryAt, without waiting", async () => {
    const h = await harness();
    try {
      const start = h.clock.now();
      h.mailbox.faults.throttle(1, 60);
      await assert.rejects(
        h.store.listFolders(["contact"]),
        (error: unknown) =>
          error instanceof SyncError && error.code === "rateLimited" && error.retryAt === start + 60_000,
      );
      assert.equal(h.clock.now(), start);
    } finally {
      await h.dispose();
    }
  });

  it("waits out a Retry-After of 2 s and retries in place", async () => {
    const h = await harness();
    try {
      const start = h.clock.now();
      h.mailbox.faults.throttle(1, 2);
      await h.store.listFolders(["contact"]);
      assert.ok(h.clock.now() >= start + 2_000);
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
