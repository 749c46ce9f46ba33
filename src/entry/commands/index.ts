/**
 * The FunctionFile (commands.html / commands.js): the ribbon commands. The registrations run at the top level;
 * test/manifest checks them against the production bundle.
 */
import { startAddinRuntime } from "./addin-runtime";
import { engineCommandServices } from "./engine-command-services";
import { productionPorts } from "./production-ports";
import { registerCommands } from "./register-commands";

registerCommands(Office, () =>
  Office.onReady().then(productionPorts).then(startAddinRuntime).then(engineCommandServices),
);
