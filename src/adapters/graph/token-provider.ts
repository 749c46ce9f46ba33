import {
  createNestablePublicClientApplication,
  InteractionRequiredAuthError,
  type IPublicClientApplication,
} from "@azure/msal-browser";

/** Where the Graph store gets its bearer tokens. */
export interface TokenProvider {
  /** A current access token for Microsoft Graph; may prompt the user once when consent is missing. */
  getToken(): Promise<string>;
}

/** A fixed token: the simulator's Graph subset server accepts one configured token. */
export class StaticTokenProvider implements TokenProvider {
  constructor(private readonly token: string) {}

  getToken(): Promise<string> {
    return Promise.resolve(this.token);
  }
}

/**
 * Tokens through MSAL nested app authentication inside Outlook: silent first (Outlook's signed-in account),
 * a popup only when MSAL says interaction is required.
 */
export class MsalNaaTokenProvider implements TokenProvider {
  private constructor(
    private readonly app: IPublicClientApplication,
    private readonly scopes: readonly string[],
  ) {}

  /** Creates the nestable MSAL application for the add-in's app registration. */
  static async create(options: {
    readonly clientId: string;
    readonly authority?: string;
    readonly scopes?: readonly string[];
  }): Promise<MsalNaaTokenProvider> {
    const app = await createNestablePublicClientApplication({
      auth: {
        clientId: options.clientId,
        authority: options.authority ?? "https://login.microsoftonline.com/common",
      },
    });
    return new MsalNaaTokenProvider(
      app,
      options.scopes ?? ["Contacts.ReadWrite", "Calendars.ReadWrite", "Tasks.ReadWrite", "Mail.ReadWrite"],
    );
  }

  async getToken(): Promise<string> {
    const account = this.app.getActiveAccount() ?? this.app.getAllAccounts()[0];
    const request = { scopes: [...this.scopes], ...(account !== undefined && { account }) };
    try {
      return (await this.app.acquireTokenSilent(request)).accessToken;
    } catch (error) {
      if (!(error instanceof InteractionRequiredAuthError)) throw error;
      return (await this.app.acquireTokenPopup(request)).accessToken;
    }
  }
}
