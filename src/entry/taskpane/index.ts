/**
 * The task pane's script (taskpane.html): once Office is ready, the pane over the production adapters. The
 * pane is the sync owner of its mailbox while it is open (src/entry/commands/sync-owner.ts).
 */
import "../commands/zod-without-eval";
import { startAddinRuntime } from "../commands/addin-runtime";
import { BROWSER_CLOCK } from "../commands/browser-clock";
import { CONSOLE_LOGGER } from "../commands/cache-logger";
import { ownSyncFromPane } from "../commands/pane-owner";
import { browserLocks, browserRequestStore, pageSignIn, productionPorts } from "../commands/production-ports";
import { bootTaskpane } from "./boot-taskpane";
import { part } from "./dom";

void Office.onReady(() =>
  bootTaskpane(part(document, "app"), (waiting) => {
    const signIn = pageSignIn();
    const ownership = ownSyncFromPane({
      locks: browserLocks(),
      store: browserRequestStore(),
      mailbox: Office.context.mailbox.userProfile.emailAddress,
      clock: BROWSER_CLOCK,
      logger: CONSOLE_LOGGER,
      startRuntime: () => productionPorts(signIn).then(startAddinRuntime),
      onWaiting: waiting,
    });
    window.addEventListener("pagehide", () => ownership.dispose(), { once: true });
    return ownership.runtime;
  }),
);
