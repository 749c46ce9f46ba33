/**
 * Microsoft Graph application tokens for the headless engine: the OAuth 2.0 client credentials grant through
 * @azure/msal-node's ConfidentialClientApplication, scope `https://graph.microsoft.com/.default` (the
 * application permissions an admin consented to: Mail.ReadWrite, Contacts.ReadWrite, Calendars.ReadWrite,
 * Tasks.ReadWrite). msal-node caches the token and asks Entra ID for a new one before it expires.
 * Node only (kept apart from token-provider.ts, which the add-in's bundle imports).
 */
import { ConfidentialClientApplication, type Configuration, type INetworkModule } from "@azure/msal-node";
import { SyncError } from "../../core/errors";
import type { TokenProvider } from "./token-provider";

/** identity-platform/v2-oauth2-client-creds-grant-flow: the `.default` scope of Microsoft Graph. */
export const GRAPH_APP_SCOPE = "https://graph.microsoft.com/.default";

/** The application permissions the app registration needs (README "Background sync"). */
export const GRAPH_APP_PERMISSIONS = [
  "Mail.ReadWrite",
  "Contacts.ReadWrite",
  "Calendars.ReadWrite",
  "Tasks.ReadWrite",
] as const;

/** How the app proves who it is: a client secret, or a certificate (its SHA-256 thumbprint and private key). */
export type AppCredential =
  | { readonly clientSecret: string }
  | {
      readonly certificate: {
        readonly thumbprintSha256: string;
        readonly privateKey: string;
        readonly x5c?: string;
      };
    };

export interface AppTokenOptions {
  /** The Entra tenant (directory) id or domain. */
  readonly tenantId: string;
  /** The app registration's application (client) id. */
  readonly clientId: string;
  readonly credential: AppCredential;
  /** Default https://login.microsoftonline.com (sovereign clouds use their own). */
  readonly authorityHost?: string;
  /** The HTTP client msal-node uses; default its own. Tests answer with a local fake token endpoint. */
  readonly networkClient?: INetworkModule;
  /** The authority's OpenID metadata as JSON, so msal-node needs no discovery request (tests, restricted egress). */
  readonly authorityMetadata?: string;
  /** The instance discovery answer as JSON, for the same reason. */
  readonly cloudDiscoveryMetadata?: string;
}

/** Checks the options and names what is wrong. */
function validated(options: AppTokenOptions): AppTokenOptions {
  const problems: string[] = [];
  if (!/^[A-Za-z0-9.-]+$/.test(options.tenantId)) problems.push("tenantId must be a tenant id or domain");
  if (!/^[0-9a-fA-F-]{36}$/.test(options.clientId))
    problems.push("clientId must be the application (client) id, a GUID");
  if ("clientSecret" in options.credential && options.credential.clientSecret === "") {
    problems.push("credential.clientSecret is empty");
  }
  if (
    "certificate" in options.credential &&
    !options.credential.certificate.privateKey.includes("PRIVATE KEY")
  ) {
    problems.push("credential.certificate.privateKey must be a PEM private key");
  }
  if (problems.length > 0)
    throw new SyncError("invalidInput", { details: `Graph app token: ${problems.join("; ")}.` });
  return options;
}

/** The msal-node configuration of {@link MsalAppTokenProvider}. */
export function appTokenConfiguration(options: AppTokenOptions): Configuration {
  const checked = validated(options);
  const host = (checked.authorityHost ?? "https://login.microsoftonline.com").replace(/\/+$/, "");
  const credential: Configuration["auth"] =
    "clientSecret" in checked.credential
      ? { clientId: checked.clientId, clientSecret: checked.credential.clientSecret }
      : { clientId: checked.clientId, clientCertificate: { ...checked.credential.certificate } };
  return {
    auth: {
      ...credential,
      authority: `${host}/${checked.tenantId}`,
      ...(checked.authorityMetadata === undefined ? {} : { authorityMetadata: checked.authorityMetadata }),
      ...(checked.cloudDiscoveryMetadata === undefined
        ? {}
        : { cloudDiscoveryMetadata: checked.cloudDiscoveryMetadata }),
    },
    ...(checked.networkClient === undefined ? {} : { system: { networkClient: checked.networkClient } }),
  };
}

/** A TokenProvider of application tokens for Graph (client credentials). One per app registration. */
export class MsalAppTokenProvider implements TokenProvider {
  private readonly app: ConfidentialClientApplication;

  constructor(options: AppTokenOptions) {
    this.app = new ConfidentialClientApplication(appTokenConfiguration(options));
  }

  async getToken(): Promise<string> {
    try {
      const result = await this.app.acquireTokenByClientCredential({ scopes: [GRAPH_APP_SCOPE] });
      if (result === null || result.accessToken === "") throw new Error("Entra ID returned no access token");
      return result.accessToken;
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw new SyncError("mailboxUnreachable", {
        details: `No Graph application token from Entra ID: ${reason}`,
        cause,
      });
    }
  }
}
