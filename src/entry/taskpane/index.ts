/** The task pane's script (taskpane.html): once Office is ready, the pane over the production adapters. */
import { startAddinRuntime } from "../commands/addin-runtime";
import { productionPorts } from "../commands/production-ports";
import { bootTaskpane } from "./boot-taskpane";
import { part } from "./dom";

void Office.onReady(() =>
  bootTaskpane(part(document, "app"), () => productionPorts().then(startAddinRuntime)),
);
