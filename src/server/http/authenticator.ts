/**
 * Bearer-token authentication. Development: opaque tokens minted by the admin command, stored hashed.
 * Production: OIDC JWTs validated with `jose` against the identity provider's JWKS (issuer, audience, expiry);
 * a claim (default `sub`) names the CRM user, who must exist.
 */
import { jwtVerify, type JWTVerifyGetKey } from "jose";
import type { Logger } from "../../ports/logger";
import type { CrmUser, UserService } from "../sync/user-service";

/** OIDC settings: who issues tokens, for which audience, and the keys that sign them. */
export interface OidcSettings {
  readonly issuer: string;
  readonly audience: string;
  /** The key set, e.g. `createRemoteJWKSet(new URL(jwksUrl))`, or a local one in tests. */
  readonly jwks: JWTVerifyGetKey;
  /** The claim holding the CRM user id; default `sub`. */
  readonly userClaim?: string;
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
 * Building one with opaque tokens off and no OIDC throws: such a server would refuse everyone.
 */
export interface Authenticator {
  authenticate(token: string): Promise<CrmUser | null>;
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
  return {
    async authenticate(token: string): Promise<CrmUser | null> {
      if (oidc && looksLikeJwt(token)) {
        try {
          const { payload } = await jwtVerify(token, oidc.jwks, {
            issuer: oidc.issuer,
            audience: oidc.audience,
          });
          const userId = payload[oidc.userClaim ?? "sub"];
          if (typeof userId !== "string") return null;
          return (await users.get(userId)) ?? null;
        } catch (error) {
          logger.debug("rejected bearer JWT", {
            reason: error instanceof Error ? error.message : String(error),
          });
          return null;
        }
      }
      if (!opaque || token.length > 200) return null;
      return users.authenticateToken(token);
    },
  };
}
