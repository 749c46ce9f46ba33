/**
 * What every `outlook-crm-server` subcommand is: a name, its usage lines, and a `run` over a shared context.
 * A subcommand lives in its own module here and is listed once in `index.ts`.
 */
import type { Clock } from "../../../ports/clock";
import type { Logger } from "../../../ports/logger";
import type { Database } from "../../../server";

/** What a subcommand may use: the environment, a logger (stderr), the clock, stdout and the database. */
export interface CommandContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Writes one line of command output to stdout. */
  readonly print: (line: string) => void;
  /** Opens the configured database, migrated; the caller closes it. */
  openDatabase(): Promise<Database>;
}

export interface ServerCommand {
  /** The word that selects it: `outlook-crm-server <name> …`. */
  readonly name: string;
  /** Each form of the command line, without the program name, and what it does. */
  readonly usage: readonly { readonly form: string; readonly summary: string }[];
  /** Runs with the arguments after the name. A UsageError exits 2 with this command's usage. */
  run(args: readonly string[], context: CommandContext): Promise<void>;
}

/** The command line is wrong (unknown word, missing or bad option): exit code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}
