/**
 * The commands runtime inside the simulator page (sim-commands.html): the same registrations as commands.html,
 * made on the simulator's `Office`, with services over the simulator page's add-in runtime.
 */
import "../commands/zod-without-eval";
import { engineCommandServices } from "../commands/engine-command-services";
import { registerCommands } from "../commands/register-commands";
import { simulatorOf } from "./simulator-frame";

const simulator = simulatorOf(window);
simulator.office.install(window);
registerCommands(simulator.office.office as typeof Office, () =>
  simulator.runtime().then(engineCommandServices),
);
