/**
 * The server's settings from the environment, checked before anything starts: a value that cannot work is a
 * {@link ConfigError} naming the variable, never a silent default.
 */
import { createRemoteJWKSet } from "jose";
import {
  DEFAULT_RATE_LIMIT,
  DEFAULT_STREAMS_PER_TOKEN,
  DEFAULT_TOKEN_LIFETIME_MS,
  oidcSettingsProblem,
  type AuthSettings,
  type OidcSettings,
  type OidcSettingsProblem,
  type RateLimitSettings,
} from "../../../server";

/** A setting is missing, malformed or contradicts another one: exit code 2. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

export interface ServeSettings {
  readonly port: number;
  readonly host: string;
  readonly auth: AuthSettings;
  readonly rateLimit: RateLimitSettings | false;
  readonly streamsPerToken: number;
  readonly trustProxy?: string;
}

export type Env = Readonly<Record<string, string | undefined>>;

export function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const text = env[name];
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got "${text}"`);
  }
  return value;
}

const OIDC_VARIABLES = ["OIDC_ISSUER", "OIDC_AUDIENCE", "OIDC_JWKS_URL"] as const;

const OIDC_SETTING_VARIABLES: Readonly<Record<OidcSettingsProblem["setting"], string>> = {
  issuer: "OIDC_ISSUER",
  algorithms: "OIDC_ALGORITHMS",
  userClaims: "OIDC_USER_CLAIMS",
  allowedTenants: "OIDC_ALLOWED_TENANTS",
};

/** A comma-separated list setting, trimmed, empty entries dropped, as `{ [key]: list }`; unset gives `{}`. */
function listSetting<K extends string>(env: Env, name: string, key: K): { [P in K]?: string[] } {
  const text = env[name] ?? "";
  if (text.trim() === "") return {};
  const list = text
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  return { [key]: list } as { [P in K]?: string[] };
}

/** Opaque tokens and OIDC from OPAQUE_TOKENS and OIDC_*; refuses a configuration in which no one can sign in. */
export function authSettings(env: Env): AuthSettings {
  const opaqueText = env["OPAQUE_TOKENS"] ?? "on";
  if (opaqueText !== "on" && opaqueText !== "off") {
    throw new ConfigError(`OPAQUE_TOKENS must be "on" or "off", got "${opaqueText}"`);
  }
  const opaqueTokens = opaqueText === "on";
  const given = OIDC_VARIABLES.filter((name) => (env[name] ?? "") !== "");
  if (given.length > 0 && given.length < OIDC_VARIABLES.length) {
    const missing = OIDC_VARIABLES.filter((name) => !given.includes(name));
    throw new ConfigError(`OIDC needs ${OIDC_VARIABLES.join(", ")}: ${missing.join(", ")} not set`);
  }
  if (given.length === 0) {
    if (!opaqueTokens) {
      throw new ConfigError(
        "OPAQUE_TOKENS=off without OIDC_ISSUER, OIDC_AUDIENCE and OIDC_JWKS_URL: no one could sign in",
      );
    }
    return { opaqueTokens };
  }
  let jwksUrl: URL;
  try {
    jwksUrl = new URL(env["OIDC_JWKS_URL"] ?? "");
  } catch {
    throw new ConfigError(`OIDC_JWKS_URL must be an absolute URL, got "${env["OIDC_JWKS_URL"]}"`);
  }
  if ((env["OIDC_USER_CLAIM"] ?? "") !== "") {
    throw new ConfigError(
      "OIDC_USER_CLAIM is no longer read: set OIDC_USER_CLAIMS (e.g. OIDC_USER_CLAIMS=sub)",
    );
  }
  const oidc: OidcSettings = {
    issuer: env["OIDC_ISSUER"] ?? "",
    audience: env["OIDC_AUDIENCE"] ?? "",
    jwks: createRemoteJWKSet(jwksUrl),
    ...listSetting(env, "OIDC_ALGORITHMS", "algorithms"),
    ...listSetting(env, "OIDC_USER_CLAIMS", "userClaims"),
    ...listSetting(env, "OIDC_ALLOWED_TENANTS", "allowedTenants"),
  };
  const problem = oidcSettingsProblem(oidc);
  if (problem !== null)
    throw new ConfigError(`${OIDC_SETTING_VARIABLES[problem.setting]}: ${problem.message}`);
  return { opaqueTokens, oidc };
}

/** The shared rate-limit store from RATE_LIMIT_REDIS_URL; none means counting in memory, per instance. */
function rateLimitStore(env: Env): { redisUrl?: string } {
  const text = env["RATE_LIMIT_REDIS_URL"] ?? "";
  if (text === "") return {};
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`RATE_LIMIT_REDIS_URL must be a redis:// or rediss:// URL, got "${text}"`);
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
    throw new ConfigError(`RATE_LIMIT_REDIS_URL must be a redis:// or rediss:// URL, got "${text}"`);
  }
  return { redisUrl: text };
}

/** TRUST_PROXY: the reverse proxies' addresses and CIDR ranges, separated by commas. */
function trustedProxies(env: Env): { trustProxy?: string } {
  const text = (env["TRUST_PROXY"] ?? "").trim();
  if (text === "") return {};
  if (!/^[0-9a-fA-F.:/, ]+$/.test(text)) {
    throw new ConfigError(`TRUST_PROXY must be addresses or CIDR ranges separated by commas, got "${text}"`);
  }
  return { trustProxy: text };
}

/** How long a token the admin command prints is valid: TOKEN_LIFETIME_DAYS, default 90. */
export function tokenLifetimeMs(env: Env): number {
  return integer(env, "TOKEN_LIFETIME_DAYS", DEFAULT_TOKEN_LIFETIME_MS / 86_400_000, 1, 3650) * 86_400_000;
}

/** Everything `serve` needs besides the database. */
export function serveSettings(env: Env): ServeSettings {
  const perMinute = integer(env, "RATE_LIMIT_PER_MINUTE", DEFAULT_RATE_LIMIT.max, 0, 1_000_000);
  return {
    port: integer(env, "PORT", 3000, 0, 65_535),
    host: env["HOST"] || "127.0.0.1",
    auth: authSettings(env),
    rateLimit: perMinute > 0 ? { max: perMinute, windowMs: 60_000, ...rateLimitStore(env) } : false,
    streamsPerToken: integer(env, "EVENT_STREAMS_PER_TOKEN", DEFAULT_STREAMS_PER_TOKEN, 1, 1000),
    ...trustedProxies(env),
  };
}
