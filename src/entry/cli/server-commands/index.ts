/**
 * The subcommands of `outlook-crm-server`, in the order `--help` lists them. To add one, write its module in
 * this folder (a {@link ServerCommand}) and list it here.
 */
import type { ServerCommand } from "./command";
import { demoCommand } from "./demo";
import { jobsCommand } from "./jobs";
import { mailboxesCommand } from "./mailboxes";
import { packageCommand } from "./package";
import { serveCommand } from "./serve";
import { tokenCommand } from "./token";
import { userCommand } from "./user";
import { workerCommand } from "./worker";

export const SERVER_COMMANDS: readonly ServerCommand[] = [
  serveCommand,
  userCommand,
  tokenCommand,
  packageCommand,
  mailboxesCommand,
  jobsCommand,
  workerCommand,
  demoCommand,
];

const SETTINGS = `settings (environment):
  PORT (3000), HOST (127.0.0.1), DATABASE_URL (PostgreSQL; otherwise embedded PGlite in DATA_DIR, ./data),
  LOG_LEVEL (info), RATE_LIMIT_PER_MINUTE (1200 per user, or per address without a valid token; 0 = off),
  RATE_LIMIT_REDIS_URL (redis://…: one count shared by every instance; default: in memory, per instance),
  TRUST_PROXY (addresses/CIDR of reverse proxies whose X-Forwarded-For names the client; default none),
  EVENT_STREAMS_PER_TOKEN (4 open event streams per token and instance),
  TOKEN_LIFETIME_DAYS (90: how long a token printed by user add / user token is valid),
  OIDC_ISSUER + OIDC_AUDIENCE + OIDC_JWKS_URL to accept OIDC JWTs, with OIDC_ALGORITHMS (RS256),
  OIDC_USER_CLAIMS (oid,tid: the values joined with "." name the user, see user identity) and
  OIDC_ALLOWED_TENANTS (tids; required when OIDC_ISSUER holds {tenantid}),
  OPAQUE_TOKENS=off to refuse the tokens this command prints;
  worker: DATABASE_URL (PostgreSQL), SYNC_SERVER_URL, GRAPH_TENANT_ID, GRAPH_CLIENT_ID and GRAPH_CLIENT_SECRET
  (or GRAPH_CERTIFICATE_THUMBPRINT + GRAPH_CERTIFICATE_KEY_FILE), GRAPH_BASE_URL, GRAPH_NOTIFICATION_URL (the sync
  server's public HTTPS base URL for Graph's change notifications; unset: none), ADDIN_ID, WORKER_CONCURRENCY (4),
  SYNC_INTERVAL_MINUTES (15), WORKER_METRICS_PORT (unset: no /metrics) and WORKER_METRICS_HOST (127.0.0.1)`;

/** The usage text of every command, or of one. */
export function usage(only?: ServerCommand): string {
  const forms = [
    ...(only ? [only] : SERVER_COMMANDS).flatMap((command) => command.usage),
    ...(only ? [] : [{ form: "--help", summary: "print this help" }]),
  ];
  const lines = forms.map(({ form, summary }) => `  outlook-crm-server ${form}\n      ${summary}`);
  return `usage:\n${lines.join("\n")}${only ? "" : `\n\n${SETTINGS}`}`;
}
