/**
 * The FunctionFile and event-based runtime (commands.html / commands.js). The registrations run at the top
 * level, as event-based activation requires; test/manifest checks them against the production bundle.
 */
import { connectCommandServices } from "./connect-services";
import { registerCommands } from "./register-commands";

registerCommands(Office, connectCommandServices);
