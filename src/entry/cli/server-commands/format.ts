/** How the admin commands print times: UTC, to the second. */
export const utcTime = (ms: number): string => new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");
