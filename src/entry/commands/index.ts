/**
 * The FunctionFile (commands.html / commands.js): the ribbon commands. The registrations run at the top level;
 * test/manifest checks them against the production bundle. Each click follows the one-owner rule
 * (sync-owner.ts): it works under the sync lock itself, or forwards to the pinned pane that holds it.
 */
import "./zod-without-eval";
import { startAddinRuntime } from "./addin-runtime";
import { BROWSER_CLOCK } from "./browser-clock";
import { CONSOLE_LOGGER } from "./cache-logger";
import { ownedCommandServices } from "./owned-command-services";
import {
  browserLocks,
  browserRequestStore,
  pageSignIn,
  productionHost,
  productionPorts,
} from "./production-ports";
import { registerCommands } from "./register-commands";

registerCommands(Office, () =>
  Office.onReady().then(() => {
    const signIn = pageSignIn();
    const { host } = productionHost(signIn);
    return ownedCommandServices({
      host,
      logger: CONSOLE_LOGGER,
      locks: browserLocks(),
      store: browserRequestStore(),
      clock: BROWSER_CLOCK,
      mailbox: host.mailboxUser().emailAddress,
      startRuntime: () => productionPorts(signIn).then(startAddinRuntime),
      newId: () => crypto.randomUUID(),
    });
  }),
);
