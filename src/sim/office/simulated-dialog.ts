import type { Clock, Disposable } from "../../ports/clock";
import { answerLater, OfficeCallError } from "./async-result";

/**
 * The Office dialog API of one host window (a task pane or a command's page): `Office.context.ui.
 * displayDialogAsync` on the host's side, and for the page the dialog shows, an `Office` whose
 * `context.ui.messageParent` reaches the host's DialogMessageReceived handlers. The test or simulator plays the
 * user and the dialog's page through {@link DialogPage}.
 */

/** Office.EventType values of the dialog events (office.js: "dialogMessageReceived", "dialogEventReceived"). */
export const DIALOG_EVENT_TYPES = {
  DialogMessageReceived: "dialogMessageReceived",
  DialogEventReceived: "dialogEventReceived",
} as const;

/** How long `Dialog.close` takes to finish (it is asynchronous and has no callback). */
export const DIALOG_CLOSE_MS = 100;

/** One dialog as the user and the dialog's page see it. */
export interface DialogPage {
  /** The URL the dialog opened, with the `_host_info` parameter Office adds. */
  readonly url: string;
  /** The `Office` of the dialog's page: `context.ui.messageParent` and `context.requirements` only. */
  readonly office: object;
  /** Whether the dialog is gone (closed by the host page or by the user). */
  readonly closed: boolean;
  /** The user closes the dialog with its X. */
  closeByUser(): void;
  /** The dialog's page moves to `url`; `loads` false plays a page that cannot be found or loaded. */
  navigate(url: string, loads?: boolean): void;
}

export interface DialogHostOptions {
  readonly clock: Clock;
  /** The host page's origin (scheme, host and port): the dialog's start page must be on it. */
  readonly origin: string;
  /** Whether the user lets the add-in open a window (Office on the web asks; false: 12009). */
  readonly allowed: () => boolean;
  /** `Office.context.requirements.isSetSupported` of the client, for the dialog's page too. */
  readonly isSetSupported: (name: unknown, minVersion?: unknown) => boolean;
  readonly onOpened: (page: DialogPage) => void;
}

type Handler = (arg: object) => void;

/** A failed displayDialogAsync, with the code "Handle errors and events in the Office dialog box" gives it. */
function dialogFailure(code: number, message: string): OfficeCallError {
  return new OfficeCallError("DisplayDialogError", message, code);
}

