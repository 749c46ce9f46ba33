/**
 * The CRM tokens a background worker speaks the sync protocol with, one per mailbox's user (SPEC "Background
 * sync: the headless engine": CRM access goes through the protocol with a token of the mailbox's user). A token
 * is minted when a user's first run needs it, valid for an hour and reused until ten minutes are left, so a
 * mailbox synced every 15 minutes adds about one token row an hour. A replaced token is left to expire (a run may
 * still be using it); the worker revokes the tokens it holds when it stops.
 */
import { SyncError } from "../core/errors";
import type { Clock } from "../ports/clock";

/** What minting and revoking need of the CRM's users (the server's UserService). */
export interface TokenIssuer {
  issueToken(userId: string, label: string, lifetimeMs: number): Promise<string>;
  revokeToken(id: string): Promise<void>;
}

/** The label of a worker's tokens in `outlook-crm-server token list`. */
export const WORKER_TOKEN_LABEL = "background sync";

const LIFETIME_MS = 60 * 60_000;
const RENEW_BEFORE_MS = 10 * 60_000;

export class UserCrmTokens {
  private readonly held = new Map<string, { token: Promise<string>; expiresAt: number }>();

  constructor(
    private readonly issuer: TokenIssuer,
    private readonly clock: Clock,
    /** The id of a token (tokenIdOf), to revoke it. */
    private readonly idOf: (token: string) => string,
  ) {}

  /** A token of `userId` with at least ten minutes left; mints one when there is none. */
  tokenFor(userId: string): Promise<string> {
    const now = this.clock.now();
    const current = this.held.get(userId);
    if (current !== undefined && current.expiresAt - now > RENEW_BEFORE_MS) return current.token;
    const token = this.issuer.issueToken(userId, WORKER_TOKEN_LABEL, LIFETIME_MS);
    this.held.set(userId, { token, expiresAt: now + LIFETIME_MS });
    token.catch(() => {
      if (this.held.get(userId)?.token === token) this.held.delete(userId);
    });
    return token;
  }

  /** Revokes every token this worker holds. */
  async revokeAll(): Promise<void> {
    const tokens = [...this.held.values()].map((entry) => entry.token);
    this.held.clear();
    await Promise.all(tokens.map((token) => this.revoke(token)));
  }

  /** Revokes one token; one whose minting failed, or that an administrator revoked already, is nothing to do. */
  private async revoke(token: Promise<string>): Promise<void> {
    const minted = await token.catch(() => null);
    if (minted === null) return;
    try {
      await this.issuer.revokeToken(this.idOf(minted));
    } catch (error) {
      if (!(error instanceof SyncError && error.code === "notFound")) throw error;
    }
  }
}
