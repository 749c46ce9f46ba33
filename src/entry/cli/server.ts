/**
 * `outlook-crm-server`: the CRM sync server and its admin commands (one module per command in
 * `server-commands/`). Without arguments it serves. `--help` prints the usage and exits 0; a wrong command line
 * or setting exits 2 with a message naming it; any other failure exits 1.
 */
import { SyncError } from "../../core/errors";
import { createPinoLogger, openDatabase, SystemClock } from "../../server";
import { UsageError, type CommandContext } from "./server-commands/command";
import { SERVER_COMMANDS, usage } from "./server-commands/index";
import { ConfigError } from "./server-commands/settings";

const env = process.env;
const HELP = new Set(["--help", "-h", "help"]);

const context: CommandContext = {
  env,
  logger: createPinoLogger({ level: env["LOG_LEVEL"] ?? "info" }),
  clock: new SystemClock(),
  print: (line) => console.log(line),
  openDatabase: () =>
    openDatabase({
      databaseUrl: env["DATABASE_URL"] || undefined,
      dataDir: env["DATA_DIR"] || "./data",
      logger: context.logger,
    }),
};

const [name = "serve", ...rest] = process.argv.slice(2);
const command = SERVER_COMMANDS.find((entry) => entry.name === name);
try {
  if (HELP.has(name)) console.log(usage());
  else if (command === undefined) throw new UsageError(`unknown command "${name}"`);
  else if (rest.some((arg) => HELP.has(arg))) console.log(usage(command));
  else await command.run(rest, context);
} catch (error) {
  const message =
    error instanceof SyncError
      ? (error.details ?? error.message)
      : error instanceof Error
        ? error.message
        : String(error);
  console.error(`outlook-crm-server: ${message}`);
  if (error instanceof UsageError) console.error(usage(command));
  const wrongInput =
    error instanceof UsageError ||
    error instanceof ConfigError ||
    (error instanceof SyncError && error.code === "invalidInput");
  process.exitCode = wrongInput ? 2 : 1;
}
