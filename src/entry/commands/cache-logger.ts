import type { Clock } from "../../ports/clock";
import type { LocalCache } from "../../ports/local-cache";
import type { Logger } from "../../ports/logger";

type Level = "debug" | "info" | "warn" | "error";

/**
 * The add-in's logger: every line goes to the cache's numbered log segments (SPEC §13), which the task pane
 * shows and exports, and to the browser console. A line the cache cannot store is reported on the console only.
 */
export function createCacheLogger(cache: LocalCache, clock: Clock): Logger {
  const write = (level: Level, message: string, data?: Record<string, unknown>): void => {
    const line = `${new Date(clock.now()).toISOString()} ${level.toUpperCase()} ${message}${data ? ` ${JSON.stringify(data)}` : ""}`;
    console[level === "debug" ? "log" : level](line);
    cache.appendLog(line).catch((error: unknown) => console.error(`log line not stored: ${String(error)}`));
  };
  return {
    debug: (message, data) => write("debug", message, data),
    info: (message, data) => write("info", message, data),
    warn: (message, data) => write("warn", message, data),
    error: (message, data) => write("error", message, data),
  };
}

/** A logger for the moments before the cache is open: the browser console only. */
export const CONSOLE_LOGGER: Logger = {
  debug: (message, data) => console.log(message, data ?? ""),
  info: (message, data) => console.info(message, data ?? ""),
  warn: (message, data) => console.warn(message, data ?? ""),
  error: (message, data) => console.error(message, data ?? ""),
};
