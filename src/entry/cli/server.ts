/**
 * `outlook-crm-server`: with no arguments, serves the CRM sync protocol; `user add <id> --privileges …` creates a
 * user and prints a token; `user token <id>` prints a new token; `demo` loads demo data.
 * Settings: PORT (default 3000), HOST (default 127.0.0.1), DATABASE_URL (PostgreSQL; otherwise embedded PGlite in
 * DATA_DIR, default ./data), LOG_LEVEL, OIDC_ISSUER + OIDC_AUDIENCE + OIDC_JWKS_URL (+ OIDC_USER_CLAIM) for JWTs,
 * OPAQUE_TOKENS=off to refuse the admin command's tokens, RATE_LIMIT_PER_MINUTE.
 */
import { parseArgs } from "node:util";
import { createRemoteJWKSet } from "jose";
import { SyncError } from "../../core/errors";
import { PRIVILEGES, type Privilege } from "../../core/types";
import {
  createCrmServer,
  createCrmService,
  createPinoLogger,
  DEFAULT_RATE_LIMIT,
  loadDemoData,
  openDatabase,
  SystemClock,
  type AuthSettings,
} from "../../server";

const USAGE = `usage:
  outlook-crm-server                                   serve (PORT, HOST, DATABASE_URL or DATA_DIR)
  outlook-crm-server user add <id> --privileges SyncToOutlook,GoOffline [--email a@b.c] [--name "Full Name"] [--role salesperson]
  outlook-crm-server user token <id>                   print a new token for an existing user
  outlook-crm-server demo                              load demo users, records and the default package`;

const env = process.env;
const logger = createPinoLogger({ level: env["LOG_LEVEL"] ?? "info" });
const clock = new SystemClock();

const openDb = () =>
  openDatabase({ databaseUrl: env["DATABASE_URL"], dataDir: env["DATA_DIR"] ?? "./data", logger });

function authSettings(): AuthSettings {
  const issuer = env["OIDC_ISSUER"];
  const audience = env["OIDC_AUDIENCE"];
  const jwksUrl = env["OIDC_JWKS_URL"];
  const opaqueTokens = env["OPAQUE_TOKENS"] !== "off";
  if (!issuer || !audience || !jwksUrl) return { opaqueTokens };
  return {
    opaqueTokens,
    oidc: {
      issuer,
      audience,
      jwks: createRemoteJWKSet(new URL(jwksUrl)),
      ...(env["OIDC_USER_CLAIM"] ? { userClaim: env["OIDC_USER_CLAIM"] } : {}),
    },
  };
}

async function serve(): Promise<void> {
  const db = await openDb();
  const perMinute = Number(env["RATE_LIMIT_PER_MINUTE"] ?? DEFAULT_RATE_LIMIT.max);
  const server = await createCrmServer({
    db,
    clock,
    logger,
    auth: authSettings(),
    rateLimit: perMinute > 0 ? { max: perMinute, windowMs: 60_000 } : false,
  });
  const url = await server.listen({ port: Number(env["PORT"] ?? 3000), host: env["HOST"] ?? "127.0.0.1" });
  logger.info("CRM sync server listening", { url, database: db.kind });
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info("shutting down", { signal });
    server
      .close()
      .then(() => db.close())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error("shutdown failed", { error: String(error) });
          process.exit(1);
        },
      );
  };
  process.once("SIGINT", () => stop("SIGINT"));
  process.once("SIGTERM", () => stop("SIGTERM"));
}

function parsePrivileges(text: string): Privilege[] {
  const list = text
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  for (const entry of list) {
    if (!(PRIVILEGES as readonly string[]).includes(entry)) {
      throw new SyncError("invalidInput", {
        details: `--privileges: unknown privilege "${entry}" (use ${PRIVILEGES.join(", ")})`,
      });
    }
  }
  return list as Privilege[];
}

async function admin(args: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      privileges: { type: "string" },
      email: { type: "string", multiple: true },
      name: { type: "string" },
      role: { type: "string" },
    },
  });
  const [command, subcommand, userId] = positionals;
  const db = await openDb();
  try {
    const service = createCrmService({ db, clock, logger });
    if (command === "demo" && positionals.length === 1) {
      const demo = await loadDemoData(service);
      for (const [user, token] of Object.entries(demo.tokens)) console.log(`${user}\t${token}`);
    } else if (command === "user" && subcommand === "add" && userId && positionals.length === 3) {
      if (values.privileges === undefined)
        throw new SyncError("invalidInput", {
          details: "--privileges is required (may be empty: --privileges '')",
        });
      await service.users.create({
        id: userId,
        privileges: parsePrivileges(values.privileges),
        ...(values.email ? { emails: values.email } : {}),
        ...(values.name ? { displayName: values.name } : {}),
        ...(values.role ? { role: values.role } : {}),
      });
      console.log(await service.users.issueToken(userId, "cli"));
    } else if (command === "user" && subcommand === "token" && userId && positionals.length === 3) {
      console.log(await service.users.issueToken(userId, "cli"));
    } else {
      throw new SyncError("invalidInput", {
        details: `unknown command "${positionals.join(" ")}"\n${USAGE}`,
      });
    }
  } finally {
    await db.close();
  }
}

const args = process.argv.slice(2);
try {
  if (args.length === 0) await serve();
  else await admin(args);
} catch (error) {
  console.error(
    error instanceof SyncError
      ? (error.details ?? error.message)
      : error instanceof Error
        ? error.message
        : String(error),
  );
  if (!(error instanceof SyncError)) console.error(USAGE);
  process.exitCode = error instanceof SyncError && error.code === "invalidInput" ? 2 : 1;
}
