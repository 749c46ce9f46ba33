/**
 * A listening CRM server on an isolated database (PGlite or PostgreSQL as `backend` says; by default PostgreSQL
 * when DATABASE_URL is set), with helpers to make users and HTTP clients.
 */
import type { Privilege } from "../../../src/core/types";
import { HttpCrmClient } from "../../../src/adapters/http/http-crm-client";
import { createCrmServer, type CrmServer, type CrmServerOptions, type Database } from "../../../src/server";
import { ManualClock } from "../../support/manual-clock";
import { openTestDatabase, silentLogger } from "./test-database";

export interface TestServer {
  readonly db: Database;
  readonly server: CrmServer;
  readonly url: string;
  readonly clock: ManualClock;
  /** Creates a user and returns a fresh token. */
  user(id: string, privileges?: readonly Privilege[], emails?: readonly string[]): Promise<string>;
  /** An HttpCrmClient with `token`. */
  client(token: string): HttpCrmClient;
  dispose(): Promise<void>;
}

export async function startTestServer(
  options: Partial<Omit<CrmServerOptions, "db" | "clock" | "logger">> = {},
  backend?: "pglite" | "postgres",
): Promise<TestServer> {
  const database = await openTestDatabase(
    backend === undefined ? {} : { postgres: backend === "pglite" ? "off" : "required" },
  );
  const clock = new ManualClock();
  const server = await createCrmServer({
    db: database.db,
    clock,
    logger: silentLogger,
    rateLimit: false,
    collectEveryMs: 0,
    ...options,
  });
  const url = await server.listen({ port: 0 });
  return {
    db: database.db,
    server,
    url,
    clock,
    async user(id, privileges = ["SyncToOutlook", "GoOffline"], emails = []) {
      await server.service.users.create({ id, privileges, emails });
      return server.service.users.issueToken(id, "test");
    },
    client: (token) => new HttpCrmClient({ baseUrl: url, getToken: () => Promise.resolve(token), clock }),
    async dispose() {
      await server.close();
      await database.dispose();
    },
  };
}
