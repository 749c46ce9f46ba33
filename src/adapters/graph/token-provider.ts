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
