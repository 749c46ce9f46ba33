/** `token list`, `token revoke` and `token revoke-all`: the opaque bearer tokens the admin command printed. */
import { createCrmService } from "../../../server";
import { UsageError, type ServerCommand } from "./command";
import { utcTime as day } from "./format";

export const tokenCommand: ServerCommand = {
  name: "token",
  usage: [
    {
      form: "token list [<user>]",
      summary: "list tokens (id, user, label, created, expires); the tokens themselves are never stored",
    },
    { form: "token revoke <id>", summary: "revoke one token by the id token list shows" },
    { form: "token revoke-all <user>", summary: "revoke every token of a user (they are signed out)" },
  ],
  async run(args, context) {
    const [action, target, ...rest] = args;
    const known =
      rest.length === 0 &&
      ((action === "list" && args.length <= 2) ||
        ((action === "revoke" || action === "revoke-all") && target !== undefined));
    if (!known) throw new UsageError(`unknown command "token ${args.join(" ")}"`);
    const db = await context.openDatabase();
    try {
      const { users } = createCrmService({ db, clock: context.clock, logger: context.logger });
      if (action === "list") {
        for (const token of await users.listTokens(target)) {
          const state = token.expired ? "expired" : "expires";
          context.print(
            `${token.id}  ${token.userId}  ${token.label}  created ${day(token.createdAt)}  ${state} ${day(token.expiresAt)}`,
          );
        }
      } else if (action === "revoke" && target !== undefined) {
        await users.revokeToken(target);
        context.print(`revoked token ${target}`);
      } else if (target !== undefined) {
        const count = await users.revokeAllTokens(target);
        context.print(`revoked ${count} token${count === 1 ? "" : "s"} of ${target}`);
      }
    } finally {
      await db.close();
    }
  },
};
