/**
 * The sync server for the worker bench, in a process of its own as in production: createCrmServer on the
 * bench's database with the default rate limit, as `outlook-crm-server serve` builds it. Prints "ready <url>";
 * stops on SIGTERM. Arguments: <database url> <crm schema>.
 */
import { createCrmServer, openDatabase, SystemClock } from "../../src/server";

const [databaseUrl = "", schema = ""] = process.argv.slice(2);
const logger = { debug() {}, info() {}, warn() {}, error: (message: string) => console.error(message) };
const clock = new SystemClock();
const db = await openDatabase({ databaseUrl, schema, logger });
const server = await createCrmServer({ db, clock, logger, collectEveryMs: 0 });
console.log(`ready ${await server.listen({ port: 0 })}`);
process.once("SIGTERM", () => {
  void server.close().then(() => db.close());
});
