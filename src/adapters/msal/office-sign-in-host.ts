import { SyncError } from "../../core/errors";
import type { Clock } from "../../ports/clock";
import type { SignInHost } from "./msal-sign-in";

/** How long to wait before opening a dialog again while the previous one is still closing (12007). */
export const DIALOG_RETRY_MS = 250;
/** How many times a dialog is tried while another one of the page is still closing. */
export const DIALOG_TRIES = 8;

/**
 * SignInHost over office.js: `requirements.isSetSupported`, and `ui.displayDialogAsync` (Mailbox 1.4 in Outlook)
 * resolving with the dialog's first DialogMessageReceived ("Use the Office dialog API in Office Add-ins"); a
 * failed open or a DialogEventReceived (closed: 12006, a page that cannot load: 12002, http: 12003) rejects
 * with the Office error code, and the dialog is closed. `close` is asynchronous, so an open that finds the last
 * dialog still closing (12007) is tried again a few times ("Open another dialog immediately after closing one").
 */
export function officeSignInHost(office: typeof Office, clock: Clock): SignInHost {
  const open = (url: string, triesLeft: number): Promise<string> => {
    if (!office.context.requirements.isSetSupported("Mailbox", "1.4"))
      return Promise.reject(
        new SyncError("unauthorized", {
          details:
            "This Outlook can neither sign in for add-ins (nested app authentication) nor open a sign-in window (Mailbox 1.4). Update Outlook, or use Outlook on the web.",
        }),
      );
    return new Promise<string>((resolve, reject) => {
      office.context.ui.displayDialogAsync(url, { height: 60, width: 30 }, (opened) => {
        if (opened.status === office.AsyncResultStatus.Failed) {
          if (opened.error.code === 12007 && triesLeft > 1) {
            clock.setTimeout(() => void open(url, triesLeft - 1).then(resolve, reject), DIALOG_RETRY_MS);
            return;
          }
          reject(Object.assign(new Error(opened.error.message), { code: opened.error.code }));
          return;
        }
        const dialog = opened.value;
        dialog.addEventHandler(office.EventType.DialogMessageReceived, (arg) => {
          dialog.close();
          resolve("message" in arg ? arg.message : "");
        });
        dialog.addEventHandler(office.EventType.DialogEventReceived, (arg) => {
          dialog.close();
          reject(Object.assign(new Error("the dialog closed"), { code: "error" in arg ? arg.error : 12006 }));
        });
      });
    });
  };
  return {
    isSetSupported: (name, version) => office.context.requirements.isSetSupported(name, version),
    dialogMessage: (url) => open(url, DIALOG_TRIES),
  };
}
