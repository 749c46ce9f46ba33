/**
 * The FunctionFile and event-based runtime (commands.html / commands.js). Office.actions.associate runs at the
 * top level, as event-based activation requires; every FunctionName in manifest.xml is registered here, and
 * test/manifest checks that against the production bundle.
 */
import { runRibbonCommand, type CompletableEvent } from "./command-runner";
import { connectCommandServices } from "./connect-services";
import type { CommandServices } from "./command-services";

let services: Promise<CommandServices> | undefined;
const connect = (): Promise<CommandServices> => (services ??= connectCommandServices());

const ribbon =
  (progressText: string, run: (s: CommandServices) => Promise<string>) =>
  (event: CompletableEvent): void => {
    void connect().then(
      (s) => runRibbonCommand(event, s, progressText, () => run(s)),
      () => event.completed(),
    );
  };

Office.actions.associate(
  "trackInCrm",
  ribbon("Tracking in CRM…", (s) => s.track()),
);
Office.actions.associate(
  "untrackFromCrm",
  ribbon("Untracking…", (s) => s.untrack()),
);
Office.actions.associate(
  "syncNow",
  ribbon("Synchronizing with CRM…", (s) => s.syncNow()),
);
Office.actions.associate("onMessageSendHandler", (event: Office.AddinCommands.Event) => {
  void connect()
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
Office.actions.associate("onAppointmentSendHandler", (event: Office.AddinCommands.Event) => {
  const done = (): void => event.completed({ allowEvent: true });
  void connect()
    .then((s) => s.appointmentSend())
    .then(done, done);
});
