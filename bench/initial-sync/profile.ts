/**
 * CPU profiles for the initial-sync benchmark (BENCH_PROFILE=1): the V8 sampling profile of the page (CDP
 * Profiler through playwright) and of this process (the sync server, the Graph twin and the front server, through
 * node:inspector), written to bench/out/ as .cpuprofile files (Chrome DevTools opens them), and the functions
 * and files with the most self time, for the console.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { Session } from "node:inspector/promises";
import { fileURLToPath } from "node:url";
import type { CDPSession } from "playwright-core";

const OUT = fileURLToPath(new URL("../out/", import.meta.url));
/** Sampling interval, µs: fine enough for a run of a few seconds, coarse enough not to slow it much. */
const INTERVAL_US = 200;
const TOP = 15;

/** The part of a V8 CPU profile (Profiler.Profile) the summary reads. */
interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  }[];
  readonly samples?: readonly number[] | undefined;
  readonly timeDeltas?: readonly number[] | undefined;
}

/** One line of the summary: a function (name, file, line) or a file, and its self time. */
export interface SelfTime {
  readonly name: string;
  readonly ms: number;
}

/** Where a profile is going: started, then stopped into a file and summarized. */
export interface Profiling {
  stop(label: string): Promise<{ file: string; functions: SelfTime[]; files: SelfTime[] }>;
}

function shortUrl(url: string): string {
  if (url === "") return "(native)";
  const marker = url.lastIndexOf("/node_modules/");
  if (marker >= 0) return url.slice(marker + 1);
  const src = url.search(/\/(src|bench|test)\//);
  return src >= 0 ? url.slice(src + 1) : url;
}

function top(totals: Map<string, number>): SelfTime[] {
  return [...totals.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, TOP)
    .map(([name, us]) => ({ name, ms: Math.round(us / 1000) }));
}

/** Self time per function and per file: each sample's time goes to the node it was taken in. */
export function selfTimes(profile: CpuProfile): { functions: SelfTime[]; files: SelfTime[] } {
  const byId = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const functions = new Map<string, number>();
  const files = new Map<string, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (const [index, id] of samples.entries()) {
    const frame = byId.get(id);
    const us = deltas[index + 1] ?? 0;
    if (frame === undefined || frame.functionName === "(idle)" || frame.functionName === "(program)")
      continue;
    const file = shortUrl(frame.url);
    const name = `${frame.functionName || "(anonymous)"} ${file}:${frame.lineNumber + 1}`;
    functions.set(name, (functions.get(name) ?? 0) + us);
    files.set(file, (files.get(file) ?? 0) + us);
  }
  return { functions: top(functions), files: top(files) };
}

async function written(label: string, profile: CpuProfile) {
  await mkdir(OUT, { recursive: true });
  const file = `${OUT}initial-sync-${label}.cpuprofile`;
  await writeFile(file, JSON.stringify(profile));
  return { file, ...selfTimes(profile) };
}

/** Sends one Profiler command: CDP to the page, node:inspector to this process. */
type Post = (method: string, params?: { readonly interval: number }) => Promise<unknown>;

async function started(post: Post, done: () => void): Promise<Profiling> {
  await post("Profiler.enable");
  await post("Profiler.setSamplingInterval", { interval: INTERVAL_US });
  await post("Profiler.start");
  return {
    stop: async (label) => {
      const { profile } = (await post("Profiler.stop")) as { profile: CpuProfile };
      done();
      return written(label, profile);
    },
  };
}

/** Starts profiling the page behind `cdp`. */
export function profilePage(cdp: CDPSession): Promise<Profiling> {
  return started(
    (method, params) => cdp.send(method as "Profiler.start", params),
    () => {},
  );
}

/** Starts profiling this process. */
export function profileProcess(): Promise<Profiling> {
  const session = new Session();
  session.connect();
  return started(
    (method, params) => session.post(method, params),
    () => session.disconnect(),
  );
}
