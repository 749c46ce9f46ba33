// The headless OutlookHost: nothing is ever open, no event ever fires, and its roaming settings live in the
// mailbox's row of the cache schema, where a cache reset leaves them.
import assert from "node:assert/strict";
import { BugError } from "../../src/core/errors";
import { HeadlessOutlookHost } from "../../src/adapters/headless/headless-outlook-host";
import { migrateCacheSchema } from "../../src/adapters/pg/pg-cache-schema";
import { PgLocalCache } from "../../src/adapters/pg/pg-local-cache";
import { PgRoamingSettings } from "../../src/adapters/pg/pg-roaming-settings";
import { DEFAULT_SETTINGS } from "../../src/ports/settings";
import type { Database } from "../../src/server/db/database";
import { openPgliteDatabase } from "../../src/server/db/pglite-database";
import { ManualClock } from "../support/manual-clock";

describe("HeadlessOutlookHost", function () {
  this.timeout(180_000);
  let db: Database;
  before(async () => {
    db = await openPgliteDatabase({ schema: "crm" });
    await migrateCacheSchema(db, "crm_mailbox_cache");
  });
  after(() => db.close());

  const host = (mailbox: string) =>
    new HeadlessOutlookHost(
      { emailAddress: `${mailbox}@contoso.example`, displayName: mailbox },
      new PgRoamingSettings(db, "crm_mailbox_cache", mailbox),
    );

  it("has no current item, no item changes, no sends and no notification bar", async () => {
    const h = host("alice");
    assert.deepEqual(h.mailboxUser(), { emailAddress: "alice@contoso.example", displayName: "alice" });
    assert.equal(await h.getCurrentItem(), null);
    let calls = 0;
    h.onItemChanged(() => (calls += 1)).dispose();
    h.onMessageSend(() => {
      calls += 1;
      return Promise.resolve({ allow: true });
    }).dispose();
    await h.notify({ key: "k", kind: "info", text: "nobody reads this" });
    await h.clearNotice("k");
    assert.equal(calls, 0);
    await assert.rejects(h.setCurrentItemLink(null), BugError);
    await assert.rejects(h.updateCurrentItemCategories({ add: ["x"], remove: [] }), BugError);
    await assert.rejects(h.ensureMasterCategory("Tracked to CRM", "Preset4"), BugError);
  });

  it("keeps roaming settings per mailbox, replaced whole, and a cache clear leaves them", async () => {
    const alice = host("alice2");
    const bob = host("bob2");
    assert.deepEqual(await alice.readRoamingSettings(), {});
    await alice.saveRoamingSettings({ intervalMinutes: 5, entities: ["contact"] });
    await alice.saveRoamingSettings({ intervalMinutes: 30 });
    assert.deepEqual(await alice.readRoamingSettings(), { intervalMinutes: 30 });
    assert.deepEqual(await bob.readRoamingSettings(), {});
    const cache = new PgLocalCache({
      db,
      schema: "crm_mailbox_cache",
      mailbox: "alice2",
      clock: new ManualClock(0),
    });
    await cache.putSettings({ ...DEFAULT_SETTINGS, userId: "alice2" });
    await cache.clear();
    assert.equal(await cache.getSettings(), undefined);
    assert.deepEqual(await alice.readRoamingSettings(), { intervalMinutes: 30 });
    cache.close();
  });
});
