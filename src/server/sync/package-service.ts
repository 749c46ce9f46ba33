/** Customization packages per security role (SPEC §11): publish and download. */
import { SyncError } from "../../core/errors";
import type { CustomizationPackageDownload } from "../../ports/crm-client";
import { PACKAGE_VERSION_PATTERN } from "../../protocol";
import { buildPackageZip, type PackageDefinition } from "./customization-package";
import type { ServiceContext } from "./service-context";
import { InputError } from "./service-errors";
import type { UserService } from "./user-service";

export class PackageService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly users: UserService,
  ) {}

  /**
   * Publishes a zip as the role's current package. Any zip is accepted, so a broken package can be published
   * on purpose (the client must reject it); republishing a version the role already has is invalidInput.
   */
  async publishZip(request: { role: string; version: string; zip: Uint8Array }): Promise<void> {
    if (!PACKAGE_VERSION_PATTERN.test(request.version)) {
      throw new InputError("version", "must be four dot-separated numbers, e.g. 1.0.0.0");
    }
    if (request.role.trim() === "") throw new InputError("role", "must not be empty");
    const result = await this.ctx.db.query(
      `INSERT INTO customization_packages (role, version, content, published_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (role, version) DO NOTHING`,
      [request.role, request.version, request.zip, this.ctx.clock.now()],
    );
    if (result.rowCount === 0) {
      throw new InputError("version", `role "${request.role}" already has package ${request.version}`);
    }
    this.ctx.logger.info("published customization package", { role: request.role, version: request.version });
  }

  /** Builds the package from its definition and publishes it. */
  async publish(definition: PackageDefinition): Promise<void> {
    await this.publishZip({
      role: definition.role,
      version: definition.version,
      zip: buildPackageZip(definition),
    });
  }

  /** The role's current package. forbidden without SyncToOutlook, packageUnavailable when none is published. */
  async download(userId: string): Promise<CustomizationPackageDownload> {
    const user = await this.users.require(userId);
    if (!user.privileges.includes("SyncToOutlook")) {
      throw new SyncError("forbidden", {
        details: "downloading the customization package needs SyncToOutlook",
      });
    }
    const result = await this.ctx.db.query<{ version: string; content: Uint8Array }>(
      "SELECT version, content FROM customization_packages WHERE role = $1 ORDER BY id DESC LIMIT 1",
      [user.role],
    );
    const row = result.rows[0];
    if (!row)
      throw new SyncError("packageUnavailable", {
        details: `no package is published for role "${user.role}"`,
      });
    return { version: row.version, zip: new Uint8Array(row.content) };
  }
}
