/**
 * The simulator page's script (sim.html): an Outlook-like shell over the mailbox that `npm start` keeps, the
 * add-in's task pane and commands runtime in frames, a CRM side and fault controls. It never loads office.js:
 * the simulator supplies `Office` to the frames (see simulator-host.ts). The fault controls render first, so a
 * fault can always be undone, and the page starts while the CRM is down.
 */
import "../commands/zod-without-eval";
import { failureText } from "../commands/command-runner";
import { part } from "../taskpane/dom";
import { CrmPanel } from "./crm-panel";
import { forgetAddinCache, renderFaultControls } from "./fault-controls";
import { ribbonFromManifest } from "./manifest-ribbon";
import { ServerMailbox } from "./server-mailbox";
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
  const faults = renderFaultControls(part(document, "faults"));
  const [manifest, session] = await Promise.all([
    fetch("manifest.xml", { cache: "no-store" }).then((response) => response.text()),
    fetchSession(),
  ]);
  await forgetAddinCache(session.owner.emailAddress);
  const mailbox = await ServerMailbox.open(session.owner);
  const host = createSimulatorHost(mailbox, session);
  window.crmSimulator = host;
  window.addEventListener("pagehide", () => host.dispose(), { once: true });
  faults.attach(mailbox);
  // The Outlook view does not wait for the add-in: while another tab holds the sync, only the pane waits.
  host
    .runtime(() => {
      part(document, "boot-status").textContent =
        "Another simulator tab is synchronizing this mailbox. Its CRM pane takes over when that tab closes.";
    })
    .then(
      (runtime) => {
        part(document, "boot-status").textContent = "";
        runtime.engine
          .syncNow()
          .catch((error: unknown) => runtime.logger.warn("first sync failed", { error: String(error) }));
      },
      (error: unknown) => {
        part(document, "boot-status").textContent = `The add-in could not start. ${failureText(error)}`;
      },
    );

  const commands = part<HTMLIFrameElement>(document, "commands-frame");
  const commandsReady = frameLoaded(commands);
  commands.src = "sim-commands.html";
  const pane = part<HTMLIFrameElement>(document, "taskpane-frame");
  const shell = new SimShell(part(document, "outlook"), mailbox, ribbonFromManifest(manifest), {
    runFunction: async (name) => {
      await commandsReady;
      await host.office.runAction(name);
    },
    sendAppointment: (itemId) => host.office.sendAppointment(itemId),
    showTaskpane: (url) => {
      const src = simulatorPage(url);
      if (!pane.src.endsWith(src.replace(/^.*\//, ""))) pane.src = src;
      part(document, "addin").hidden = false;
    },
  });
  shell.openInbox();
  const panel = new CrmPanel(part(document, "crm"), crmClientFor(session), session.userId);
  await panel.refresh();
  document.body.dataset["ready"] = "true";
}

boot().catch((error: unknown) => {
  part(document, "boot-status").textContent = `The simulator could not start. ${failureText(error)}`;
  document.body.dataset["ready"] = "failed";
});
