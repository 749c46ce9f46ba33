/**
 * Customization packages per security role (SPEC §11): publish, withdraw, refuse a user the download, and the
 * download itself. The newest publication of a role that is not withdrawn is the role's current package; its
 * entity tag (`"p<id>"`) changes with every publication, so a client's idle check is a conditional request that
 * the server answers 304 without the zip.
 */
import { SyncError } from "../../core/errors";
import type { PackageCheck } from "../../ports/crm-client";
import { buildPackageZip, PACKAGE_VERSION_PATTERN } from "../../protocol";
import { definitionOf, packageDefinitionProblem, type PublishRequest } from "./customization-package";
import type { ServiceContext } from "./service-context";
import { InputError } from "./service-errors";
import type { UserService } from "./user-service";

/** One publication of a role's package, as `package list` shows it. */
export interface PublishedPackage {
  readonly role: string;
  readonly version: string;
  readonly publishedAt: number;
  readonly withdrawn: boolean;
  /** The role's package users get now. */
  readonly current: boolean;
}

const etagOf = (id: number | string): string => `"p${id}"`;

export class PackageService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly users: UserService,
  ) {}

  /**
   * Publishes a zip as the role's current package. Any zip is accepted, so a broken package can be published
   * on purpose (the client must refuse it). Republishing a version the role has published is invalidInput,
   * unless that version was withdrawn: then the new zip replaces it.
   */
  async publishZip(request: { role: string; version: string; zip: Uint8Array }): Promise<void> {
    if (!PACKAGE_VERSION_PATTERN.test(request.version)) {
      throw new InputError("version", "must be four dot-separated numbers, e.g. 1.0.0.0");
    }
    if (request.role.trim() === "") throw new InputError("role", "must not be empty");
    await this.ctx.db.transaction(async (tx) => {
      await tx.query(
        "DELETE FROM customization_packages WHERE role = $1 AND version = $2 AND withdrawn_at IS NOT NULL",
        [request.role, request.version],
      );
      const result = await tx.query(
        `INSERT INTO customization_packages (role, version, content, published_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (role, version) DO NOTHING`,
        [request.role, request.version, request.zip, this.ctx.clock.now()],
      );
      if (result.rowCount === 0) {
        throw new InputError("version", `role "${request.role}" already has package ${request.version}`);
      }
    });
    this.ctx.logger.info("published customization package", { role: request.role, version: request.version });
  }

  /** Checks the request (versions, range lists, metadata), builds the package's zip and publishes it. */
  async publish(request: PublishRequest): Promise<void> {
    const problem = packageDefinitionProblem(request);
    if (problem !== null) throw new InputError(problem.field, problem.message);
    await this.publishZip({
      role: request.role,
      version: request.version,
      zip: buildPackageZip(definitionOf(request)),
    });
  }

  /** Withdraws every package of the role: none is offered any more. Returns how many were withdrawn. */
  async withdraw(role: string): Promise<number> {
    const result = await this.ctx.db.query(
      "UPDATE customization_packages SET withdrawn_at = $2 WHERE role = $1 AND withdrawn_at IS NULL",
      [role, this.ctx.clock.now()],
    );
    this.ctx.logger.info("withdrew customization packages", { role, count: result.rowCount });
    return result.rowCount;
  }

  /** Refuses (`true`) or allows (`false`) the user the package download; a refused download answers 403. */
  async forbid(userId: string, forbidden: boolean): Promise<void> {
    const result = await this.ctx.db.query("UPDATE users SET package_forbidden = $2 WHERE id = $1", [
      userId,
      forbidden,
    ]);
    if (result.rowCount === 0) throw new SyncError("notFound", { details: `no user "${userId}"` });
  }

  /** Every publication, of one role when given, newest first. */
  async list(role?: string): Promise<PublishedPackage[]> {
    const result = await this.ctx.db.query<{
      id: number;
      role: string;
      version: string;
      published_at: number;
      withdrawn_at: number | null;
      current_id: number | null;
    }>(
      `SELECT p.id, p.role, p.version, p.published_at, p.withdrawn_at,
              (SELECT max(c.id) FROM customization_packages c
                WHERE c.role = p.role AND c.withdrawn_at IS NULL) AS current_id
         FROM customization_packages p
        WHERE $1::text IS NULL OR p.role = $1
        ORDER BY p.role, p.id DESC`,
      [role ?? null],
    );
    return result.rows.map((row) => ({
      role: row.role,
      version: row.version,
      publishedAt: Number(row.published_at),
      withdrawn: row.withdrawn_at !== null,
      current: row.current_id !== null && Number(row.current_id) === Number(row.id),
    }));
  }

  /**
   * The user's role's current package. `etag` is the tag of the package the client holds: when it is still the
   * current one the answer carries no zip. Fails with forbidden when the user was refused the download and with
   * packageUnavailable when no package is published for the role.
   */
  async download(userId: string, etag: string | null = null): Promise<PackageCheck> {
    const user = await this.users.require(userId);
    const access = await this.ctx.db.query<{ package_forbidden: boolean }>(
      "SELECT package_forbidden FROM users WHERE id = $1",
      [userId],
    );
    if (access.rows[0]?.package_forbidden === true) {
      throw new SyncError("forbidden", {
        details: "you lack the privilege to download the customization package",
      });
    }
    const current = await this.ctx.db.query<{ id: number; version: string }>(
      `SELECT id, version FROM customization_packages WHERE role = $1 AND withdrawn_at IS NULL
        ORDER BY id DESC LIMIT 1`,
      [user.role],
    );
    const row = current.rows[0];
    if (!row)
      throw new SyncError("packageUnavailable", {
        details: `no package is published for role "${user.role}"`,
      });
    const tag = etagOf(row.id);
    if (etag === tag) return { status: "unchanged", etag: tag, role: user.role, version: row.version };
    const content = await this.ctx.db.query<{ content: Uint8Array }>(
      "SELECT content FROM customization_packages WHERE id = $1",
      [row.id],
    );
    const zip = content.rows[0]?.content;
    if (zip === undefined)
      throw new SyncError("packageUnavailable", { details: "the package was withdrawn" });
    return { status: "changed", etag: tag, role: user.role, version: row.version, zip: new Uint8Array(zip) };
  }
}
