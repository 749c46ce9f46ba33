import "fake-indexeddb/auto";
import { IDBFactory } from "fake-indexeddb";
import { IdbLocalCache } from "../../src/adapters/idb/idb-local-cache";
import type { Logger } from "../../src/ports/logger";
import { limitDatabase } from "./quota-shim";
import { runAll } from "./run-all";

const quiet: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
let opened = 0;

runAll("LocalCache contract: IdbLocalCache on fake-indexeddb", async ({ clock, quotaBytes, limits }) => {
  const name = `contract-${++opened}`;
  if (quotaBytes !== undefined) limitDatabase(name, quotaBytes);
  return IdbLocalCache.open({
    indexedDB: new IDBFactory(),
    name,
    logger: quiet,
    clock,
    ...(limits ? { limits } : {}),
  });
});
