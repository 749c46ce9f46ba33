/**
 * `user add`, `user token`, `user role` and `user identity`: CRM users, their opaque bearer tokens, their
 * security role and the OIDC sign-in identity that names them.
 */
import { parseArgs } from "node:util";
import { PRIVILEGES, type Privilege } from "../../../core/types";
import { createCrmService } from "../../../server";
import { UsageError, type ServerCommand } from "./command";
import { tokenLifetimeMs } from "./settings";

function parsePrivileges(text: string): Privilege[] {
  const list = text
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  for (const entry of list) {
    if (!(PRIVILEGES as readonly string[]).includes(entry)) {
      throw new UsageError(`--privileges: unknown privilege "${entry}" (use ${PRIVILEGES.join(", ")})`);
    }
  }
  return list as Privilege[];
}

export const userCommand: ServerCommand = {
  name: "user",
  usage: [
    {
      form: 'user add <id> --privileges SyncToOutlook,GoOffline [--email a@b.c] [--name "Full Name"] [--role salesperson] [--admin] [--identity <oid>.<tid>]',
      summary:
        "create a user and print a token for them; --admin makes a CRM administrator (every record); --identity links an OIDC sign-in",
    },
    {
      form: "user token <id>",
      summary: "print a new token for an existing user (valid TOKEN_LIFETIME_DAYS, default 90)",
    },
    {
      form: "user role <id> <role>",
      summary: "move the user to another role (and so to that role's package)",
    },
    {
      form: "user identity <id> <identity>",
      summary:
        "link the user to an OIDC sign-in: the OIDC_USER_CLAIMS values joined with '.' (Entra: <oid>.<tid>)",
    },
  ],
  async run(args, context) {
    const { positionals, values } = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: {
        privileges: { type: "string" },
        email: { type: "string", multiple: true },
        name: { type: "string" },
        role: { type: "string" },
        admin: { type: "boolean" },
        identity: { type: "string" },
      },
    });
    const [action, userId, ...rest] = positionals;
    const role = action === "role" ? rest.shift() : undefined;
    const identity = action === "identity" ? rest.shift() : undefined;
    if (
      userId === undefined ||
      rest.length > 0 ||
      !["add", "token", "role", "identity"].includes(action ?? "")
    ) {
      throw new UsageError(`unknown command "user ${positionals.join(" ")}"`);
    }
    if (action === "role" && role === undefined) throw new UsageError("user role needs a role");
    if (action === "identity" && identity === undefined) {
      throw new UsageError("user identity needs the sign-in identity");
    }
    if (action === "add" && values.privileges === undefined) {
      throw new UsageError("--privileges is required (may be empty: --privileges '')");
    }
    const db = await context.openDatabase();
    try {
      const service = createCrmService({ db, clock: context.clock, logger: context.logger });
      if (action === "add") {
        await service.users.create({
          id: userId,
          privileges: parsePrivileges(values.privileges ?? ""),
          ...(values.email ? { emails: values.email } : {}),
          ...(values.name ? { displayName: values.name } : {}),
          ...(values.role ? { role: values.role } : {}),
          ...(values.admin ? { administrator: true } : {}),
          ...(values.identity ? { signInIdentity: values.identity } : {}),
        });
      }
      if (identity !== undefined) {
        await service.users.setSignInIdentity(userId, identity);
        context.print(`${userId} now signs in as "${identity}"`);
        return;
      }
      if (role !== undefined) {
        await service.users.setRole(userId, role);
        context.print(`${userId} now has role "${role}"`);
        return;
      }
      context.print(await service.users.issueToken(userId, "cli", tokenLifetimeMs(context.env)));
    } finally {
      await db.close();
    }
  },
};
