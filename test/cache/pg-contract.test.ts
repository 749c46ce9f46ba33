// The LocalCache contract on PgLocalCache: always on PGlite, and on PostgreSQL too when DATABASE_URL is set.
// One database per suite; every case gets a mailbox of its own, which is how the headless engine shares one.
import { migrateCacheSchema, defaultCacheSchema } from "../../src/adapters/pg/pg-cache-schema";
import { PgLocalCache } from "../../src/adapters/pg/pg-local-cache";
import type { Database } from "../../src/server/db/database";
import { openPgliteDatabase } from "../../src/server/db/pglite-database";
import { databaseUrl, openTestDatabase } from "../server/support/test-database";
import { runAll } from "./run-all";

function register(name: string, open: () => Promise<{ db: Database; dispose(): Promise<void> }>): void {
  let opened: { db: Database; dispose(): Promise<void> } | null = null;
  let schema = "";
  let mailboxes = 0;
  describe(name, function () {
    this.timeout(180_000);
    before(async () => {
      opened = await open();
      schema = defaultCacheSchema(opened.db);
      await migrateCacheSchema(opened.db, schema);
    });
    after(async () => {
      if (opened?.db.kind === "postgres") await opened.db.exec(`DROP SCHEMA ${schema} CASCADE`);
      await opened?.dispose();
    });
    runAll("cases", ({ clock, quotaBytes, limits }) => {
      if (!opened) throw new Error("the database is not open");
      return Promise.resolve(
        new PgLocalCache({
          db: opened.db,
          schema,
          mailbox: `user-${++mailboxes}`,
          clock,
          ...(limits ? { limits } : {}),
          ...(quotaBytes === undefined ? {} : { quotaBytes }),
        }),
      );
    });
  });
}

register("LocalCache contract: PgLocalCache on PGlite", async () => {
  const db = await openPgliteDatabase({ schema: "crm" });
  return { db, dispose: () => db.close() };
});

if (databaseUrl) register("LocalCache contract: PgLocalCache on PostgreSQL", () => openTestDatabase());
