/**
 * The first script of sim-launch-events.html, the simulator's runtime for one launch event (see
 * launch-event-frames.ts): installs the event's `Office` and `OfficeRuntime.storage` from the simulator page and
 * takes away the rest of what the page could reach, so that the launch-events.js the page loads next sees only
 * those two.
 */
import { REMOVED_GLOBALS } from "./launch-event-frames";
import { simulatorOf } from "./simulator-frame";

const globals = simulatorOf(window).launchEvents.globalsFor(window.name);
Object.assign(window, { Office: globals.Office, OfficeRuntime: globals.OfficeRuntime });
for (const name of REMOVED_GLOBALS) {
  Object.defineProperty(window, name, { value: undefined, writable: false, configurable: false });
}
