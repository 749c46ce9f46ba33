/** Users, their privileges and security role, and their opaque bearer tokens (stored as SHA-256 hashes). */
import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import { SyncError } from "../../core/errors";
import type { Privilege } from "../../core/types";
import type { WhoAmI } from "../../ports/crm-client";
import { PrivilegeSchema, UserIdSchema } from "../../protocol";
import { allocateVersions, notifyChange } from "./change-feed";
import { appointmentsNaming } from "./filter-sql";
import type { SqlExecutor } from "../db/database";
import type { ServiceContext } from "./service-context";
import { InputError } from "./service-errors";
import { parseInput } from "./validate-input";

/** The security role a user gets when none is given; it picks the customization package. */
export const DEFAULT_ROLE = "salesperson";

/** How long an opaque token is valid when the admin does not say: 90 days. */
export const DEFAULT_TOKEN_LIFETIME_MS = 90 * 86_400_000;

/** An opaque token as `token list` shows it; the token itself is never stored. */
export interface TokenInfo {
  /** The first 16 hex digits of the token's SHA-256: what `token revoke` takes. */
  readonly id: string;
  readonly userId: string;
  readonly label: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly expired: boolean;
}

const NewUserSchema = z.strictObject({
  id: UserIdSchema,
  emails: z.array(z.email().max(254)).max(20).optional(),
  displayName: z.string().max(200).optional(),
  role: z.string().min(1).max(64).optional(),
  privileges: z.array(PrivilegeSchema),
  administrator: z.boolean().optional(),
  signInIdentity: z.string().min(1).max(600).optional(),
});

const SignInIdentitySchema = NewUserSchema.shape.signInIdentity.unwrap();

/** A user as the service stores it. */
export interface CrmUser {
  readonly id: string;
  readonly emails: readonly string[];
  readonly displayName: string | null;
  readonly role: string;
  readonly privileges: readonly Privilege[];
  /** A CRM administrator may read and change every record (docs/SPEC.md "CRM record access"). */
  readonly administrator: boolean;
}

interface UserRow {
  id: string;
  emails: string[];
  display_name: string | null;
  role: string;
  privileges: Privilege[];
  administrator: boolean;
}

const USER_COLUMNS = "id, emails, display_name, role, privileges, administrator";

const toUser = (row: UserRow): CrmUser => ({
  id: row.id,
  emails: row.emails,
  displayName: row.display_name,
  role: row.role,
  privileges: row.privileges,
  administrator: row.administrator,
});

const hashToken = (token: string): string => createHash("sha256").update(token).digest("hex");

/** The id of an opaque token, as `token list` shows it and {@link UserService.revokeToken} takes it. */
export const tokenIdOf = (token: string): string => hashToken(token).slice(0, 16);

export class UserService {
  constructor(private readonly ctx: ServiceContext) {}

