/**
 * Bearer-token authentication. Development: opaque tokens minted by the admin command, stored hashed.
 * Production: OIDC JWTs validated with `jose` against the identity provider's JWKS: signature with a pinned
 * algorithm, issuer (one, or a multi-tenant pattern with the token's `tid` substituted), audience, and a
 * required, unexpired `exp`. The configured claims (default Entra's `oid` and `tid`) form the sign-in identity,
 * which names the CRM user (see {@link identityOf}).
 */
import { jwtVerify, type JWTPayload, type JWTVerifyGetKey } from "jose";
import type { Logger } from "../../ports/logger";
import type { CrmUser, UserService } from "../sync/user-service";

/** The issuer pattern's placeholder for the token's tenant, as in Entra's multi-tenant metadata. */
export const TENANT_PLACEHOLDER = "{tenantid}";

/** The signature algorithms accepted when none are configured. */
export const DEFAULT_OIDC_ALGORITHMS: readonly string[] = ["RS256"];

/** The claims that identify a user when none are configured: Entra's object id and tenant id. */
export const DEFAULT_USER_CLAIMS: readonly string[] = ["oid", "tid"];

/** Asymmetric JWS algorithms a key set can verify; `none` and the shared-secret HS* never are. */
export const OIDC_ALGORITHMS: readonly string[] = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
  "Ed25519",
];

/** OIDC settings: who issues tokens, for which audience, and the keys that sign them. */
export interface OidcSettings {
  /**
   * The expected `iss`. With {@link TENANT_PLACEHOLDER} in it (Entra multi-tenant:
   * `https://login.microsoftonline.com/{tenantid}/v2.0`) the token's `tid` is substituted, and `tid` must be
   * one of `allowedTenants`.
   */
  readonly issuer: string;
  readonly audience: string;
  /** The key set, e.g. `createRemoteJWKSet(new URL(jwksUrl))`, or a local one in tests. */
  readonly jwks: JWTVerifyGetKey;
  /** The signature algorithms accepted (from {@link OIDC_ALGORITHMS}); default RS256. */
  readonly algorithms?: readonly string[];
  /** The claims whose values, joined with ".", are the sign-in identity; default `oid`, `tid`. */
  readonly userClaims?: readonly string[];
  /** The tenants (`tid`) whose tokens are accepted; required with a multi-tenant issuer, optional otherwise. */
  readonly allowedTenants?: readonly string[];
}

/** Which tokens are accepted. */
export interface AuthSettings {
  /** Accept opaque tokens from the admin command; default true. */
  readonly opaqueTokens?: boolean;
  /** Accept OIDC JWTs. */
  readonly oidc?: OidcSettings;
}

/**
 * Turns a bearer token into its user, or null when the token is not valid. Never throws for a bad token.
 * Building one with opaque tokens off and no OIDC, or with settings that cannot work, throws.
 */
export interface Authenticator {
  authenticate(token: string): Promise<CrmUser | null>;
}

/** Which OIDC setting cannot work, and why. */
export interface OidcSettingsProblem {
  readonly setting: "algorithms" | "userClaims" | "issuer" | "allowedTenants";
  readonly message: string;
}

/** Why the settings cannot work, or null. */
export function oidcSettingsProblem(oidc: OidcSettings): OidcSettingsProblem | null {
  const algorithms = oidc.algorithms ?? DEFAULT_OIDC_ALGORITHMS;
  const unknown = algorithms.filter((alg) => !OIDC_ALGORITHMS.includes(alg));
  if (algorithms.length === 0 || unknown.length > 0) {
    return {
      setting: "algorithms",
      message: `the algorithms must be some of ${OIDC_ALGORITHMS.join(", ")}, got "${algorithms.join(",")}"`,
    };
  }
  const claims = oidc.userClaims ?? DEFAULT_USER_CLAIMS;
  if (claims.length === 0 || claims.some((claim) => !/^[\w.:-]{1,64}$/.test(claim))) {
    return {
      setting: "userClaims",
      message: `the user claims must be claim names separated by commas, got "${claims.join(",")}"`,
    };
  }
  const placeholders = oidc.issuer.split(TENANT_PLACEHOLDER).length - 1;
  if (placeholders > 1) {
    return {
      setting: "issuer",
      message: `the issuer may hold ${TENANT_PLACEHOLDER} once, got "${oidc.issuer}"`,
    };
  }
  if (placeholders === 1 && (oidc.allowedTenants ?? []).length === 0) {
    return {
      setting: "allowedTenants",
      message: `the issuer "${oidc.issuer}" would accept any tenant: name the tenants (tid) allowed`,
    };
  }
  return null;
}