/** `displayDialogAsync` of one host window, and disposal of the timers its dialogs left. */
export function createDialogHost(options: DialogHostOptions): {
  readonly displayDialogAsync: (startAddress: unknown, ...args: unknown[]) => void;
} & Disposable {
  /** The one dialog this host window has open or is closing ("A host window ... can only have one dialog box open at a time"). */
  let current: { closing: Disposable | null } | null = null;
  const timers = new Set<Disposable>();

  const open = (startAddress: unknown): object => {
    if (typeof startAddress !== "string")
      throw new OfficeCallError("InvalidArgument", "startAddress must be a URL");
    let start: URL;
    try {
      start = new URL(startAddress);
    } catch {
      // UI.displayDialogAsync: "Relative URLs mustn't be used."
      throw new OfficeCallError("InvalidArgument", `"${startAddress}" is not an absolute URL`);
    }
    // dialog-handle-errors-events, 12005: "The URL passed to displayDialogAsync uses the HTTP protocol."
    if (start.protocol !== "https:")
      throw dialogFailure(12005, "The URL passed to displayDialogAsync uses the HTTP protocol.");
    // dialog-handle-errors-events, 12004: "The domain must be the same domain as the host page (including
    // protocol and port number)."
    if (start.origin !== options.origin)
      throw dialogFailure(12004, "The domain of the URL passed to displayDialogAsync isn't trusted.");
    // dialog-handle-errors-events, 12007 (also while a closed dialog is still closing, dialog-best-practices
    // "Open another dialog immediately after closing one").
    if (current !== null)
      throw dialogFailure(12007, "The operation failed because this add-in already has an active dialog.");
    // dialog-handle-errors-events, 12009: "The user chose to ignore the dialog box."
    if (!options.allowed()) throw dialogFailure(12009, "The user chose to ignore the dialog box.");
    // dialog-best-practices: "Office automatically adds a query parameter named _host_info to the URL".
    start.searchParams.append("_host_info", "Outlook$Web$16.01$en-US$$$$0");

    const slot: { closing: Disposable | null } = { closing: null };
    current = slot;
    let closed = false;
    let location = start;
    const handlers = new Map<string, Handler[]>();
    const raise = (type: string, arg: object): void => {
      queueMicrotask(() => {
        if (closed) return;
        for (const handler of [...(handlers.get(type) ?? [])]) handler({ type, ...arg });
      });
    };
    const finish = (): void => {
      closed = true;
      if (current === slot) current = null;
    };
    // Dialog.close: "This method is asynchronous": the window stays this host's dialog for a while.
    const close = (): void => {
      if (closed || slot.closing !== null) return;
      const timer = options.clock.setTimeout(() => {
        timers.delete(timer);
        finish();
      }, DIALOG_CLOSE_MS);
      slot.closing = timer;
      timers.add(timer);
      closed = true;
    };
    const page: DialogPage = {
      get url() {
        return location.href;
      },
      office: {
        context: {
          // dialog-api-in-office-add-ins: messageParent and isSetSupported are "only two Office JS APIs that
          // you can call in the dialog box".
          requirements: { isSetSupported: options.isSetSupported },
          ui: {
            messageParent: (message: unknown, messageOptions?: unknown) => {
              if (closed) return;
              const target = (messageOptions as { targetOrigin?: unknown } | undefined)?.targetOrigin;
              // dialog-api-in-office-add-ins, cross-domain messaging: without targetOrigin the message goes
              // only to the domain the dialog is showing, which must be the host page's.
              if (target !== "*" && (target ?? location.origin) !== options.origin) return;
              // UI.messageParent: the message is a string ("Anything that can be serialized to a string").
              raise(DIALOG_EVENT_TYPES.DialogMessageReceived, {
                message: String(message),
                origin: location.origin,
              });
            },
          },
        },
      },
      get closed() {
        return closed;
      },
      closeByUser: () => {
        if (closed) return;
        // dialog-handle-errors-events, 12006: "The dialog box was closed, usually because the user chose the
        // Close button X."
        raise(DIALOG_EVENT_TYPES.DialogEventReceived, { error: 12006 });
        queueMicrotask(finish);
      },
      navigate: (url, loads = true) => {
        if (closed) return;
        location = new URL(url, location);
        // dialog-handle-errors-events, 12002 (a page it can't find or load) and 12003 (HTTP): the dialog stays
        // open on the error until it is closed.
        if (location.protocol !== "https:") raise(DIALOG_EVENT_TYPES.DialogEventReceived, { error: 12003 });
        else if (!loads) raise(DIALOG_EVENT_TYPES.DialogEventReceived, { error: 12002 });
      },
    };
    const dialog = {
      // Dialog.addEventHandler: "Must be either DialogMessageReceived or DialogEventReceived."
      addEventHandler: (eventType: unknown, handler: unknown) => {
        if (
          eventType !== DIALOG_EVENT_TYPES.DialogMessageReceived &&
          eventType !== DIALOG_EVENT_TYPES.DialogEventReceived
        )
          throw new Error(`Dialog.addEventHandler: "${String(eventType)}" is not a dialog event`);
        if (typeof handler !== "function")
          throw new Error("Dialog.addEventHandler: handler must be a function");
        handlers.set(eventType, [...(handlers.get(eventType) ?? []), handler as Handler]);
      },
      close,
    };
    queueMicrotask(() => options.onOpened(page));
    return dialog;
  };

  return {
    displayDialogAsync: (startAddress: unknown, ...args: unknown[]) =>
      answerLater(args, () => open(startAddress)),
    dispose: () => {
      for (const timer of timers) timer.dispose();
      timers.clear();
      current = null;
    },
  };
}
