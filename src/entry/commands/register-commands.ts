import { runRibbonCommand, type CompletableEvent } from "./command-runner";
import type { CommandServices } from "./command-services";

/** The part of `Office` the commands runtime registers its functions with. */
export interface ActionRegistry {
  readonly actions: { associate(name: string, action: (event: Office.AddinCommands.Event) => void): void };
}

/**
 * Registers every FunctionName of manifest.xml with `office.actions.associate`: the three ribbon commands and
 * the two send events. `connect` builds the services once, on the first event. A send is never blocked: on any
 * failure the event completes with `allowEvent: true`, and OnAppointmentSend completes before it syncs.
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
  office.actions.associate("onMessageSendHandler", (event) => {
    connected()
      .then((s) => s.messageSend())
      .then(
        (decision) =>
          event.completed(
            decision.allow
              ? { allowEvent: true }
              : {
                  allowEvent: false,
                  ...(decision.errorMessage ? { errorMessage: decision.errorMessage } : {}),
                },
          ),
        () => event.completed({ allowEvent: true }),
      );
  });
  office.actions.associate("onAppointmentSendHandler", (event) => {
    event.completed({ allowEvent: true });
    connected().then(
      (s) =>
        s
          .appointmentSend()
          .catch((error: unknown) =>
            s.logger.error("OnAppointmentSend sync failed", { error: String(error) }),
          ),
      () => undefined,
    );
  });
}
