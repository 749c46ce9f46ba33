/**
 * The simulator page's script (sim.html): an Outlook-like shell over a simulated mailbox, the add-in's task
 * pane and commands runtime in frames, a CRM side and fault controls. It never loads office.js: the simulator
 * supplies `Office` to the frames (see simulator-host.ts).
 */
import { SimulatedMailbox } from "../../sim/mailbox/simulated-mailbox";
import { BROWSER_CLOCK } from "../commands/browser-clock";
import { failureText } from "../commands/command-runner";
import { part } from "../taskpane/dom";
import { CrmPanel } from "./crm-panel";
import { loadDemoMailbox } from "./demo-mailbox";
import { renderFaultControls } from "./fault-controls";
import { ribbonFromManifest } from "./manifest-ribbon";
import { SimShell } from "./sim-shell";
import { createSimulatorHost, crmClientFor, fetchSession } from "./simulator-host";

/** The simulator's variant of an add-in page: same bundle, no office.js (`taskpane.html` → `sim-taskpane.html`). */
export function simulatorPage(url: string): string {
  return url.replace(/([^/]+\.html)$/, "sim-$1");
}

function frameLoaded(frame: HTMLIFrameElement): Promise<void> {
  return new Promise((resolve) => frame.addEventListener("load", () => resolve(), { once: true }));
}

async function boot(): Promise<void> {
  const [manifest, session] = await Promise.all([
    fetch("manifest.xml", { cache: "no-store" }).then((response) => response.text()),
    fetchSession(),
  ]);
  const crm = crmClientFor(session);
  const who = await crm.whoAmI();
  const mailbox = new SimulatedMailbox({
    clock: BROWSER_CLOCK,
    owner: {
      emailAddress: who.user.emails[0] ?? `${who.user.id}@example.com`,
      displayName: who.user.displayName ?? who.user.id,
    },
  });
  loadDemoMailbox(mailbox, BROWSER_CLOCK.now());
  const host = createSimulatorHost(mailbox, session);
  window.crmSimulator = host;
  const runtime = await host.runtime();
  runtime.engine
    .syncNow()
    .catch((error: unknown) => runtime.logger.warn("first sync failed", { error: String(error) }));

  const commands = part<HTMLIFrameElement>(document, "commands-frame");
  const commandsReady = frameLoaded(commands);
  commands.src = "sim-commands.html";
  const pane = part<HTMLIFrameElement>(document, "taskpane-frame");
  new SimShell(part(document, "outlook"), mailbox, ribbonFromManifest(manifest), {
    runFunction: async (name) => {
      await commandsReady;
      await host.office.runAction(name);
    },
    showTaskpane: (url) => {
      const src = simulatorPage(url);
      if (!pane.src.endsWith(src.replace(/^.*\//, ""))) pane.src = src;
      part(document, "addin").hidden = false;
    },
  });
  const panel = new CrmPanel(part(document, "crm"), crm, who.user.id);
  await panel.refresh();
  renderFaultControls(part(document, "faults"), mailbox);
  document.body.dataset["ready"] = "true";
}

boot().catch((error: unknown) => {
  part(document, "boot-status").textContent = `The simulator could not start. ${failureText(error)}`;
  document.body.dataset["ready"] = "failed";
});
