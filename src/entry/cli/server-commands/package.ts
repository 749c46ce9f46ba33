/**
 * `package …`: customization packages per role (SPEC §11). Publish from a folder holding the package's files
 * (info.xml and the metadata files; checked as the add-in will check them, so a broken package is refused here
 * and not by every user's add-in), or from flags over the default package's metadata; write the default package
 * into a folder to start from; list, withdraw, and refuse or allow a user the download.
 */
import { readFile, readdir, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_PACKAGE_METADATA } from "../../../core/customization-package";
import { SYNCED_ENTITY_TYPES, type EntityType } from "../../../core/types";
import { packageFiles, readPackageFiles, REQUIRED_PACKAGE_FILES, zipFiles } from "../../../protocol";
import { createCrmService, definitionOf, packageDefinitionProblem, type CrmService } from "../../../server";
import { ADDIN_VERSION } from "../../../engine/product-version";
import { DEFAULT_ROLE } from "../../../server/sync/user-service";
import { UsageError, type CommandContext, type ServerCommand } from "./command";

const USAGE = [
  {
    form: "package publish <folder>",
    summary:
      "publish the package in <folder> (info.xml, entities.json, field-maps.json, filters.json) for its role",
  },
  {
    form: "package publish --role <role> --version <v> --products <ranges> --schemas <ranges> [--preferred <v>] [--entities contact,appointment,task,email]",
    summary:
      "publish the default package's mapping and filters with this compatibility element and these types",
  },
  {
    form: "package template <folder> [--role <role>] [--version <v>] [--products …] [--schemas …] [--preferred …] [--entities …]",
    summary: "write the default package (SPEC mapping and filters) into <folder>, to edit and then publish",
  },
  {
    form: "package list [--role <role>]",
    summary: "list the published packages, newest first; * marks the current one",
  },
  { form: "package withdraw --role <role>", summary: "withdraw the role's packages: its users get none" },
  {
    form: "package forbid <user> | package allow <user>",
    summary: "refuse (403) or allow the user the download",
  },
] as const;

const OPTIONS = {
  role: { type: "string" },
  version: { type: "string" },
  products: { type: "string" },
  schemas: { type: "string" },
  preferred: { type: "string" },
  entities: { type: "string" },
} as const;

type Values = { readonly [K in keyof typeof OPTIONS]?: string };

function entityTypes(text: string): EntityType[] {
  const list = text
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  for (const entry of list) {
    if (!(SYNCED_ENTITY_TYPES as readonly string[]).includes(entry)) {
      throw new UsageError(
        `--entities: unknown entity type "${entry}" (use ${SYNCED_ENTITY_TYPES.join(", ")})`,
      );
    }
  }
  return list as EntityType[];
}

function required(values: Values, name: keyof Values): string {
  const value = values[name];
  if (value === undefined || value.trim() === "") throw new UsageError(`--${name} is required`);
  return value.trim();
}

/** Reads a package folder's files; only the package's own files are read, and each must be there. */
async function readFolder(folder: string): Promise<Record<string, string>> {
  const names = await readdir(folder).catch((error: unknown) => {
    throw new UsageError(`cannot read the folder ${folder}: ${error instanceof Error ? error.message : ""}`);
  });
  const files: Record<string, string> = {};
  for (const name of REQUIRED_PACKAGE_FILES) {
    if (names.includes(name)) files[name] = await readFile(path.join(folder, name), "utf8");
  }
  return files;
}

/** What to do once the database is open; the command line is checked before. */
type Step = (service: CrmService, context: CommandContext) => Promise<void>;

async function publishFolder(folder: string): Promise<Step> {
  const files = await readFolder(folder);
  const read = readPackageFiles(files);
  if (!read.ok) throw new UsageError(`${folder}: not a valid package: ${read.problem}`);
  const { role, version } = read.package;
  return async (service, context) => {
    await service.packages.publishZip({ role, version, zip: zipFiles(files) });
    context.print(`published package ${version} for role "${role}" from ${folder}`);
  };
}

