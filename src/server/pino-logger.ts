/** The Logger port over pino: structured JSON lines. */
import pino from "pino";
import type { Logger } from "../ports/logger";

/** A Logger writing JSON lines to `destination` (default stderr, so stdout stays free for command output). */
export function createPinoLogger(options: { level?: string; destination?: number } = {}): Logger {
  const log = pino(
    { level: options.level ?? "info", base: { service: "outlook-crm-server" } },
    pino.destination(options.destination ?? 2),
  );
  return {
    debug: (message, data) => log.debug(data ?? {}, message),
    info: (message, data) => log.info(data ?? {}, message),
    warn: (message, data) => log.warn(data ?? {}, message),
    error: (message, data) => log.error(data ?? {}, message),
  };
}
