/**
 * The initial-sync benchmark's picture: bench/out/initial-sync.svg, records per second against the mailbox
 * size for ours and PouchDB (every run as a dot, the median per size as a line), and bench/out/initial-sync.html
 * with the chart, the medians, the ratio per size and every run with its load average.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

export interface Run {
  readonly peer: "ours" | "pouchdb";
  readonly round: number;
  readonly records: number;
  readonly ms: number;
  readonly recordsPerSecond: number;
  readonly peakHeapMb: number;
  readonly loadAverage: number;
  /** Main-thread busy time of the page (CDP TaskDuration), and CPU time of the serving Node process. */
  readonly pageCpuMs: number;
  readonly nodeCpuMs: number;
  /** Requests the Graph twin answered (ours only). */
  readonly graphRequests: number | null;
  readonly failure: string | null;
}

export interface SizeSummary {
  readonly records: number;
  readonly oursMedian: number;
  readonly pouchdbMedian: number;
  /** Ours ÷ PouchDB, medians of records per second. */
  readonly ratio: number;
}

const OUT = fileURLToPath(new URL("../out/", import.meta.url));
const WIDTH = 640;
const HEIGHT = 360;
const MARGIN = { left: 64, right: 120, top: 24, bottom: 48 };
const COLORS = { ours: "#0b6bcb", pouchdb: "#c2410c" } as const;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? Number.NaN)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Medians and ratios per size, from the runs that finished cleanly. */
export function summarize(runs: readonly Run[]): SizeSummary[] {
  const sizes = [...new Set(runs.map((run) => run.records))].sort((a, b) => a - b);
  return sizes.map((records) => {
    const of = (peer: Run["peer"]) =>
      median(
        runs
          .filter((run) => run.peer === peer && run.records === records && run.failure === null)
          .map((run) => run.recordsPerSecond),
      );
    const ours = of("ours");
    const pouchdb = of("pouchdb");
    return { records, oursMedian: ours, pouchdbMedian: pouchdb, ratio: Number((ours / pouchdb).toFixed(2)) };
  });
}

export function chart(runs: readonly Run[]): string {
  const summary = summarize(runs);
  const maxX = Math.max(1, ...runs.map((run) => run.records));
  const maxY = Math.max(1, ...runs.map((run) => run.recordsPerSecond)) * 1.1;
  const x = (records: number) => MARGIN.left + (records / maxX) * (WIDTH - MARGIN.left - MARGIN.right);
  const y = (perSecond: number) =>
    HEIGHT - MARGIN.bottom - (perSecond / maxY) * (HEIGHT - MARGIN.top - MARGIN.bottom);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<line x1="${MARGIN.left}" y1="${HEIGHT - MARGIN.bottom}" x2="${WIDTH - MARGIN.right}" y2="${HEIGHT - MARGIN.bottom}" stroke="black"/>`,
    `<line x1="${MARGIN.left}" y1="${MARGIN.top}" x2="${MARGIN.left}" y2="${HEIGHT - MARGIN.bottom}" stroke="black"/>`,
    `<text x="${(MARGIN.left + WIDTH - MARGIN.right) / 2}" y="${HEIGHT - 12}" text-anchor="middle">records in the mailbox</text>`,
    `<text transform="translate(16 ${(MARGIN.top + HEIGHT - MARGIN.bottom) / 2}) rotate(-90)" text-anchor="middle">records per second</text>`,
  ];
  for (let tick = 0; tick <= 4; tick += 1) {
    const value = Math.round((maxY / 4) * tick);
    parts.push(
      `<text x="${MARGIN.left - 6}" y="${y(value) + 4}" text-anchor="end">${value}</text>`,
      `<line x1="${MARGIN.left}" y1="${y(value)}" x2="${WIDTH - MARGIN.right}" y2="${y(value)}" stroke="#ddd"/>`,
    );
  }
  for (const { records } of summary)
    parts.push(
      `<text x="${x(records)}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="middle">${records}</text>`,
    );
  for (const peer of ["ours", "pouchdb"] as const) {
    const color = COLORS[peer];
    const points = summary
      .map((size) => ({
        records: size.records,
        value: peer === "ours" ? size.oursMedian : size.pouchdbMedian,
      }))
      .filter((point) => Number.isFinite(point.value));
    if (points.length > 0)
      parts.push(
        `<polyline fill="none" stroke="${color}" stroke-width="2" points="${points.map((p) => `${x(p.records)},${y(p.value)}`).join(" ")}"/>`,
      );
    for (const run of runs.filter((r) => r.peer === peer))
      parts.push(
        `<circle cx="${x(run.records)}" cy="${y(run.recordsPerSecond)}" r="3" fill="${run.failure === null ? color : "none"}" stroke="${color}"/>`,
      );
    const last = points[points.length - 1];
    if (last !== undefined)
      parts.push(
        `<text x="${x(last.records) + 8}" y="${y(last.value) + 4}" fill="${color}">${peer === "ours" ? "ours" : "PouchDB"}</text>`,
      );
  }
  parts.push("</svg>");
  return parts.join("\n");
}

export async function writeReport(input: {
  readonly runs: readonly Run[];
  readonly memory: Run | null;
  readonly machine: Readonly<Record<string, string | number>>;
}): Promise<{ summary: { sizes: SizeSummary[] }; files: string[] }> {
  const sizes = summarize(input.runs);
  const svg = chart(input.runs);
  const row = (cells: readonly (string | number)[]) =>
    `<tr>${cells.map((cell) => `<td>${escape(String(cell))}</td>`).join("")}</tr>`;
  const html = [
    '<!doctype html><meta charset="utf-8"><title>Initial sync: ours and PouchDB</title>',
    "<style>body{font-family:sans-serif;margin:2em}td,th{padding:2px 10px;text-align:right}</style>",
    "<h1>Initial sync into Chromium IndexedDB: ours and PouchDB replication</h1>",
    `<p>${escape(
      Object.entries(input.machine)
        .map(([key, value]) => `${key} ${value}`)
        .join(", "),
    )}</p>`,
    svg,
    "<h2>Median records per second</h2><table><tr><th>records</th><th>ours</th><th>PouchDB</th><th>ours ÷ PouchDB</th></tr>",
    ...sizes.map((size) => row([size.records, size.oursMedian, size.pouchdbMedian, size.ratio])),
    "</table>",
    input.memory === null
      ? ""
      : `<h2>${input.memory.records} records (ours)</h2><p>${input.memory.ms} ms, ${input.memory.recordsPerSecond} records/s, peak JS heap ${input.memory.peakHeapMb} MB, load average ${input.memory.loadAverage}${input.memory.failure === null ? "" : `, failed: ${escape(input.memory.failure)}`}</p>`,
    "<h2>Every run</h2><table><tr><th>round</th><th>peer</th><th>records</th><th>ms</th><th>records/s</th><th>peak heap MB</th><th>load average</th><th>page CPU ms</th><th>server CPU ms</th><th>Graph requests</th><th>failure</th></tr>",
    ...input.runs.map((run) =>
      row([
        run.round,
        run.peer,
        run.records,
        run.ms,
        run.recordsPerSecond,
        run.peakHeapMb,
        run.loadAverage,
        run.pageCpuMs,
        run.nodeCpuMs,
        run.graphRequests ?? "",
        run.failure ?? "",
      ]),
    ),
    "</table>",
  ].join("\n");
  await mkdir(OUT, { recursive: true });
  const files = [`${OUT}initial-sync.svg`, `${OUT}initial-sync.html`];
  await writeFile(files[0] ?? "", svg);
  await writeFile(files[1] ?? "", html);
  return { summary: { sizes }, files };
}
