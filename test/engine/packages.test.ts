// Customization packages on the add-in (SPEC §11, §12) through the engine's public API over the real adapters:
// the metadata step, the order of push-first and apply, confirmation, restarts and crashes, and the initial
// synchronization of an added type.
import assert from "node:assert/strict";
import { DEFAULT_FIELD_MAPS } from "../../src/core/field-maps";
import type { EngineStatus } from "../../src/engine/sync-engine";
import type { PublishRequest } from "../../src/server";
import { itemLink } from "../../src/sim/scenario/scenario-output";
import { SIM_ADDIN_ID } from "../../src/sim/scenario/scenario-world";
import { HistoryWorld, SharedServer } from "./support/reliability-harness";
import { ENTRY_BATCH } from "../../src/engine/entry-processor";

let shared: SharedServer;
let worlds = 0;

describe("SyncEngine with customization packages", function () {
  this.timeout(120_000);
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

  /** A world whose user has a role of its own, so its packages reach no other test. */
  async function world(): Promise<{
    w: HistoryWorld;
    publish: (p: Partial<PublishRequest>) => Promise<void>;
  }> {
    worlds += 1;
    const w = new HistoryWorld(shared, `pkg${worlds}-${Date.now().toString(36)}`);
    await w.start();
    open.push(w);
    const role = `role-${w.userId}`;
    await shared.server.service.users.setRole(w.userId, role);
    const publish = (p: Partial<PublishRequest>) =>
      shared.server.service.packages.publish({
        role,
        version: "1.0.0.0",
        preferredProduct: "1.0.0.0",
        products: "1.0.0.0-1.9.9.9",
        schemas: "1.0.0.0",
        ...p,
      });
    return { w, publish };
  }

  const records = () => shared.server.service.records;
  const own = async (w: HistoryWorld, type: string) =>
    (await records().listAll()).filter((r) => r.owner === w.userId && r.type === type && !r.deleted);
  const items = (w: HistoryWorld, type: string) =>
    w.mailbox.allItems().filter((item) => item.type === type && !item.deleted);

  it("applies the first package, keeps it across a restart, and checks it with one small request when idle", async () => {
    const { w, publish } = await world();
    await publish({ entityTypes: ["contact", "email"] });
    await records().create({ by: w.userId, type: "contact", fields: { firstname: "Ann" } });
    await w.sync();
    assert.deepEqual(w.engine.status().package.applied?.version, "1.0.0.0");
    assert.deepEqual(w.engine.status().package.entities, ["contact", "email"]);
    await w.reopen();
    assert.equal(
      w.engine.status().package.applied?.version,
      "1.0.0.0",
      "the applied package survives a restart",
    );
    await w.sync();
    const before = w.traffic();
    await w.sync();
    const idle = {
      requests: w.traffic().crmRequests - before.crmRequests,
      bytes: w.traffic().crmBytes - before.crmBytes,
    };
    assert.equal(idle.requests, 2, "an idle cycle asks for the package (304) and PrepareSync only");
    assert.ok(idle.bytes < 1500, `an idle cycle moved ${idle.bytes} bytes: the zip was not downloaded again`);
  });

  it("applies no package while a pending local change would be lost: a failed push blocks it until it is saved", async () => {
    const { w, publish } = await world();
    await publish({});
    await records().create({
      by: w.userId,
      type: "task",
      fields: { subject: "Call", statecode: 0, statuscode: 2 },
    });
    await w.sync();
    const [task] = items(w, "task");
    assert.ok(task);
    w.mailbox.updateItem(task.itemId, { fields: { subject: "Call today" } }, { notify: true, by: "world" });
    await w.settle();
    await publish({ version: "2.0.0.0", schemas: "1.0.0.0", entityTypes: ["contact", "email"] });
    // The package check and the task's GetSpecificSyncData go through; the update of the task fails.
    w.armCrmFaults(["ok", "ok", "serverError"]);
    await w.sync();
    let status = w.engine.status().package;
    assert.equal(status.applied?.version, "1.0.0.0", "the package waits for the change");
    assert.deepEqual(status.blocked?.version, "2.0.0.0");
    assert.equal(status.blocked?.changes.length, 1);
    assert.equal((await own(w, "task"))[0]?.fields["subject"], "Call");
    assert.equal(itemLink(items(w, "task")[0]!, SIM_ADDIN_ID)?.state, "tracked", "nothing was torn down");
    await w.sync();
    status = w.engine.status().package;
    assert.equal(
      (await own(w, "task"))[0]?.fields["subject"],
      "Call today",
      "the change reached the CRM first",
    );
    assert.equal(status.applied?.version, "2.0.0.0");
    assert.equal(status.blocked, null);
    const after = items(w, "task")[0]!;
    assert.deepEqual(after.categories, [], "the task stays, without the category");
    assert.deepEqual(itemLink(after, SIM_ADDIN_ID), {
      crmId: (await own(w, "task"))[0]?.id,
      state: "suspended",
    });
  });

  it("waits for confirmation of a schema-incompatible package, then lists the change it could not save", async () => {
    const { w, publish } = await world();
    await publish({});
    await records().create({ by: w.userId, type: "contact", fields: { firstname: "Ann", lastname: "Lee" } });
    await w.sync();
    const withoutJobTitle = {
      ...DEFAULT_FIELD_MAPS,
      contact: DEFAULT_FIELD_MAPS.contact.filter((rule) => !rule.outlook.includes("jobTitle")),
    };
    await publish({ version: "2.0.0.0", schemas: "2.0.0.0", fieldMaps: withoutJobTitle });
    await w.sync();
    let status = w.engine.status().package;
    assert.equal(status.problem?.code, "schemaIncompatible");
    assert.deepEqual([status.applied?.version, status.waiting?.version], ["1.0.0.0", "2.0.0.0"]);
    const [contact] = items(w, "contact");
    assert.ok(contact);
    w.mailbox.updateItem(contact.itemId, { fields: { jobTitle: "Buyer" } }, { notify: true, by: "world" });
    await w.settle();
    await w.sync();
    assert.equal(
      (await own(w, "contact"))[0]?.fields["jobtitle"],
      "Buyer",
      "sync goes on under the applied package",
    );
    w.mailbox.updateItem(
      contact.itemId,
      { fields: { jobTitle: "Lead buyer" } },
      { notify: true, by: "world" },
    );
    await w.settle();
    await w.engine.confirmPackage();
    assert.equal(w.engine.status().package.problem, null, "confirming resolves the problem");
    const seen: EngineStatus[] = [];
    const watching = w.engine.onStatus((s) => seen.push(s));
    await w.sync();
    watching.dispose();
    status = w.engine.status().package;
    assert.equal(status.applied?.version, "2.0.0.0");
    assert.deepEqual(
      status.notSaved.map((c) => [c.field, c.reason, c.label]),
      [["jobTitle", "fieldNotSynced", "Ann Lee"]],
    );
    assert.equal((await own(w, "contact"))[0]?.fields["jobtitle"], "Buyer", "not sent under the new package");
    assert.ok(
      seen.some((s) => s.progress?.phase === "initial: contacts"),
      "a field map change runs the initial synchronization of the type",
    );
    await w.engine.dismissNotSaved();
    assert.deepEqual(w.engine.status().package.notSaved, []);
    await assert.rejects(w.engine.confirmPackage(), /No CRM package waits/);
  });

  it("finishes a teardown that stopped halfway on the next sync, and never deletes an item or a record", async () => {
    const { w, publish } = await world();
    await publish({});
    for (const subject of ["A", "B", "C"]) {
      await records().create({
        by: w.userId,
        type: "task",
        fields: { subject, statecode: 0, statuscode: 2 },
      });
    }
    await w.sync();
    assert.equal(items(w, "task").length, 3);
    await publish({ version: "2.0.0.0", entityTypes: ["contact", "email"] });
    // Graph carries out the first retirement but every answer to it is lost, so the apply stops after it.
    w.mailbox.faults.loseResponse(5, { method: "PATCH" });
    await w.sync();
    assert.equal(w.engine.status().lastCycleError?.code, "mailboxUnreachable");
    assert.equal(w.engine.status().package.applied?.version, "2.0.0.0", "the package is applied whole");
    const tracked = () =>
      items(w, "task").filter((item) => item.categories.includes("Tracked to CRM")).length;
    assert.ok(tracked() >= 2, "the stamps of the other tasks were not retired yet");
    await w.reopen();
    await w.sync();
    assert.equal(tracked(), 0);
    assert.equal(items(w, "task").length, 3, "no Outlook item was deleted");
    assert.equal((await own(w, "task")).length, 3, "no CRM record was deleted");
  });

  it("shows an added type's initial synchronization as n of N and resumes it after a crash without duplicates", async () => {
    const { w, publish } = await world();
    await publish({ entityTypes: ["contact", "email"] });
    for (let n = 0; n < ENTRY_BATCH + 20; n += 1) {
      await records().create({
        by: w.userId,
        type: "task",
        fields: { subject: `T${n}`, statecode: 0, statuscode: 2 },
      });
    }
    await w.sync();
    assert.equal(items(w, "task").length, 0, "tasks are not in the first package");
    await publish({ version: "2.0.0.0", entityTypes: ["contact", "task", "email"] });
    // The package check, the tasks' listing, PrepareSync and the first batch's records go through; the crash
    // hits the second batch.
    w.armCrmFaults(["ok", "ok", "ok", "ok", "crash"]);
    await w.sync();
    assert.equal(items(w, "task").length, ENTRY_BATCH, "the crash stopped the run after one batch");
    assert.deepEqual(w.engine.status().package.building, ["task"]);
    const seen: EngineStatus[] = [];
    const watching = w.engine.onStatus((s) => seen.push(s));
    await w.sync();
    watching.dispose();
    assert.equal(items(w, "task").length, ENTRY_BATCH + 20);
    assert.equal((await own(w, "task")).length, ENTRY_BATCH + 20, "no record was made twice");
    assert.deepEqual(w.engine.status().package.building, []);
    const progress = seen.flatMap((s) => (s.progress ? [s.progress] : []));
    assert.ok(
      progress.length > 0 && progress.every((p) => p.phase === "initial: tasks" && p.done <= p.total),
    );
    assert.equal(w.engine.status().progress, null);
  });

  it("tells why a package was not applied, keeps sync running under the old one, and says it once fixed", async () => {
    const { w, publish } = await world();
    await publish({});
    await w.sync();
    await publish({ version: "1.1.0.0", omit: ["field-maps.json"] });
    await w.sync();
    let status = w.engine.status().package;
    assert.equal(status.applied?.version, "1.0.0.0");
    assert.equal(status.problem?.cause, "content");
    assert.match(status.problem?.message ?? "", /1\.1\.0\.0 .*field-maps\.json/);
    const first = status.problem?.at;
    w.advance(60_000);
    await w.sync();
    assert.equal(w.engine.status().package.problem?.at, first, "a repeated problem keeps its first time");
    await publish({ version: "1.2.0.0", products: "2.0.0.0", preferredProduct: "2.0.0.0" });
    await w.sync();
    status = w.engine.status().package;
    assert.equal(status.problem?.code, "productIncompatible");
    assert.equal(status.preferredProduct, "2.0.0.0");
    await publish({ version: "1.3.0.0" });
    await w.sync();
    status = w.engine.status().package;
    assert.deepEqual(
      [status.applied?.version, status.problem, status.preferredProduct],
      ["1.3.0.0", null, null],
    );
  });
});
