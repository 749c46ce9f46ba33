// Where the cache rules live: every rule the caches share comes from src/adapters/cache-rules, which imports
// no cache; a cache adapter imports another cache only as the fallback that openLocalCache returns.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

const ADAPTERS = resolve(import.meta.dirname, "../../src/adapters");

/** Every relative import of every .ts file in one adapter folder, as [file, specifier]. */
function imports(folder: string): [string, string][] {
  return readdirSync(join(ADAPTERS, folder))
    .filter((name) => name.endsWith(".ts"))
    .flatMap((name) =>
      [...readFileSync(join(ADAPTERS, folder, name), "utf8").matchAll(/from "(\.[^"]+)"/g)].map(
        (match): [string, string] => [`${folder}/${name}`, match[1] ?? ""],
      ),
    );
}

describe("cache module layout", () => {
  it("keeps the shared rules in cache-rules, which imports no cache adapter", () => {
    const reaching = imports("cache-rules").filter(([, from]) => /^\.\.\/(idb|mem|pg)\//.test(from));
    assert.deepEqual(reaching, []);
  });

  it("has the IndexedDB cache take nothing from the memory cache but the fallback", () => {
    const fromMem = imports("idb").filter(([, from]) => from.startsWith("../mem/"));
    assert.deepEqual(fromMem, [["idb/open-local-cache.ts", "../mem/mem-local-cache"]]);
  });

  it("has the memory cache take nothing from the IndexedDB cache", () => {
    assert.deepEqual(
      imports("mem").filter(([, from]) => from.startsWith("../idb/")),
      [],
    );
  });

  it("has the Postgres cache take nothing from the other caches", () => {
    assert.deepEqual(
      imports("pg").filter(([, from]) => /^\.\.\/(idb|mem)\//.test(from)),
      [],
    );
  });

  it("has every cache import the coalescing rules from cache-rules", () => {
    for (const folder of ["idb", "mem", "pg"]) {
      assert.ok(
        imports(folder).some(([, from]) => from === "../cache-rules/change-log-coalescing"),
        `${folder} imports ../cache-rules/change-log-coalescing`,
      );
    }
  });
});
