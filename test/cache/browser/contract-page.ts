/**
 * The Chromium page's script: runs every LocalCache contract case against IdbLocalCache on the browser's
 * own IndexedDB, plus the checks only a real browser can make. The Node side (chromium-contract.test.ts)
 * calls these through `window.cacheContract`.
 */
import { SyncError } from "../../../src/core/errors";
import { IdbLocalCache } from "../../../src/adapters/idb/idb-local-cache";
import type { Logger } from "../../../src/ports/logger";
import { CONTRACT_CASES } from "../contract-cases";
import { ManualClock } from "../../support/manual-clock";
import { limitDatabase } from "../quota-shim";

/** One case's outcome, as sent back to Node. */
export interface CaseResult {
  readonly name: string;
  readonly passed: boolean;
  readonly error: string | null;
}

const quiet: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
let opened = 0;
const openCache = (name: string) =>
  IdbLocalCache.open({ indexedDB, name, logger: quiet, clock: new ManualClock() });

async function runCases(): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const contractCase of CONTRACT_CASES) {
    try {
      await contractCase.run(async ({ clock, quotaBytes, limits }) => {
        const name = `contract-${++opened}-${Math.random().toString(36).slice(2)}`;
        if (quotaBytes !== undefined) limitDatabase(name, quotaBytes);
        return IdbLocalCache.open({ indexedDB, name, logger: quiet, clock, ...(limits ? { limits } : {}) });
      });
      results.push({ name: contractCase.name, passed: true, error: null });
    } catch (error) {
      const text = error instanceof Error ? `${error.message}\n${error.stack ?? ""}` : String(error);
      results.push({ name: contractCase.name, passed: false, error: text });
    }
  }
  return results;
}

/** A page of `size` unseen upserts whose checkpoint is `size`. */
function bigPage(size: number) {
  return {
    entries: Array.from({ length: size }, (_, i) => ({
      crmId: `c${i}`,
      type: "contact" as const,
      version: i + 1,
      kind: "upsert" as const,
    })),
    checkpoint: { key: "crm", serverVersion: size, watermark: null, deltaLink: null },
  };
}

/**
 * Against the browser's real quota (set small by the test through CDP): a page too big to fit must fail
 * with quotaExceeded and leave neither its mappings nor its checkpoint. Returns what it saw.
 */
async function realQuota(): Promise<{ code: string | null; mappings: number; checkpoint: unknown }> {
  const cache = await openCache("real-quota");
  let code: string | null = null;
  try {
    const padded = {
      ...bigPage(3000),
      checkpoint: { ...bigPage(3000).checkpoint, deltaLink: "x".repeat(4_000_000) },
    };
    await cache.storeCrmPage(
      padded,
      (() => {
        let n = 0;
        return () => `m${++n}`;
      })(),
    );
  } catch (error) {
    code = error instanceof SyncError ? error.code : String(error);
  }
  const result = {
    code,
    mappings: await cache.countMappings(),
    checkpoint: (await cache.getCheckpoint("crm")) ?? null,
  };
  cache.close();
  return result;
}

/** Starts storing a large page and does not wait: the test closes the tab while it runs. */
function startLargePage(size: number): void {
  void openCache("tab-close").then((cache) => {
    let n = 0;
    return cache.storeCrmPage(bigPage(size), () => `m${++n}`);
  });
}

/** What a later tab finds after the close: the checkpoint and how many mappings and entries exist. */
async function inspectAfterClose(): Promise<{
  serverVersion: number | null;
  mappings: number;
  entries: number;
}> {
  const cache = await openCache("tab-close");
  const result = {
    serverVersion: (await cache.getCheckpoint("crm"))?.serverVersion ?? null,
    mappings: await cache.countMappings(),
    entries: await cache.countEntries(),
  };
  cache.close();
  return result;
}

Object.assign(window, { cacheContract: { runCases, realQuota, startLargePage, inspectAfterClose } });
