import { COMMAND_NOTICE_KEY, failureText, runRibbonCommand, type CompletableEvent } from "./command-runner";
import type { CommandServices } from "./command-services";

/** The part of `Office` the commands runtime registers its functions with, and reports a failed start through. */
export interface ActionRegistry {
  readonly actions: { associate(name: string, action: (event: Office.AddinCommands.Event) => void): void };
  readonly context: {
    readonly mailbox: {
      readonly item?: {
        readonly notificationMessages: {
          replaceAsync(
            key: string,
            message: { type: Office.MailboxEnums.ItemNotificationMessageType; message: string },
            callback: () => void,
          ): void;
        };
      } | null;
    };
  };
}

/** The longest notification message ("notificationMessages.addAsync: message, maximum 150 characters"). */
const NOTICE_LIMIT = 150;

/**
 * Tells the user in the item's notification bar why the command could not start, then completes the event;
 * with no item to show it on, it only completes.
 */
function reportStartFailure(office: ActionRegistry, event: CompletableEvent, error: unknown): void {
  const item = office.context.mailbox.item ?? null;
  if (item === null) {
    event.completed();
    return;
  }
  const text = `CRM Sync could not start. ${failureText(error)}`;
  const message = text.length > NOTICE_LIMIT ? `${text.slice(0, NOTICE_LIMIT - 1)}…` : text;
  try {
    item.notificationMessages.replaceAsync(
      COMMAND_NOTICE_KEY,
      // "errorMessage" is the value of Office.MailboxEnums.ItemNotificationMessageType.ErrorMessage.
      { type: "errorMessage" as Office.MailboxEnums.ItemNotificationMessageType, message },
      () => event.completed(),
    );
  } catch {
    event.completed();
  }
}

/**
 * Registers the three ribbon commands of manifest.xml with `office.actions.associate`. `connect` builds the
 * services once, on the first click; when it fails, the click says why in the notification bar. The send events live in their own file (src/entry/launch-events), because
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
        (error: unknown) => {
          services = undefined;
          reportStartFailure(office, event, error);
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
