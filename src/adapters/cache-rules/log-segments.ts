/**
 * Log rotation as pure decisions (SPEC §13), shared by both LocalCache adapters: which segment a line goes
 * to and which old segments to drop. Segments are numbered from 1 and named `log.0001.txt`, `log.0002.txt`, ….
 */
import type { CacheLimits } from "./cache-limits";

/** One stored log segment. `seq` is its number; `bytes` is the UTF-8 size of `text`. */
export interface LogSegmentRow {
  readonly seq: number;
  readonly text: string;
  readonly bytes: number;
}

const encoder = new TextEncoder();

/** The file name of segment `seq`: four digits at least, more once past 9999. */
export function logSegmentName(seq: number): string {
  return `log.${String(seq).padStart(4, "0")}.txt`;
}

/**
 * Where `line` goes: appended to `newest` while it fits, otherwise into a new segment numbered one higher.
 * `dropUpTo` is the highest segment number to delete so that at most `logSegmentsKept` remain (0: none).
 */
export function planLogAppend(
  newest: LogSegmentRow | undefined,
  line: string,
  limits: CacheLimits,
): { readonly write: LogSegmentRow; readonly dropUpTo: number } {
  const text = `${line}\n`;
  const bytes = encoder.encode(text).length;
  if (newest && newest.bytes > 0 && newest.bytes + bytes > limits.logSegmentBytes) {
    const seq = newest.seq + 1;
    return { write: { seq, text, bytes }, dropUpTo: Math.max(0, seq - limits.logSegmentsKept) };
  }
  const seq = newest?.seq ?? 1;
  return {
    write: { seq, text: (newest?.text ?? "") + text, bytes: (newest?.bytes ?? 0) + bytes },
    dropUpTo: Math.max(0, seq - limits.logSegmentsKept),
  };
}
