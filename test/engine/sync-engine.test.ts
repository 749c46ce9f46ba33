// SyncEngine through its public API, over the real adapters (HttpCrmClient to the real server, GraphMailboxStore
// to the Graph subset server, OfficeJsOutlookHost on the fake Office, IdbLocalCache on fake-indexeddb).
import assert from "node:assert/strict";
import type { EngineStatus } from "../../src/engine/sync-engine";
import { itemLink } from "../../src/sim/scenario/scenario-output";
import { SIM_ADDIN_ID } from "../../src/sim/scenario/scenario-world";
import { CRM_THROTTLE_SECONDS, HistoryWorld, SharedServer } from "./support/reliability-harness";
import { ENTRY_BATCH } from "../../src/engine/entry-processor";

let shared: SharedServer;
let users = 0;

async function world(options: Parameters<HistoryWorld["start"]>[0] = {}): Promise<HistoryWorld> {
  users += 1;
  const created = new HistoryWorld(shared, `eng${users}-${Date.now().toString(36)}`);
  await created.start(options);
  return created;
}

async function createContacts(w: HistoryWorld, count: number): Promise<void> {
  for (let n = 0; n < count; n += 1) {
    await w.shared.server.service.records.create({
      by: w.userId,
      type: "contact",
      fields: { firstname: `C${n}`, lastname: w.userId, emailaddress1: `c${n}@${w.userId}.example` },
    });
  }
}

function liveContacts(w: HistoryWorld) {
  return w.mailbox.allItems().filter((item) => item.type === "contact" && !item.deleted);
}

async function liveRecordCount(w: HistoryWorld): Promise<number> {
  return (await w.shared.server.service.records.listAll()).filter((r) => !r.deleted && r.owner === w.userId)
    .length;
}

