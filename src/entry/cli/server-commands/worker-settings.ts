/**
 * The settings of `outlook-crm-server worker` from the environment (README "Background sync"), checked before
 * anything starts: a missing or malformed one is a {@link ConfigError} naming the variable.
 */
import { readFileSync } from "node:fs";
import type { AppCredential, AppTokenOptions } from "../../../adapters/graph/app-token-provider";
import { DEFAULT_WORKER_SETTINGS, type WorkerSettings } from "../../../server/worker/sync-worker";
import { ADDIN_ID } from "../../commands/addin-id";
import { ConfigError, integer, type Env } from "./settings";

export interface WorkerCommandSettings {
  readonly databaseUrl: string;
  readonly syncServerUrl: string;
  readonly graphBaseUrl?: string;
  readonly app: AppTokenOptions;
  readonly addinId: string;
  /** GRAPH_NOTIFICATION_URL: the sync server's public base URL Graph notifies; null for none. */
  readonly notificationBaseUrl: string | null;
  readonly worker: WorkerSettings;
  readonly metrics: { readonly host: string; readonly port: number } | null;
}

function required(env: Env, name: string, what: string): string {
  const value = (env[name] ?? "").trim();
  if (value === "") throw new ConfigError(`${name} is not set: the worker needs ${what}`);
  return value;
}

function httpUrl(name: string, text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`${name} must be an absolute http:// or https:// URL, got "${text}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(`${name} must be an absolute http:// or https:// URL, got "${text}"`);
  }
  return text.replace(/\/+$/, "");
}

/** GRAPH_CLIENT_SECRET, or GRAPH_CERTIFICATE_THUMBPRINT with the PEM key in GRAPH_CERTIFICATE_KEY_FILE. */
function credential(env: Env): AppCredential {
  const secret = env["GRAPH_CLIENT_SECRET"] ?? "";
  const thumbprint = env["GRAPH_CERTIFICATE_THUMBPRINT"] ?? "";
  const keyFile = env["GRAPH_CERTIFICATE_KEY_FILE"] ?? "";
  if (secret !== "" && (thumbprint !== "" || keyFile !== "")) {
    throw new ConfigError("set GRAPH_CLIENT_SECRET or GRAPH_CERTIFICATE_*, not both");
  }
  if (secret !== "") return { clientSecret: secret };
  if (thumbprint === "" || keyFile === "") {
    throw new ConfigError(
      "the worker needs a Graph credential: GRAPH_CLIENT_SECRET, or GRAPH_CERTIFICATE_THUMBPRINT (SHA-256) with GRAPH_CERTIFICATE_KEY_FILE",
    );
  }
  let privateKey: string;
  try {
    privateKey = readFileSync(keyFile, "utf8");
  } catch (error) {
    throw new ConfigError(
      `GRAPH_CERTIFICATE_KEY_FILE "${keyFile}" cannot be read: ${(error as Error).message}`,
    );
  }
  return { certificate: { thumbprintSha256: thumbprint, privateKey } };
}

export function workerSettings(env: Env): WorkerCommandSettings {
  const databaseUrl = required(env, "DATABASE_URL", "PostgreSQL, which holds the job queue");
  if (!/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError(
      `DATABASE_URL must be a postgres:// URL (the queue needs PostgreSQL), got "${databaseUrl}"`,
    );
  }
  const syncServerUrl = httpUrl(
    "SYNC_SERVER_URL",
    required(env, "SYNC_SERVER_URL", "the sync server's URL, to speak the sync protocol to"),
  );
  const graphBase = (env["GRAPH_BASE_URL"] ?? "").trim();
  const addinId = (env["ADDIN_ID"] ?? "").trim() || ADDIN_ID;
  if (!/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(addinId)) {
    throw new ConfigError(`ADDIN_ID must be the add-in's id from manifest.xml (a GUID), got "${addinId}"`);
  }
  const metricsPort = (env["WORKER_METRICS_PORT"] ?? "").trim();
  const notification = (env["GRAPH_NOTIFICATION_URL"] ?? "").trim();
  return {
    databaseUrl,
    syncServerUrl,
    ...(graphBase === "" ? {} : { graphBaseUrl: httpUrl("GRAPH_BASE_URL", graphBase) }),
    app: {
      tenantId: required(env, "GRAPH_TENANT_ID", "the Entra tenant (directory) id of the app registration"),
      clientId: required(env, "GRAPH_CLIENT_ID", "the app registration's application (client) id"),
      credential: credential(env),
    },
    addinId,
    notificationBaseUrl: notification === "" ? null : httpUrl("GRAPH_NOTIFICATION_URL", notification),
    worker: {
      ...DEFAULT_WORKER_SETTINGS,
      concurrency: integer(env, "WORKER_CONCURRENCY", DEFAULT_WORKER_SETTINGS.concurrency, 1, 64),
      intervalMs:
        integer(env, "SYNC_INTERVAL_MINUTES", DEFAULT_WORKER_SETTINGS.intervalMs / 60_000, 1, 1440) * 60_000,
    },
    metrics:
      metricsPort === ""
        ? null
        : {
            host: (env["WORKER_METRICS_HOST"] ?? "").trim() || "127.0.0.1",
            port: integer(env, "WORKER_METRICS_PORT", 0, 0, 65_535),
          },
  };
}
