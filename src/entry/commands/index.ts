/**
 * The FunctionFile and event-based runtime (commands.html / commands.js). The registrations run at the top
 * level, as event-based activation requires; test/manifest checks them against the production bundle.
 */
import { startAddinRuntime } from "./addin-runtime";
import { engineCommandServices } from "./engine-command-services";
import { productionPorts } from "./production-ports";
import { registerCommands } from "./register-commands";

registerCommands(Office, () =>
  Office.onReady().then(productionPorts).then(startAddinRuntime).then(engineCommandServices),
);