  /**
   * Creates a user. E-mails are stored lower-cased. Appointments that already name the user (by id or e-mail)
   * enter their filter at once. Fails with invalidInput when the id is taken.
   */
  async create(request: {
    id: string;
    privileges: readonly Privilege[];
    emails?: readonly string[];
    displayName?: string;
    role?: string;
    administrator?: boolean;
    /** The OIDC sign-in identity that names this user (see {@link findBySignIn}). */
    signInIdentity?: string;
  }): Promise<CrmUser> {
    const input = parseInput(NewUserSchema, request, "user");
    const emails = [...new Set((input.emails ?? []).map((email) => email.toLowerCase()))];
    await this.ctx.db.transaction(async (tx) => {
      const taken = await tx.query("SELECT 1 FROM users WHERE id = $1 OR lower(id) = lower($1)", [input.id]);
      if (taken.rows.length > 0) throw new InputError("user.id", `a user "${input.id}" already exists`);
      if (input.signInIdentity !== undefined)
        await this.assertIdentityFree(tx, input.signInIdentity, input.id);
      const now = this.ctx.clock.now();
      await tx.query(
        `INSERT INTO users (id, display_name, emails, role, privileges, administrator, created_at, sign_in_identity)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [
          input.id,
          input.displayName ?? null,
          emails,
          input.role ?? DEFAULT_ROLE,
          [...new Set(input.privileges)],
          input.administrator ?? false,
          now,
          input.signInIdentity ?? null,
        ],
      );
      const appointments = await appointmentsNaming(tx, [input.id.toLowerCase(), ...emails]);
      if (appointments.length === 0) return;
      const first = await allocateVersions(tx, appointments.length);
      await tx.query(
        `INSERT INTO change_feed (user_id, record_id, type, version, kind, changed_at)
         SELECT $1, id, 'appointment', $2 + ordinality - 1, 'upsert', $3
           FROM unnest($4::uuid[]) WITH ORDINALITY AS a(id, ordinality)`,
        [input.id, first, now, appointments],
      );
      await notifyChange(tx, this.ctx.channel, [input.id], first + appointments.length - 1);
    });
    return this.require(input.id);
  }

  /** Replaces a user's privileges (SPEC §10). */
  async setPrivileges(id: string, privileges: readonly Privilege[]): Promise<CrmUser> {
    const list = parseInput(z.array(PrivilegeSchema), privileges, "privileges");
    const result = await this.ctx.db.query("UPDATE users SET privileges = $2 WHERE id = $1", [
      id,
      [...new Set(list)],
    ]);
    if (result.rowCount === 0) throw new SyncError("notFound", { details: `no user "${id}"` });
    return this.require(id);
  }

  /** Moves the user to another security role; their next package check gets that role's package (SPEC §11). */
  async setRole(id: string, role: string): Promise<CrmUser> {
    const parsed = parseInput(NewUserSchema.shape.role.unwrap(), role, "role");
    const result = await this.ctx.db.query("UPDATE users SET role = $2 WHERE id = $1", [id, parsed]);
    if (result.rowCount === 0) throw new SyncError("notFound", { details: `no user "${id}"` });
    return this.require(id);
  }

  /**
   * Links the user to an OIDC sign-in identity, in place of any earlier one. Fails with invalidInput when
   * another user holds it.
   */
  async setSignInIdentity(id: string, identity: string): Promise<CrmUser> {
    const parsed = parseInput(SignInIdentitySchema, identity, "identity");
    await this.ctx.db.transaction(async (tx) => {
      await this.assertIdentityFree(tx, parsed, id);
      const result = await tx.query("UPDATE users SET sign_in_identity = $2 WHERE id = $1", [id, parsed]);
      if (result.rowCount === 0) throw new SyncError("notFound", { details: `no user "${id}"` });
    });
    return this.require(id);
  }

  private async assertIdentityFree(tx: SqlExecutor, identity: string, userId: string): Promise<void> {
    const holder = await tx.query<{ id: string }>(
      "SELECT id FROM users WHERE sign_in_identity = $1 AND id <> $2",
      [identity, userId],
    );
    const other = holder.rows[0];
    if (other) throw new InputError("identity", `the sign-in identity is already linked to "${other.id}"`);
  }

  /**
   * The user an OIDC sign-in identity names: the user linked to it (see {@link setSignInIdentity}), otherwise
   * the user whose id it is (an issuer whose `sub` is the CRM user id), otherwise null.
   */
  async findBySignIn(identity: string): Promise<CrmUser | null> {
    const result = await this.ctx.db.query<UserRow>(
      `SELECT ${USER_COLUMNS} FROM users WHERE sign_in_identity = $1 OR id = $1
        ORDER BY sign_in_identity = $1 DESC NULLS LAST LIMIT 1`,
      [identity],
    );
    const row = result.rows[0];
    return row ? toUser(row) : null;
  }

  /** The user, or undefined. */
  async get(id: string): Promise<CrmUser | undefined> {
    const result = await this.ctx.db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [id]);
    const row = result.rows[0];
    return row ? toUser(row) : undefined;
  }

  /** The user, or notFound. */
  async require(id: string): Promise<CrmUser> {
    const user = await this.get(id);
    if (!user) throw new SyncError("notFound", { details: `no user "${id}"` });
    return user;
  }

  /** Every user, by id. */
  async list(): Promise<CrmUser[]> {
    const result = await this.ctx.db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users ORDER BY id`);
    return result.rows.map(toUser);
  }

  /**
   * Mints a new opaque token for the user, valid for `lifetimeMs` (default 90 days), and returns it; only its
   * hash is stored, so it is shown once. Its id (for listing and revoking) is the hash's first 16 hex digits.
   */
  async issueToken(userId: string, label = "cli", lifetimeMs = DEFAULT_TOKEN_LIFETIME_MS): Promise<string> {
    await this.require(userId);
    if (!Number.isInteger(lifetimeMs) || lifetimeMs < 1) {
      throw new InputError("lifetime", "must be a positive whole number of milliseconds");
    }
    const token = `ocs_${randomBytes(32).toString("base64url")}`;
    const now = this.ctx.clock.now();
    await this.ctx.db.query(
      "INSERT INTO api_tokens (token_hash, user_id, label, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
      [hashToken(token), userId, label, now, now + lifetimeMs],
    );
    return token;
  }

  /** The user an opaque token belongs to, or null for an unknown, revoked or expired token. */
  async authenticateToken(token: string): Promise<CrmUser | null> {
    const result = await this.ctx.db.query<UserRow>(
      `SELECT ${USER_COLUMNS.split(", ")
        .map((column) => `u.${column}`)
        .join(", ")}
         FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1 AND t.expires_at > $2`,
      [hashToken(token), this.ctx.clock.now()],
    );
    const row = result.rows[0];
    return row ? toUser(row) : null;
  }

  /** The opaque tokens, expired ones included, of one user or of everyone, oldest first. */
  async listTokens(userId?: string): Promise<TokenInfo[]> {
    const result = await this.ctx.db.query<{
      id: string;
      user_id: string;
      label: string;
      created_at: number;
      expires_at: number;
    }>(
      `SELECT left(token_hash, 16) AS id, user_id, label, created_at, expires_at FROM api_tokens
        WHERE $1::text IS NULL OR user_id = $1 ORDER BY created_at, token_hash`,
      [userId ?? null],
    );
    const now = this.ctx.clock.now();
    return result.rows.map((row) => ({
      id: row.id,
      userId: row.user_id,
      label: row.label,
      createdAt: row.created_at,
      expiresAt: row.expires_at,
      expired: row.expires_at <= now,
    }));
  }

  /** Revokes the token with id `id` (see {@link listTokens}); notFound when there is none. */
  async revokeToken(id: string): Promise<void> {
    if (!/^[0-9a-f]{16}$/.test(id))
      throw new InputError("id", "must be 16 hexadecimal digits, as token list shows");
    const result = await this.ctx.db.query("DELETE FROM api_tokens WHERE left(token_hash, 16) = $1", [id]);
    if (result.rowCount === 0) throw new SyncError("notFound", { details: `no token ${id}` });
  }

  /** Revokes every token of the user; returns how many there were. */
  async revokeAllTokens(userId: string): Promise<number> {
    await this.require(userId);
    const result = await this.ctx.db.query("DELETE FROM api_tokens WHERE user_id = $1", [userId]);
    return result.rowCount;
  }

  /** whoami: the user, privileges, role and clients. */
  async whoAmI(userId: string): Promise<WhoAmI> {
    const user = await this.require(userId);
    const clients = await this.ctx.db.query<{
      client_id: string;
      role: "primary" | "secondary";
      acked_version: number;
    }>("SELECT client_id, role, acked_version FROM subscriptions WHERE user_id = $1 ORDER BY client_id", [
      userId,
    ]);
    return {
      user: { id: user.id, emails: user.emails, displayName: user.displayName },
      privileges: user.privileges,
      role: user.role,
      clients: clients.rows.map((row) => ({
        clientId: row.client_id,
        role: row.role,
        ackedVersion: row.acked_version,
      })),
    };
  }
}
