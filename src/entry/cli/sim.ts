/**
 * `outlook-crm-sim run <file.json> [--database-url <url>] [--headless-primary]` (docs/SCENARIOS.md): runs one
 * scenario headless; `--headless-primary` has the server's headless engine play the primary client.
 * stdout carries only the final JSON, complete even through a pipe; logs go to stderr. Exit 0: ran; 2: invalid
 * file (the JSON path of the first problem on stderr, before any step runs); 1: anything else.
 */
import { readFile } from "node:fs/promises";
import { SyncError } from "../../core/errors";
import { createPinoLogger } from "../../server/pino-logger";
import { runScenario } from "../../sim/scenario/run-scenario";
import { ScenarioWorld } from "../../sim/scenario/scenario-world";
import { validateScenario } from "../../sim/scenario/validate-scenario";

const USAGE =
  "usage: outlook-crm-sim run <scenario.json> [--database-url <postgres-url>] [--headless-primary]";

interface SimArgs {
  readonly file: string;
  readonly databaseUrl: string | undefined;
  readonly headlessPrimary: boolean;
}

function parseArgs(argv: readonly string[]): SimArgs | null {
  const [command, file, ...rest] = argv;
  if (command !== "run" || file === undefined || file.startsWith("--")) return null;
  let databaseUrl: string | undefined;
  let headlessPrimary = false;
  for (let index = 0; index < rest.length; index += 1) {
    const arg = rest[index];
    if (arg === "--database-url" && rest[index + 1] !== undefined) {
      databaseUrl = rest[index + 1];
      index += 1;
    } else if (arg?.startsWith("--database-url=")) {
      databaseUrl = arg.slice("--database-url=".length);
    } else if (arg === "--headless-primary") {
      headlessPrimary = true;
    } else {
      return null;
    }
  }
  return { file, databaseUrl, headlessPrimary };
}

/**
 * Writes `text` and resolves once the stream has handed all of it on. Exiting straight after `write()` cuts
 * the output short when the stream is a pipe, which Node writes asynchronously (at the pipe's 64 KiB buffer).
 * A reader that went away (EPIPE) ends the wait too.
 */
function writeAll(stream: NodeJS.WriteStream, text: string): Promise<void> {
  return new Promise((resolve) => {
    stream.write(text, () => resolve());
  });
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (args === null) {
    await writeAll(process.stderr, `${USAGE}\n`);
    return 2;
  }
  let text: string;
  try {
    text = await readFile(args.file, "utf8");
  } catch (error) {
    await writeAll(
      process.stderr,
      `cannot read ${args.file}: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return 1;
  }
  let checked;
  try {
    checked = validateScenario(text);
  } catch (error) {
    if (error instanceof SyncError && error.code === "invalidScenario") {
      await writeAll(process.stderr, `${error.details ?? error.message}\n`);
      return 2;
    }
    throw error;
  }
  const logger = createPinoLogger({ level: process.env["LOG_LEVEL"] ?? "warn", destination: 2 });
  const world = new ScenarioWorld({
    logger,
    databaseUrl: args.databaseUrl,
    headlessPrimary: args.headlessPrimary,
  });
  try {
    const output = await runScenario(checked, world);
    await writeAll(process.stdout, `${JSON.stringify(output, null, 2)}\n`);
    return 0;
  } finally {
    await world.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const cause =
      error instanceof Error && error.cause instanceof Error
        ? `\ncaused by: ${error.cause.stack ?? error.cause.message}`
        : "";
    void writeAll(
      process.stderr,
      `${error instanceof Error ? (error.stack ?? error.message) : String(error)}${cause}\n`,
    ).then(() => process.exit(1));
  },
);
