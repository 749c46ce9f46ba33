import type { SignInHost } from "./msal-sign-in";

/**
 * SignInHost over office.js: `requirements.isSetSupported`, and `ui.displayDialogAsync` resolving with the
 * dialog's first DialogMessageReceived ("Use the Office dialog API in Office Add-ins"); a failed open or a
 * DialogEventReceived (closed: 12006) rejects with the Office error code.
 */
export function officeSignInHost(office: typeof Office): SignInHost {
  return {
    isSetSupported: (name, version) => office.context.requirements.isSetSupported(name, version),
    dialogMessage: (url) =>
      new Promise<string>((resolve, reject) => {
        office.context.ui.displayDialogAsync(url, { height: 60, width: 30 }, (opened) => {
          if (opened.status === office.AsyncResultStatus.Failed) {
            reject(Object.assign(new Error(opened.error.message), { code: opened.error.code }));
            return;
          }
          const dialog = opened.value;
          dialog.addEventHandler(office.EventType.DialogMessageReceived, (arg) => {
            dialog.close();
            resolve("message" in arg ? arg.message : "");
          });
          dialog.addEventHandler(office.EventType.DialogEventReceived, (arg) => {
            reject(
              Object.assign(new Error("the dialog closed"), { code: "error" in arg ? arg.error : 12006 }),
            );
          });
        });
      }),
  };
}