/**
 * The sign-in identity of a verified token: the values of `claims`, joined with ".". For Entra's default
 * (`oid`, `tid`) that is `<oid>.<tid>`, the account's `homeAccountId` in MSAL. Null when a claim is missing or
 * not a non-empty string, or when a value other than the last holds "." (which would make two tokens'
 * identities collide).
 */
export function identityOf(payload: JWTPayload, claims: readonly string[]): string | null {
  const values: string[] = [];
  for (const [index, claim] of claims.entries()) {
    const value = payload[claim];
    if (typeof value !== "string" || value === "" || value.length > 256) return null;
    if (index < claims.length - 1 && value.includes(".")) return null;
    values.push(value);
  }
  return values.join(".");
}

/** The issuer a token must name: the configured one, or the pattern with the token's allowed `tid`. */
function expectedIssuer(oidc: OidcSettings, payload: JWTPayload): string | null {
  const tid = payload["tid"];
  const tenants = oidc.allowedTenants;
  if (tenants !== undefined && tenants.length > 0 && (typeof tid !== "string" || !tenants.includes(tid))) {
    return null;
  }
  if (!oidc.issuer.includes(TENANT_PLACEHOLDER)) return oidc.issuer;
  return typeof tid === "string" ? oidc.issuer.replace(TENANT_PLACEHOLDER, tid) : null;
}

const looksLikeJwt = (token: string): boolean => /^[\w-]+\.[\w-]+\.[\w-]+$/.test(token);

export function createAuthenticator(
  settings: AuthSettings,
  users: UserService,
  logger: Logger,
): Authenticator {
  const opaque = settings.opaqueTokens ?? true;
  const oidc = settings.oidc;
  if (!opaque && oidc === undefined) {
    throw new Error("Opaque tokens are off and no OIDC issuer is configured: no one could sign in.");
  }
  const problem = oidc === undefined ? null : oidcSettingsProblem(oidc);
  if (problem !== null) throw new Error(`The OIDC ${problem.setting} cannot work: ${problem.message}.`);
  const rejected = (reason: string): null => {
    logger.debug("rejected bearer JWT", { reason });
    return null;
  };
  return {
    async authenticate(token: string): Promise<CrmUser | null> {
      if (oidc && looksLikeJwt(token)) {
        let payload: JWTPayload;
        try {
          ({ payload } = await jwtVerify(token, oidc.jwks, {
            audience: oidc.audience,
            algorithms: [...(oidc.algorithms ?? DEFAULT_OIDC_ALGORITHMS)],
            requiredClaims: ["exp", "iss"],
          }));
        } catch (error) {
          return rejected(error instanceof Error ? error.message : String(error));
        }
        const issuer = expectedIssuer(oidc, payload);
        if (issuer === null) return rejected("the token's tenant (tid) is not allowed");
        if (payload.iss !== issuer) return rejected(`unexpected "iss" claim value`);
        const identity = identityOf(payload, oidc.userClaims ?? DEFAULT_USER_CLAIMS);
        if (identity === null) return rejected("the user claims are missing or malformed");
        return users.findBySignIn(identity);
      }
      if (!opaque || token.length > 200) return null;
      return users.authenticateToken(token);
    },
  };
}
