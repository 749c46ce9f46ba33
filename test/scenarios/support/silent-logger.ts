import type { Logger } from "../../../src/ports/logger";

/** A Logger that drops everything (scenario tests assert on output, not on logs). */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