function publishFlags(values: Values): Step {
  const request = {
    role: required(values, "role"),
    version: required(values, "version"),
    preferredProduct: values.preferred?.trim() ?? null,
    products: required(values, "products"),
    schemas: required(values, "schemas"),
    ...(values.entities === undefined ? {} : { entityTypes: entityTypes(values.entities) }),
  };
  const problem = packageDefinitionProblem(request);
  if (problem !== null) throw new UsageError(`--${flagOf(problem.field)}: ${problem.message}`);
  return async (service, context) => {
    await service.packages.publish(request);
    context.print(`published package ${request.version} for role "${request.role}"`);
  };
}

/** The step of an action that needs the database, from the checked command line. */
async function stepOf(action: string | undefined, target: string | undefined, values: Values): Promise<Step> {
  switch (action) {
    case "publish":
      return target === undefined ? publishFlags(values) : publishFolder(target);
    case "withdraw": {
      const role = required(values, "role");
      return async (service, context) => {
        context.print(`withdrew ${await service.packages.withdraw(role)} package(s) of role "${role}"`);
      };
    }
    case "list":
      return async (service, context) => {
        for (const p of await service.packages.list(values.role)) {
          const state = p.current ? "*" : p.withdrawn ? "withdrawn" : "";
          context.print(
            `${p.role}\t${p.version}\t${new Date(p.publishedAt).toISOString()}\t${state}`.trimEnd(),
          );
        }
      };
    default: {
      const user = target ?? "";
      const forbidden = action === "forbid";
      return async (service, context) => {
        await service.packages.forbid(user, forbidden);
        context.print(`${forbidden ? "refused" : "allowed"} ${user} the package download`);
      };
    }
  }
}

const flagOf = (field: string): string =>
  ({ preferredProduct: "preferred", metadata: "entities" })[field] ?? field;

/**
 * Writes the default package into a folder. Left out, the role is the default one, the version 1.0.0.0, the
 * products this add-in's major version, the schemas the package's own version, and the types all of them.
 */
async function writeTemplate(folder: string, values: Values, context: CommandContext): Promise<void> {
  const version = values.version ?? "1.0.0.0";
  const request = {
    role: values.role ?? DEFAULT_ROLE,
    version,
    preferredProduct: values.preferred ?? ADDIN_VERSION,
    products: values.products ?? `${ADDIN_VERSION}-${ADDIN_VERSION.split(".")[0] ?? "1"}.99.99.99`,
    schemas: values.schemas ?? version,
    entityTypes:
      values.entities === undefined ? DEFAULT_PACKAGE_METADATA.entityTypes : entityTypes(values.entities),
  };
  const problem = packageDefinitionProblem(request);
  if (problem !== null) throw new UsageError(`--${flagOf(problem.field)}: ${problem.message}`);
  await mkdir(folder, { recursive: true });
  const files = packageFiles(definitionOf(request));
  for (const [name, content] of Object.entries(files)) await writeFile(path.join(folder, name), content);
  context.print(`wrote the default package ${version} for role "${request.role}" to ${folder}`);
}

export const packageCommand: ServerCommand = {
  name: "package",
  usage: USAGE,
  async run(args, context) {
    const { positionals, values } = parseArgs({ args: [...args], allowPositionals: true, options: OPTIONS });
    const [action, target, ...rest] = positionals;
    const unknown = (): UsageError => new UsageError(`unknown command "package ${positionals.join(" ")}"`);
    if (rest.length > 0) throw unknown();
    if (action === "template") {
      if (target === undefined) throw new UsageError("package template needs a folder");
      await writeTemplate(target, values, context);
      return;
    }
    const withUser = action === "forbid" || action === "allow";
    if (withUser ? target === undefined : target !== undefined && action !== "publish") throw unknown();
    if (!["publish", "list", "withdraw", "forbid", "allow"].includes(action ?? "")) throw unknown();
    const step = await stepOf(action, target, values);
    const db = await context.openDatabase();
    try {
      await step(createCrmService({ db, clock: context.clock, logger: context.logger }), context);
    } finally {
      await db.close();
    }
  },
};
