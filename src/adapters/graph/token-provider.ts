/** Where the Graph store gets its bearer tokens. */
export interface TokenProvider {
  /** A current access token for Microsoft Graph; may prompt the user once when consent is missing. */
  getToken(): Promise<string>;
}

/** A fixed token, for a Graph subset server started with that one token (tests, scenarios, the benches). */
export class StaticTokenProvider implements TokenProvider {
  constructor(private readonly token: string) {}

  getToken(): Promise<string> {
    return Promise.resolve(this.token);
  }
}
