/**
 * Versions follow commit order: a reader polling while many writers commit never moves its cursor past a change
 * that commits later. Runs against real PostgreSQL (DATABASE_URL), where transactions truly overlap.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import type { SyncEntry } from "../../src/ports/crm-client";
import { createCrmService, type CrmService, type Database } from "../../src/server";
import { allocateVersions } from "../../src/server/sync/change-feed";
import { ManualClock } from "../support/manual-clock";
import { skipSuiteBecause } from "../support/skip";
import { databaseUrl, openTestDatabase, silentLogger } from "./support/test-database";

const WRITERS = 8;

describe("CRM server concurrent writers (PostgreSQL)", function () {
  this.timeout(60_000);
  let db: Database;
  let service: CrmService;
  let dispose: () => Promise<void>;

  before(async function () {
    if (!databaseUrl) skipSuiteBecause(this, "concurrent writers need PostgreSQL (DATABASE_URL unset)");
    const database = await openTestDatabase({ postgres: "required", maxConnections: WRITERS + 2 });
    db = database.db;
    dispose = () => database.dispose();
    service = createCrmService({ db, clock: new ManualClock(), logger: silentLogger });
    await service.users.create({ id: "reader", privileges: ["SyncToOutlook"] });
    await service.clients.register("reader", "poller");
  });
  after(async () => dispose?.());

  /** Polls the reader's feed until `done()` and one more pass found nothing new; returns everything seen. */
  async function poll(done: () => boolean): Promise<SyncEntry[]> {
    const seen: SyncEntry[] = [];
    let cursor = 0;
    for (let idle = false; ;) {
      const finished = done();
      const page = await service.sync.page("reader", { clientId: "poller", after: cursor, limit: 50 });
      seen.push(...page.entries);
      cursor = page.nextAfter;
      if (page.hasMore) continue;
      if (finished && idle) return seen;
      idle = finished;
    }
  }

  async function race(
    write: () => Promise<string>,
    perWriter: number,
  ): Promise<{ written: string[]; seen: SyncEntry[] }> {
    const written: string[] = [];
    let running = WRITERS;
    const writers = Array.from({ length: WRITERS }, async () => {
      for (let i = 0; i < perWriter; i += 1) written.push(await write());
      running -= 1;
    });
    const [seen] = await Promise.all([poll(() => running === 0), ...writers]);
    return { written, seen };
  }

  const assertNothingSkipped = (written: string[], seen: SyncEntry[]) => {
    const versions = seen.map((entry) => entry.version);
    assert.deepEqual(
      versions,
      [...versions].sort((a, b) => a - b),
      "entries arrive in version order",
    );
    const seenIds = new Set(seen.map((entry) => entry.crmId));
    const missed = written.filter((id) => !seenIds.has(id));
    assert.deepEqual(missed, [], "the reader's cursor skipped no committed change");
  };

  it("a writer that holds its version for a while still never gets skipped", async () => {
    const { written, seen } = await race(
      () =>
        db.transaction(async (tx) => {
          const version = await allocateVersions(tx);
          await tx.query("SELECT pg_sleep(random() * 0.01)");
          const id = randomUUID();
          await tx.query(
            `INSERT INTO change_feed (user_id, record_id, type, version, kind, changed_at)
             VALUES ('reader', $1, 'task', $2, 'upsert', 0)`,
            [id, version],
          );
          return id;
        }),
      15,
    );
    assert.equal(written.length, WRITERS * 15);
    assertNothingSkipped(written, seen);
  });

  it("concurrent record creates through the service all reach the reader", async () => {
    const { written, seen } = await race(
      async () =>
        (await service.records.create({ by: "reader", type: "task", fields: { subject: "race" } })).record.id,
      15,
    );
    assertNothingSkipped(written, seen);
  });
});
