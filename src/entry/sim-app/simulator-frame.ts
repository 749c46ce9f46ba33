import { invariant } from "../../core/errors";
import type { SimulatorHost } from "./simulator-host";

/** The simulator host of an add-in frame: its parent page's `crmSimulator`; a frame outside the simulator is a defect. */
export function simulatorOf(frame: Window): SimulatorHost {
  const host = frame.parent === frame ? undefined : frame.parent.crmSimulator;
  invariant(host !== undefined, "this page runs only inside the simulator page (sim.html)");
  return host;
}
