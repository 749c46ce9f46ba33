/** Size limits shared by both LocalCache adapters, so that both keep the same history. */
export interface CacheLimits {
  /** A log segment is closed when the next line would take it past this many UTF-8 bytes. */
  readonly logSegmentBytes: number;
  /** How many log segments are kept; older ones are deleted when a new one starts. */
  readonly logSegmentsKept: number;
  /** How many conflict records are kept; the oldest are dropped first. */
  readonly conflictsKept: number;
}

/** 8 × 64 KiB of log and the newest 1,000 conflicts. */
export const DEFAULT_CACHE_LIMITS: CacheLimits = {
  logSegmentBytes: 64 * 1024,
  logSegmentsKept: 8,
  conflictsKept: 1000,
};