describe("SyncEngine", function () {
  this.timeout(60_000);
  let open: HistoryWorld[] = [];
  before(async () => {
    shared = await SharedServer.start();
  });
  after(async () => {
    await shared.close();
  });
  afterEach(async () => {
    for (const w of open) await w.close();
    open = [];
  });
  const track = async (options: Parameters<HistoryWorld["start"]>[0] = {}): Promise<HistoryWorld> => {
    const w = await world(options);
    open.push(w);
    return w;
  };

  it("reports the initial sync as n of N, then marks it done and clears the progress", async () => {
    const w = await track();
    await createContacts(w, 120);
    const seen: EngineStatus[] = [];
    const subscription = w.engine.onStatus((status) => seen.push(status));
    await w.sync();
    subscription.dispose();
    const progress = seen.flatMap((s) => (s.progress ? [s.progress] : []));
    assert.ok(progress.length >= 2, "progress was reported during the initial sync");
    assert.ok(progress.every((p) => p.total === 120 && p.done <= p.total && p.phase === "initial"));
    assert.equal(progress.at(-1)?.done, 120);
    const final = w.engine.status();
    assert.equal(final.progress, null);
    assert.equal(final.initialSyncDone, true);
    assert.equal(final.running, false);
    assert.equal(liveContacts(w).length, 120);
  });

  it("does not show a stored n of N after a reload", async () => {
    const w = await track();
    await w.cache.putStatus({
      lastSyncAt: null,
      nextSyncAt: null,
      pending: 0,
      progress: { done: 4, total: 4, phase: "initial" },
      errors: [],
      conflicts: 0,
    });
    await w.reopen();
    assert.equal(w.engine.status().progress, null);
  });

  it("clears the n of N of a failed cycle, and the next cycle counts on from where it stopped", async () => {
    const w = await track();
    await createContacts(w, 3);
    w.mailbox.faults.throttle(1, 3_600, { method: "POST" });
    await w.sync();
    const failed = w.engine.status();
    assert.equal(failed.lastCycleError?.code, "rateLimited");
    assert.equal(failed.progress, null);
    const seen: string[] = [];
    const stop = w.engine.onStatus((status) => {
      if (status.progress !== null) seen.push(`${status.progress.done} of ${status.progress.total}`);
    });
    w.advance(3_600_000);
    await w.sync();
    stop.dispose();
    assert.equal(w.engine.status().lastCycleError, null);
    assert.equal(liveContacts(w).length, 3);
    const last = seen.at(-1);
    assert.ok(last !== undefined && /^(\d+) of \1$/.test(last), `progress seen: ${seen.join(", ")}`);
    assert.equal(w.engine.status().progress, null);
  });

  it("hands a long Graph throttle back: the pass stops, no attempt is counted, the next cycle waits for retryAt", async () => {
    const w = await track({ settings: { intervalMinutes: 15 } });
    await createContacts(w, 2);
    const before = w.clock.now();
    w.mailbox.faults.throttle(1, 3_600, { method: "POST" });
    await w.sync();
    const status = w.engine.status();
    assert.equal(status.lastCycleError?.code, "rateLimited");
    assert.equal(status.nextSyncAt, before + 3_600_000);
    assert.equal(status.lastSyncAt, null);
    assert.ok(status.pending > 0);
    assert.deepEqual(await w.cache.failedEntries(1), []);
  });

  it("starts while Graph throttles every call, with a selected item: the cycle then waits for Graph's retryAt", async () => {
    const w = await track({ settings: { intervalMinutes: 15 } });
    await createContacts(w, 1);
    await w.sync();
    const message = w.mailbox.createItem(
      { type: "email", fields: { subject: "Renewal" } },
      { notify: false, by: "world" },
    );
    w.mailbox.select(message.itemId);
    w.mailbox.faults.throttle("all", 3_600);
    await w.reopen();
    const before = w.clock.now();
    await w.sync();
    const status = w.engine.status();
    assert.equal(status.lastCycleError?.code, "rateLimited");
    assert.equal(status.nextSyncAt, before + 3_600_000);
    w.mailbox.faults.endThrottle();
  });

  it("hands a CRM 429 with a long Retry-After back the same way", async () => {
    const w = await track({ settings: { intervalMinutes: 15 } });
    await createContacts(w, 1);
    await w.sync();
    const lastSyncAt = w.engine.status().lastSyncAt;
    w.advance(60_000);
    const before = w.clock.now();
    w.armCrmFaults(["throttled"]);
    await w.sync();
    const status = w.engine.status();
    assert.equal(status.lastCycleError?.code, "rateLimited");
    assert.equal(status.nextSyncAt, before + CRM_THROTTLE_SECONDS * 1000);
    assert.equal(status.lastSyncAt, lastSyncAt);
    assert.deepEqual(await w.cache.failedEntries(1), []);
  });

  it("reads, records the creates of and commits the entries of a batch in one cache call each", async () => {
    const w = await track();
    await createContacts(w, ENTRY_BATCH + 20);
    const cache = w.cache;
    const applyBatch = cache.applyBatch.bind(cache);
    const getMappings = cache.getMappings.bind(cache);
    const putPendingCreates = cache.putPendingCreates.bind(cache);
    const handledPerCall: number[] = [];
    const readPerCall: number[] = [];
    const createsPerCall: number[] = [];
    cache.applyBatch = (batch) => {
      if (batch.handled.length > 0) handledPerCall.push(batch.handled.length);
      return applyBatch(batch);
    };
    cache.getMappings = (mapIds) => {
      readPerCall.push(mapIds.length);
      return getMappings(mapIds);
    };
    cache.putPendingCreates = (creates) => {
      createsPerCall.push(creates.length);
      return putPendingCreates(creates);
    };
    cache.getMapping = () => Promise.reject(new Error("a batch reads its mappings together"));
    cache.putPendingCreate = () => Promise.reject(new Error("a batch records its creates together"));
    await w.sync();
    assert.equal(liveContacts(w).length, ENTRY_BATCH + 20);
    assert.deepEqual(handledPerCall, [ENTRY_BATCH, 20], "one commit per batch of entries");
    assert.deepEqual(readPerCall, [ENTRY_BATCH, 20], "one mapping read per batch of entries");
    assert.deepEqual(createsPerCall, [ENTRY_BATCH, 20], "one pending-create write per batch of entries");
    assert.equal(await cache.countEntries(), 0);
  });

  it("resumes an initial sync stopped by a crash without duplicates", async () => {
    const w = await track();
    await createContacts(w, ENTRY_BATCH + 50);
    // whoAmI, the package check, GetSyncData, PostSync and the first batch's GetSpecificSyncData go through;
    // the crash hits the second batch (entries are processed ENTRY_BATCH at a time).
    w.armCrmFaults(["ok", "ok", "ok", "ok", "ok", "crash"]);
    await w.sync();
    assert.equal(liveContacts(w).length, ENTRY_BATCH, "the crash stopped the first run after one batch");
    assert.equal(w.engine.status().initialSyncDone, false);
    await w.sync();
    assert.equal(liveContacts(w).length, ENTRY_BATCH + 50);
    assert.equal(w.engine.status().initialSyncDone, true);
    assert.equal(await liveRecordCount(w), ENTRY_BATCH + 50);
  });

  it("lists each synced folder by id within a day, finds a silent delete, and rewrites no listed mapping", async () => {
    const w = await track();
    await createContacts(w, 3);
    await w.sync();
    const folderId = w.mailbox.folder("contacts")?.folderId ?? "";
    const listedAt = async () => (await w.cache.getCheckpoint(`listing:${folderId}`))?.watermark;
    const firstListing = await listedAt();
    assert.equal(typeof firstListing, "number", "the first cycle lists the folder");
    const mappingWrites: string[] = [];
    const markVerified = w.cache.markVerified.bind(w.cache);
    w.cache.markVerified = (mapIds, now) => {
      mappingWrites.push(...mapIds);
      return markVerified(mapIds, now);
    };
    const before = await w.cache.listMappings("contact");

    w.advance(15 * 60_000);
    await w.sync();
    assert.equal(await listedAt(), firstListing, "a folder listed less than a day ago is not listed again");

    const [gone, kept] = liveContacts(w);
    w.mailbox.deleteItem(gone?.itemId ?? "", { notify: false });
    w.advance(60_000);
    const asked = w.clock.now();
    await w.engine.reconcileNow();
    assert.equal(await listedAt(), asked, "Reconcile now lists every synced folder");
    const goneMapping = await w.cache.findByItemId(gone?.immutableId ?? "");
    assert.equal((await w.cache.getEntry(goneMapping?.mapId ?? ""))?.outlookChange, "delete");
    const keptMapping = await w.cache.findByItemId(kept?.immutableId ?? "");
    assert.deepEqual(
      keptMapping,
      before.find((m) => m.mapId === keptMapping?.mapId),
      "a listed item's mapping is not rewritten",
    );
    assert.deepEqual(mappingWrites, []);

    w.advance(23 * 3_600_000);
    await w.sync();
    assert.equal(await listedAt(), asked, "not yet due 23 h later");
    w.advance(31 * 60_000);
    await w.sync();
    assert.equal(await listedAt(), w.clock.now(), "listed again 23 h 31 min later (interval 15 min)");
  });

  it("rebuilds a lost cache from the stamps on the items without duplicates on either side", async () => {
    const w = await track();
    await createContacts(w, 5);
    const own = w.mailbox.createItem(
      { type: "contact", fields: { firstName: "Own", lastName: "Item" } },
      { notify: true, by: "world" },
    );
    await w.sync();
    await w.engine.track({ surface: "explorer", item: own });
    assert.equal(await liveRecordCount(w), 6);
    await w.reopen({ lostCache: true });
    assert.equal(w.engine.status().initialSyncDone, false);
    await w.sync();
    assert.equal(liveContacts(w).length, 6);
    assert.equal(await liveRecordCount(w), 6);
    const linked = liveContacts(w).filter((item) => itemLink(item, SIM_ADDIN_ID)?.state === "tracked");
    assert.equal(linked.length, 6);
  });

  it("does not bring a contact deleted in Outlook back on a client with a new cache; its record stays", async () => {
    const w = await track();
    await createContacts(w, 2);
    await w.sync();
    const [gone] = liveContacts(w);
    w.advance(60_000);
    w.mailbox.deleteItem(gone?.itemId ?? "", { notify: true, by: "world" });
    await w.settle();
    w.advance(60_000);
    await w.sync();
    assert.equal(liveContacts(w).length, 1);
    await w.reopen({ lostCache: true });
    await w.sync();
    const names = liveContacts(w).map((item) => item.fields["firstName"]);
    assert.equal(names.length, 1, "the deleted contact stays deleted");
    assert.notEqual(names[0], gone?.fields["firstName"]);
    assert.equal(await liveRecordCount(w), 2, "its CRM record is kept (SPEC §8)");
  });

  it("runs the initial sync again when the login options change, and links instead of duplicating", async () => {
    const w = await track();
    await createContacts(w, 3);
    await w.sync();
    assert.equal(w.engine.status().initialSyncDone, true);
    await w.reopen({ settings: { serverUrl: `${shared.baseUrl}/` } });
    assert.equal(w.engine.status().initialSyncDone, false);
    await w.sync();
    assert.equal(w.engine.status().initialSyncDone, true);
    assert.equal(liveContacts(w).length, 3);
  });

  it("links an existing Outlook contact by normalized e-mail during the initial sync", async () => {
    const w = await track();
    await createContacts(w, 1);
    w.mailbox.createItem(
      {
        type: "contact",
        fields: { firstName: "Mine", email1Address: ` C0@${w.userId.toUpperCase()}.EXAMPLE` },
      },
      { notify: false, by: "world" },
    );
    await w.sync();
    assert.equal(liveContacts(w).length, 1);
    assert.equal(itemLink(liveContacts(w)[0]!, SIM_ADDIN_ID)?.state, "tracked");
  });

  it("saves the status with last and next sync, arms the interval timer and stops it on dispose", async () => {
    const w = await track({ settings: { intervalMinutes: 15 } });
    const start = w.clock.now();
    await w.sync();
    const status = w.engine.status();
    assert.equal(status.lastSyncAt, start);
    assert.equal(status.nextSyncAt, start + 15 * 60_000);
    w.advance(15 * 60_000);
    assert.equal(w.clock.fireNext(w.clock.now()), true, "the interval timer fires");
    await w.settle();
    assert.equal(w.engine.status().lastSyncAt, start + 15 * 60_000);
    w.engine.dispose();
    w.advance(60 * 60_000);
    assert.equal(w.clock.fireNext(w.clock.now()), false, "no timer survives dispose");
  });

  it("says why contacts do not sync without SyncToOutlook, and that nothing is kept offline without GoOffline", async () => {
    const w = await track({ privileges: [] });
    await createContacts(w, 2);
    await w.sync();
    const codes = w.engine.status().notices.map((notice) => notice.code);
    assert.deepEqual(codes.sort(), ["noOfflinePrivilege", "noSyncPrivilege"]);
    assert.equal(liveContacts(w).length, 0);
  });

  it("stores the synchronizing client in roaming settings and reports a secondary client", async () => {
    const w = await track();
    await w.engine.saveSettings({ isSyncClient: false });
    assert.equal(w.engine.status().role, "secondary");
    const roaming = (): Record<string, unknown> =>
      w.mailbox.roamingSettings(SIM_ADDIN_ID)["crmSync"] as Record<string, unknown>;
    assert.equal(roaming()["syncClientId"], null);
    await w.sync();
    assert.ok(w.engine.status().notices.some((notice) => notice.code === "secondaryClient"));
    await w.engine.saveSettings({ isSyncClient: true });
    assert.equal(roaming()["syncClientId"], "desk");
    assert.equal(w.engine.status().role, "primary");
  });

  it("rejects a negative interval and keeps the settings it had", async () => {
    const w = await track();
    await assert.rejects(w.engine.saveSettings({ intervalMinutes: -1 }), /intervalMinutes/);
    assert.equal(w.engine.settings().intervalMinutes, 0);
  });

  it("keeps the values a merge overwrote in the conflict history", async () => {
    const w = await track();
    const { record } = await w.shared.server.service.records.create({
      by: w.userId,
      type: "contact",
      fields: { firstname: "A" },
    });
    await w.sync();
    const item = liveContacts(w)[0]!;
    w.advance(60_000);
    w.mailbox.updateItem(item.itemId, { fields: { firstName: "Outlook" } }, { notify: false, by: "world" });
    w.advance(60_000);
    await w.shared.server.service.records.update({
      by: w.userId,
      id: record.id,
      fields: { firstname: "Crm" },
    });
    w.advance(60_000);
    await w.sync();
    const [conflict, ...rest] = await w.engine.conflicts();
    assert.equal(rest.length, 0);
    assert.deepEqual(
      {
        field: conflict?.field,
        kept: conflict?.kept,
        overwritten: conflict?.overwritten,
        winner: conflict?.winner,
      },
      { field: "firstname", kept: "Crm", overwritten: "Outlook", winner: "crm" },
    );
    assert.equal(w.engine.status().conflicts, 1);
  });

  it("shows an entry that failed five times as an error with a category, and Retry clears both once fixed", async () => {
    const w = await track();
    const { record } = await w.shared.server.service.records.create({
      by: w.userId,
      type: "contact",
      fields: { firstname: "A" },
    });
    await w.sync();
    await w.shared.server.service.records.update({
      by: w.userId,
      id: record.id,
      fields: { birthdate: "bad" },
    });
    for (let attempt = 0; attempt < 5; attempt += 1) {
      w.advance(3_600_000);
      await w.sync();
    }
    const [error] = w.engine.status().errors;
    assert.equal(error?.code, "invalidInput");
    assert.ok(liveContacts(w)[0]!.categories.includes("CRM Sync Error"));
    await w.shared.server.service.records.update({
      by: w.userId,
      id: record.id,
      fields: { birthdate: "1990-04-01" },
    });
    await w.engine.retry(error.mapId);
    assert.deepEqual(w.engine.status().errors, []);
    assert.equal(w.engine.status().pending, 0);
    const item = liveContacts(w)[0]!;
    assert.deepEqual(item.categories, ["Tracked to CRM"]);
    assert.equal(item.fields["birthday"], "1990-04-01");
  });

  it("lists everything again after the server dropped the changes it missed, and applies the deletes it missed", async () => {
    const w = await track();
    await createContacts(w, 3);
    await w.sync();
    const records = (await w.shared.server.service.records.listAll()).filter((r) => r.owner === w.userId);
    await w.shared.server.service.records.delete({ by: w.userId, id: records[0]!.id });
    w.advance(31 * 24 * 3_600_000);
    await w.shared.server.service.garbage.collect();
    await w.sync();
    assert.equal(w.engine.status().lastCycleError, null);
    const items = liveContacts(w);
    assert.equal(
      items.length,
      3,
      "the contact of the deleted record is kept (the user owned it), nothing duplicated",
    );
    const linked = items.filter((item) => itemLink(item, SIM_ADDIN_ID)?.state === "tracked");
    assert.equal(linked.length, 2);
    assert.ok(linked.every((item) => itemLink(item, SIM_ADDIN_ID)?.crmId !== records[0]!.id));
  });

  it("never blocks a send, and tracks a draft marked for tracking once it is sent", async () => {
    const w = await track();
    const draft = w.mailbox.openCompose({ subject: "Quote", to: ["x@y.example"] });
    await w.settle();
    await w.engine.track({ surface: "inspector" });
    const emails = async (): Promise<number> =>
      (await w.shared.server.service.records.listAll()).filter(
        (r) => r.type === "email" && r.owner === w.userId,
      ).length;
    assert.equal(await emails(), 0, "a draft is never placed in the CRM");
    w.armCrmFaults(["serverError", "serverError", "serverError"]);
    const sent = await w.mailbox.sendDraft(draft.itemId);
    assert.equal(sent.sent, true);
    while (w.clock.fireNext(w.clock.now())) await w.settle();
    await w.settle();
    w.armCrmFaults([]);
    assert.equal(await emails(), 0, "the server failed: the tracking waits for its retry");
    assert.equal(w.engine.status().pending, 1);
    w.advance(3_600_000);
    await w.sync();
    assert.equal(await emails(), 1);
    const item = w.mailbox.get(sent.sentItemId ?? "");
    assert.equal(item && itemLink(item, SIM_ADDIN_ID)?.state, "tracked");
  });
});
