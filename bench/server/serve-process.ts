/**
 * The benchmark's server process: serves the benchmark schema on an ephemeral port and prints its URL on stdout,
 * so the load generator does not share a CPU event loop with the server.
 */
import { createCrmServer, createPinoLogger, openDatabase, SystemClock } from "../../src/server";

const databaseUrl = process.env["DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/test";
const logger = createPinoLogger({ level: "warn" });
const db = await openDatabase({
  databaseUrl,
  schema: process.env["BENCH_SCHEMA"] ?? "bench_server",
  logger,
  maxConnections: 8,
});
const server = await createCrmServer({ db, clock: new SystemClock(), logger, collectEveryMs: 0 });
console.log(await server.listen({ port: 0 }));
process.once("SIGTERM", () => {
  void server.close().then(() => db.close());
});
