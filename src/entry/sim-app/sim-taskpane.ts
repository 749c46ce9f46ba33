/**
 * The task pane inside the simulator page (sim-taskpane.html): the same view and controller as taskpane.html,
 * on the simulator page's add-in runtime instead of one built from office.js and Graph.
 */
import "../commands/zod-without-eval";
import { bootTaskpane } from "../taskpane/boot-taskpane";
import { part } from "../taskpane/dom";
import { simulatorOf } from "./simulator-frame";

const simulator = simulatorOf(window);
simulator.office.install(window);
bootTaskpane(part(document, "app"), (waiting) => simulator.runtime(waiting));
