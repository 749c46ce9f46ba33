/**
 * The scenario format's customization packages (SCENARIOS.md "Customization packages", SPEC §11, §12): the
 * input keys (`users[].role`, `clients[].product`, `packages`), the steps `package.publish`, `package.withdraw`,
 * `package.forbid`, `package.confirm` and `user.role`, their checks, how they act on the world (the server's
 * package service as the administrator would use it, the engine's Confirm as the task pane would), and the
 * `packages` output with the package errors.
 */
import { z } from "zod";
import { SyncError } from "../../core/errors";
import { parseVersionRanges } from "../../core/version-range";
import { ADDIN_VERSION } from "../../engine/product-version";
import type { EngineStatus } from "../../engine/sync-engine";
import { PACKAGE_VERSION_PATTERN, REQUIRED_PACKAGE_FILES } from "../../protocol/customization-package";
import { DEFAULT_ROLE } from "../../server/sync/user-service";
import type { CrmService } from "../../server/sync/crm-service";

const VersionSchema = z.string().regex(PACKAGE_VERSION_PATTERN, "four dot-separated numbers, e.g. 1.0.0.0");
const RoleSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._@ -]+$/, "letters, digits, spaces and ._@- only");

/** A package as `packages[]` and `package.publish` describe it. */
export const PackageInputSchema = z.strictObject({
  role: RoleSchema,
  version: VersionSchema,
  preferredProduct: VersionSchema,
  products: z.string().max(500),
  schemas: z.string().max(500),
  entities: z
    .array(z.enum(["contact", "appointment", "task", "email"]))
    .max(4)
    .optional(),
  omit: z
    .array(z.enum(REQUIRED_PACKAGE_FILES as [string, ...string[]]))
    .max(4)
    .optional(),
});
export type PackageInput = z.infer<typeof PackageInputSchema>;

/** A client's add-in version (`clients[].product`). */
export const ProductSchema = VersionSchema;
/** A user's CRM role (`users[].role`). */
export const ScenarioRoleSchema = RoleSchema;

/** The package steps for the step union of scenario-schema.ts, built on its `at` and id schemas. */
export function packageStepSchemas<A extends z.ZodType, I extends z.ZodType>(atSchema: A, idSchema: I) {
  const when = { at: atSchema.optional() };
  return [
    z.strictObject({ ...when, do: z.literal("package.publish"), ...PackageInputSchema.shape }),
    z.strictObject({ ...when, do: z.literal("package.withdraw"), role: RoleSchema }),
    z.strictObject({ ...when, do: z.literal("package.forbid"), user: idSchema, forbidden: z.boolean() }),
    z.strictObject({ ...when, do: z.literal("package.confirm"), client: idSchema }),
    z.strictObject({ ...when, do: z.literal("user.role"), user: idSchema, role: RoleSchema }),
  ] as const;
}

/** The step kinds this module runs. */
export type PackageStep =
  | ({ do: "package.publish" } & PackageInput)
  | { do: "package.withdraw"; role: string }
  | { do: "package.forbid"; user: string; forbidden: boolean }
  | { do: "package.confirm"; client: string }
  | { do: "user.role"; user: string; role: string };

/** The header keys this module reads. */
export interface PackageHeader {
  readonly users: readonly { readonly id: string; readonly role?: string | undefined }[];
  readonly clients: readonly { readonly id: string; readonly product?: string | undefined }[];
  readonly packages?: readonly PackageInput[] | undefined;
  readonly steps: readonly { readonly do: string }[];
}

const PACKAGE_STEPS: ReadonlySet<string> = new Set([
  "package.publish",
  "package.withdraw",
  "package.forbid",
  "package.confirm",
  "user.role",
]);

/** True when the step is one of this module's. */
export function isPackageStep(step: { readonly do: string }): step is PackageStep {
  return PACKAGE_STEPS.has(step.do);
}

/**
 * True when the scenario uses any package key. A scenario that uses none runs as before the keys existed:
 * the world publishes the default package for the default role, so the defaults stay in force without a
 * `packageUnavailable` error.
 */
export function usesPackages(scenario: PackageHeader): boolean {
  return (
    scenario.packages !== undefined ||
    scenario.users.some((user) => user.role !== undefined) ||
    scenario.clients.some((client) => client.product !== undefined) ||
    scenario.steps.some(isPackageStep)
  );
}

/** The problem of a package's range lists, as the admin command would refuse them, with its JSON path. */
function rangeProblem(input: PackageInput): { key: string; message: string } | null {
  for (const key of ["products", "schemas"] as const) {
    try {
      parseVersionRanges(input[key], key);
    } catch (error) {
      if (error instanceof SyncError) return { key, message: error.details ?? error.message };
      throw error;
    }
  }
  return null;
}

