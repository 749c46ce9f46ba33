import { runRibbonCommand, type CompletableEvent } from "./command-runner";
import type { CommandServices } from "./command-services";

/** The part of `Office` the commands runtime registers its functions with. */
export interface ActionRegistry {
  readonly actions: { associate(name: string, action: (event: Office.AddinCommands.Event) => void): void };
}

/**
 * Registers the three ribbon commands of manifest.xml with `office.actions.associate`. `connect` builds the
 * services once, on the first click. The send events live in their own file (src/entry/launch-events), because
 * Outlook runs them in a runtime that this bundle cannot run in.
 */
export function registerCommands(office: ActionRegistry, connect: () => Promise<CommandServices>): void {
  let services: Promise<CommandServices> | undefined;
  const connected = (): Promise<CommandServices> => (services ??= connect());
  const ribbon =
    (progressText: string, run: (s: CommandServices) => Promise<string>) =>
    (event: CompletableEvent): void => {
      connected().then(
        (s) => runRibbonCommand(event, s, progressText, () => run(s)),
        () => {
          services = undefined;
          event.completed();
        },
      );
    };

  office.actions.associate(
    "trackInCrm",
    ribbon("Tracking in CRM…", (s) => s.track()),
  );
  office.actions.associate(
    "untrackFromCrm",
    ribbon("Untracking…", (s) => s.untrack()),
  );
  office.actions.associate(
    "syncNow",
    ribbon("Synchronizing with CRM…", (s) => s.syncNow()),
  );
}
