import { MemLocalCache } from "../../src/adapters/mem/mem-local-cache";
import { runAll } from "./run-all";

runAll("LocalCache contract: MemLocalCache", (options) => Promise.resolve(new MemLocalCache(options)));