/**
 * The checks the shape cannot make: range lists parse, and the users a package step names exist. Returns the
 * first problem as a JSON path (`steps[2].products`) and a message, or null.
 */
export function packageProblem(
  scenario: PackageHeader & { readonly steps: readonly unknown[] },
  users: ReadonlySet<string>,
): { path: PropertyKey[]; message: string } | null {
  for (const [index, input] of (scenario.packages ?? []).entries()) {
    const problem = rangeProblem(input);
    if (problem) return { path: ["packages", index, problem.key], message: problem.message };
  }
  for (const [index, raw] of scenario.steps.entries()) {
    const step = raw as { do: string };
    if (!isPackageStep(step)) continue;
    if (step.do === "package.publish") {
      const problem = rangeProblem(step);
      if (problem) return { path: ["steps", index, problem.key], message: problem.message };
    }
    if ((step.do === "package.forbid" || step.do === "user.role") && !users.has(step.user)) {
      return { path: ["steps", index, "user"], message: `unknown user "${step.user}"` };
    }
  }
  return null;
}

/** Publishes a package as the administrator would (any zip: `omit` makes a broken one on purpose). */
export async function publishPackage(service: CrmService, input: PackageInput): Promise<void> {
  await service.packages.publish({
    role: input.role,
    version: input.version,
    preferredProduct: input.preferredProduct,
    products: input.products,
    schemas: input.schemas,
    ...(input.entities === undefined ? {} : { entityTypes: input.entities }),
    ...(input.omit === undefined ? {} : { omit: input.omit }),
  });
}

/** What the world publishes before the first step: the scenario's packages, or the default package. */
export async function publishInitialPackages(service: CrmService, scenario: PackageHeader): Promise<void> {
  if (!usesPackages(scenario)) {
    await publishPackage(service, {
      role: DEFAULT_ROLE,
      version: ADDIN_VERSION,
      preferredProduct: ADDIN_VERSION,
      products: ADDIN_VERSION,
      schemas: ADDIN_VERSION,
    });
    return;
  }
  for (const input of scenario.packages ?? []) await publishPackage(service, input);
}

/** What the package steps need of the world. */
export interface PackageWorld {
  readonly service: CrmService;
  confirm(clientId: string): Promise<void>;
}

/** Runs one package step. */
export async function runPackageStep(world: PackageWorld, step: PackageStep): Promise<void> {
  switch (step.do) {
    case "package.publish":
      await publishPackage(world.service, step);
      return;
    case "package.withdraw":
      await world.service.packages.withdraw(step.role);
      return;
    case "package.forbid":
      await world.service.packages.forbid(step.user, step.forbidden);
      return;
    case "package.confirm":
      await world.confirm(step.client);
      return;
    case "user.role":
      await world.service.users.setRole(step.user, step.role);
      return;
  }
}

/** One client's entry of the `packages` output. */
export interface OutputPackages {
  readonly applied: string | null;
  readonly waiting?: string;
  readonly preferredProduct?: string;
  readonly entities: readonly string[];
}

/** The `packages` output of one client, from its engine's status. */
export function outputPackages(status: EngineStatus): OutputPackages {
  const pkg = status.package;
  return {
    applied: pkg.applied?.version ?? null,
    ...(pkg.waiting !== null && !pkg.waiting.confirmed ? { waiting: pkg.waiting.version } : {}),
    ...(pkg.preferredProduct === null ? {} : { preferredProduct: pkg.preferredProduct }),
    entities: [...pkg.entities],
  };
}

/** A package error in the output, before refs are resolved: a package problem, or an item's change. */
export interface PackageError {
  readonly item: {
    readonly mapId: string;
    readonly itemId: string | null;
    readonly crmId: string | null;
  } | null;
  readonly code: string;
  readonly message: string;
}

/**
 * The user-visible package errors of one client: the package problem (`ref: null`), each local change a
 * confirmed package could not save (`changeNotSaved`), and each change whose failed push keeps a package from
 * applying (its own error code).
 */
export function packageErrors(status: EngineStatus): PackageError[] {
  const pkg = status.package;
  const errors: PackageError[] = [];
  if (pkg.problem !== null) errors.push({ item: null, code: pkg.problem.code, message: pkg.problem.message });
  const confirmed = pkg.waiting?.confirmed === true ? pkg.waiting.unsaved : [];
  for (const change of [...pkg.notSaved, ...confirmed]) {
    errors.push({ item: change, code: "changeNotSaved", message: change.message });
  }
  const shown = new Set(status.errors.map((error) => error.mapId));
  for (const change of pkg.blocked?.changes ?? []) {
    if (shown.has(change.mapId)) continue;
    errors.push({
      item: { mapId: change.mapId, itemId: null, crmId: null },
      code: change.code,
      message: `${change.message} CRM package ${pkg.blocked?.version ?? ""} waits until this change is saved.`,
    });
  }
  return errors;
}
