import type { Disposable } from "../../ports/clock";
import type { SimulatedMailbox } from "../mailbox/simulated-mailbox";
import { ewsIdFromRestId, restIdFromEwsId } from "../mailbox/exchange-ids";
import { answerLater, ASYNC_RESULT_STATUS, OfficeCallError } from "./async-result";
import {
  checkedLevel,
  compareMailboxVersions,
  DEFAULT_MAILBOX_LEVEL,
  isSetSupportedAt,
  MEMBER_API_SETS,
  withinLevel,
} from "./requirement-level";
import { createSimulatedItem, flushComposeProperties, type ComposeSession } from "./simulated-item";
import { createDialogHost, DIALOG_EVENT_TYPES, type DialogPage } from "./simulated-dialog";

/**
 * A fake `Office` global bound to a SimulatedMailbox: the subset the add-in uses (onReady, the mailbox item
 * with its custom properties, categories and notification bar, master categories, ItemChanged, roaming
 * settings, userProfile, Office.actions.associate and launch-event completion, the dialog API of
 * simulated-dialog.ts). Every `…Async` answers on a
 * later tick with the real status strings; ItemChanged carries the real "olkItemSelectedChanged" type.
 * It plays a client of one Mailbox requirement set (requirement-level.ts): members above it are missing.
 * Browser-safe: install it on `globalThis` in Node or on a page's window.
 *
 * office-addin-mock does not carry the simulator: its load / sync proxies model the rich APIs of Excel and Word,
 * not a mailbox behind Outlook's callback-style API. It serves the unit tests of OfficeJsOutlookHost's error
 * branches instead (test/adapters/officejs-host-mock.test.ts).
 */

/** The name manifest.xml gives the OnMessageSend handler (its FunctionName). */
export const ON_MESSAGE_SEND = "onMessageSendHandler";
/** The name manifest.xml gives the OnAppointmentSend handler (its FunctionName). */
export const ON_APPOINTMENT_SEND = "onAppointmentSendHandler";

const ITEM_CHANGED = "olkItemSelectedChanged";

/** What a command or launch event handler reported through `event.completed`. */
export interface CompletedEvent {
  readonly allowEvent?: boolean;
  readonly errorMessage?: string;
}

/** What a launch-event file registers with `Office.actions.associate`. */
export type LaunchHandler = (event: object) => void;

/**
 * Runs one launch event where the host runs it (on the simulator page: a frame that loads launch-events.js).
 * `officeFor(associate)` is the event's `Office`, whose `actions.associate` hands the file's handlers to
 * `associate`. Resolves with what the handler passed to `event.completed`, or undefined when it did not.
 */
export type LaunchEventRunner = (
  name: string,
  officeFor: (associate: (name: string, handler: LaunchHandler) => void) => object,
) => Promise<CompletedEvent | undefined>;

/**
 * The `Office` a launch-event runtime gets: `office` with `mailbox.item` the item the event is about
 * (Event-based activation: the item of the compose form the event fired in) and its own `actions.associate`.
 */
export function launchEventOffice(
  office: object,
  item: object | null,
  associate: (name: string, handler: LaunchHandler) => void,
): object {
  const base = office as { context: { mailbox: object } };
  return {
    ...office,
    actions: { associate },
    context: {
      ...base.context,
      mailbox: Object.create(base.context.mailbox, { item: { get: () => item, enumerable: true } }) as object,
    },
  };
}

/** What a send event decided: a blocked send says why in the form's notification bar. */
export interface SendDecision {
  readonly allow: boolean;
  readonly errorMessage?: string;
}

export interface SimulatedOffice extends Disposable {
  /** The object to use as `Office` (cast it to `typeof Office` where the add-in's types need it). */
  readonly office: object;
  /** Puts `office` on `target.Office` (globalThis or a window); disposing restores what was there. */
  install(target: object): Disposable;
  /** Runs an associated command as a ribbon click would, resolving with what it passed to `event.completed`. */
  runAction(name: string): Promise<CompletedEvent | undefined>;
  /** The organizer sends the meeting `itemId` (or an update of it): OnAppointmentSend decides. */
  sendAppointment(itemId: string): Promise<SendDecision>;
  /** Calls `listener` with each dialog `Office.context.ui.displayDialogAsync` opens (the user and its page). */
  onDialogOpened(listener: (page: DialogPage) => void): Disposable;
}

const CATEGORY_COLORS: Record<string, string> = Object.fromEntries(
  ["None", ...Array.from({ length: 25 }, (_, i) => `Preset${i}`)].map((name): [string, string] => [
    name,
    name,
  ]),
);

/** Builds the fake `Office` global for one add-in over `mailbox`. Dispose it to drop its subscriptions. */
export function createSimulatedOffice(
  mailbox: SimulatedMailbox,
  options: {
    readonly addinId: string;
    /** Whether the task pane is pinned (default true): only a pinned pane outlives a change of selection. */
    readonly pinned?: boolean;
    /**
     * The Mailbox requirement set the client supports (default 1.14, Outlook on the web): e.g. "1.5" plays an
     * older desktop client. Members above it are missing and isSetSupported says so.
     */
    readonly mailboxLevel?: string;
    /**
     * Whether the client has nested app authentication (NestedAppAuth 1.1). Default: from Mailbox 1.14, the
     * level of the builds that brought it (nested-app-auth-requirement-sets: Outlook on Windows Version 2409);
     * false plays e.g. an Outlook.com mailbox, where the set "isn't supported".
     */
    readonly nestedAppAuth?: boolean;
    /** The origin of the add-in's pages, where a dialog's start page must be (default https://localhost:3000). */
    readonly origin?: string;
    /** Whether the user lets the add-in open dialog windows (default true; false: 12009). */
    readonly dialogsAllowed?: boolean;
    /**
     * Where OnMessageSend and OnAppointmentSend run (the simulator page: a frame per event that loads
     * launch-events.js). Default: the handlers associated on this `Office`, on the shared item.
     */
    readonly launchEvents?: LaunchEventRunner;
  },
): SimulatedOffice {
  const { addinId } = options;
  const level = checkedLevel(options.mailboxLevel ?? DEFAULT_MAILBOX_LEVEL);
  const isSetSupported = isSetSupportedAt(
    level,
    options.nestedAppAuth ?? compareMailboxVersions(level, "1.14") >= 0,
  );
  const dialogListeners = new Set<(page: DialogPage) => void>();
  const dialogs = createDialogHost({
    clock: mailbox.clock,
    origin: options.origin ?? "https://localhost:3000",
    allowed: () => options.dialogsAllowed ?? true,
    isSetSupported,
    onOpened: (page) => {
      for (const listener of [...dialogListeners]) listener(page);
    },
  });
  const actions = new Map<string, (event: object) => void>();
  const itemChangedHandlers: ((event: { type: string }) => void)[] = [];
  let shown: { readonly itemId: string; readonly mode: string } | null = null;
  let selected: object | null = null;
  /** Each compose form's state, by the draft's immutable id (one form per draft). */
  const sessions = new Map<string, ComposeSession>();
  const sessionOf = (itemId: string): ComposeSession => {
    const key = mailbox.get(itemId)?.immutableId ?? itemId;
    let session = sessions.get(key);
    if (session === undefined) {
      session = { saved: false, pendingProperties: null };
      sessions.set(key, session);
    }
    return session;
  };
  const itemFor = (selection: { readonly itemId: string; readonly mode: "read" | "compose" }) =>
    createSimulatedItem(mailbox, addinId, selection, sessionOf(selection.itemId), level);
  /** The item for the mailbox's selection: rebuilt when the selection moves, the same object until then. */
  const selectedItem = (): object | null => {
    const selection = mailbox.selection();
    if (selection?.itemId !== shown?.itemId || selection?.mode !== shown?.mode) {
      shown = selection;
      selected = selection === null ? null : itemFor(selection);
    }
    return selected;
  };
  let eventItem: object | null = null;
  let roaming: Record<string, unknown> = { ...mailbox.roamingSettings(addinId) };

  const pinned = options.pinned ?? true;
  let lastSelection = mailbox.selection();
  // pinnable-taskpane ("Implement a pinnable task pane in Outlook"): ItemChanged reaches a pinned task pane
  // when the user selects another item in the Reading Pane; a compose form is its own form, so opening or
  // closing one ("pinning isn't supported across different modes") is no item change for the pane.
  const selectionSubscription = mailbox.onSelectionChanged(() => {
    const current = mailbox.selection();
    const previous = lastSelection;
    lastSelection = current;
    if (!pinned || previous?.mode === "compose" || current?.mode === "compose") return;
    if (previous?.itemId === current?.itemId) return;
    for (const handler of [...itemChangedHandlers]) handler({ type: ITEM_CHANGED });
  });

  const runEvent = (name: string, subject: object | null): Promise<CompletedEvent | undefined> => {
    const action = actions.get(name);
    if (action === undefined) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      eventItem = subject;
      let done = false;
      action({
        source: { id: name },
        completed: (completion?: CompletedEvent) => {
          if (done) return;
          done = true;
          eventItem = null;
          resolve(completion);
        },
      });
    });
  };

  /** A send of the compose form `itemId`: the send event `name` decides; an allowed send keeps the form's properties. */
  const decideSend = async (name: string, itemId: string): Promise<SendDecision> => {
    const subject = itemFor({ itemId, mode: "compose" });
    const completion =
      options.launchEvents === undefined
        ? await runEvent(name, subject)
        : await options.launchEvents(name, (associate) => launchEventOffice(office, subject, associate));
    if (completion?.allowEvent === false) {
      // outlook-on-send-addins: a blocking add-in shows why with notificationMessages.addAsync ({ type:
      // "errorMessage" }) and completes with { allowEvent: false }; Outlook shows that bar.
      const reason = mailbox.notificationMessages(itemId).find((m) => m.type === "errorMessage");
      return { allow: false, ...(reason !== undefined && { errorMessage: reason.message }) };
    }
    // metadata-for-an-outlook-add-in: "When a message ... with custom properties is sent, its properties can be
    // accessed from the item in the Sent Items folder."
    flushComposeProperties(mailbox, addinId, itemId, sessionOf(itemId));
    return { allow: true };
  };

  const sendHook = mailbox.addSendHook((draftId) => decideSend(ON_MESSAGE_SEND, draftId));

  const office = {
    AsyncResultStatus: ASYNC_RESULT_STATUS,
    EventType: { ItemChanged: ITEM_CHANGED, ...DIALOG_EVENT_TYPES },
    CoercionType: { Text: "text", Html: "html" },
    HostType: { Outlook: "Outlook" },
    PlatformType: { OfficeOnline: "OfficeOnline" },
    MailboxEnums: withinLevel(
      {
        ItemType: { Message: "message", Appointment: "appointment" },
        ItemNotificationMessageType: {
          InformationalMessage: "informationalMessage",
          ProgressIndicator: "progressIndicator",
          ErrorMessage: "errorMessage",
        },
        CategoryColor: CATEGORY_COLORS,
        // Office.MailboxEnums.RestVersion (@types/office-js).
        RestVersion: { v1_0: "v1.0", v2_0: "v2.0", Beta: "beta" },
        RecipientType: { User: "user", ExternalUser: "externalUser" },
        // Office.MailboxEnums.ComposeType [Api set: Mailbox 1.10].
        ComposeType: { Reply: "reply", NewMail: "newMail", Forward: "forward" },
      },
      level,
      MEMBER_API_SETS.MailboxEnums,
    ),
    onReady: (callback?: (info: { host: string; platform: string }) => void) => {
      const info = { host: "Outlook", platform: "OfficeOnline" };
      return Promise.resolve().then(() => {
        callback?.(info);
        return info;
      });
    },
    actions: {
      associate: (name: string, action: (event: object) => void) => {
        actions.set(name, action);
      },
    },
    context: {
      diagnostics: { host: "Outlook", platform: "OfficeOnline", version: "16.0" },
      // Office.Requirements.isSetSupported: the sets this client has (requirement-level.ts).
      requirements: { isSetSupported },
      // UI.displayDialogAsync [Mailbox 1.4 in Outlook]: the dialog API of this host window.
      ui: withinLevel({ displayDialogAsync: dialogs.displayDialogAsync }, level, MEMBER_API_SETS.UI),
      roamingSettings: {
        get: (name: string): unknown => structuredClone(roaming[name]),
        set: (name: string, value: unknown): void => {
          roaming[name] = JSON.parse(JSON.stringify(value)) as unknown;
        },
        remove: (name: string): void => {
          delete roaming[name];
        },
        saveAsync: (...args: unknown[]) =>
          answerLater(args, () => {
            mailbox.saveRoamingSettings(addinId, roaming);
            roaming = { ...mailbox.roamingSettings(addinId) };
          }),
      },
      mailbox: withinLevel(
        {
          /** During a launch event, the item the event is about; otherwise the selected item. */
          get item() {
            return eventItem ?? selectedItem();
          },
          userProfile: {
            emailAddress: mailbox.owner.emailAddress,
            displayName: mailbox.owner.displayName,
            timeZone: "UTC",
            accountType: "enterprise",
          },
          diagnostics: { hostName: "OutlookWebApp", hostVersion: "16.0" },
          // Mailbox.convertToRestId / convertToEwsId [Api set: Mailbox 1.3]; "Use the Outlook REST APIs from an
          // Outlook add-in": EWS ids can contain non-URL-safe characters, the REST form cannot.
          convertToRestId: (id: unknown, restVersion: unknown) =>
            restIdFromEwsId(convertible(id, restVersion)),
          convertToEwsId: (id: unknown, restVersion: unknown) =>
            ewsIdFromRestId(convertible(id, restVersion)),
          masterCategories: {
            getAsync: (...args: unknown[]) => answerLater(args, () => mailbox.masterCategories()),
            addAsync: (categories: unknown, ...args: unknown[]) =>
              answerLater(args, () => {
                const list = categoryDetails(categories);
                const existing = new Set(mailbox.masterCategories().map((c) => c.displayName.toLowerCase()));
                const duplicate = list.find((c) => existing.has(c.displayName.toLowerCase()));
                if (duplicate !== undefined) {
                  throw new OfficeCallError(
                    "DuplicateCategory",
                    `"${duplicate.displayName}" is in the master list already`,
                  );
                }
                mailbox.addMasterCategories(list);
              }),
            removeAsync: (names: unknown, ...args: unknown[]) =>
              answerLater(args, () => {
                if (!Array.isArray(names) || !names.every((n) => typeof n === "string")) {
                  throw new OfficeCallError("InvalidArgument", "category names must be strings");
                }
                mailbox.removeMasterCategories(names);
              }),
          },
          addHandlerAsync: (eventType: unknown, handler: unknown, ...args: unknown[]) =>
            answerLater(args, () => {
              if (eventType !== ITEM_CHANGED)
                throw new OfficeCallError("InvalidEventType", `unsupported event "${String(eventType)}"`);
              if (typeof handler !== "function")
                throw new OfficeCallError("InvalidArgument", "handler must be a function");
              itemChangedHandlers.push(handler as (event: { type: string }) => void);
            }),
          removeHandlerAsync: (eventType: unknown, ...args: unknown[]) =>
            answerLater(args, () => {
              if (eventType !== ITEM_CHANGED)
                throw new OfficeCallError("InvalidEventType", `unsupported event "${String(eventType)}"`);
              itemChangedHandlers.splice(0, itemChangedHandlers.length);
            }),
        },
        level,
        MEMBER_API_SETS.Mailbox,
      ),
    },
  };

  return {
    office,
    install(target: object): Disposable {
      const holder = target as { Office?: unknown };
      const hadOwn = Object.prototype.hasOwnProperty.call(holder, "Office");
      const previous = holder.Office;
      holder.Office = office;
      return {
        dispose: () => {
          if (hadOwn) holder.Office = previous;
          else delete holder.Office;
        },
      };
    },
    runAction: (name: string) => runEvent(name, null),
    sendAppointment: (itemId: string) => decideSend(ON_APPOINTMENT_SEND, itemId),
    onDialogOpened(listener) {
      dialogListeners.add(listener);
      return { dispose: () => void dialogListeners.delete(listener) };
    },
    dispose(): void {
      dialogs.dispose();
      dialogListeners.clear();
      selectionSubscription.dispose();
      sendHook.dispose();
      itemChangedHandlers.splice(0, itemChangedHandlers.length);
    },
  };
}

/** The id argument of convertToRestId / convertToEwsId, checked with its RestVersion. */
function convertible(id: unknown, restVersion: unknown): string {
  if (typeof id !== "string" || id === "") throw new Error("convert: the id must be a non-empty string");
  if (restVersion !== "v1.0" && restVersion !== "v2.0" && restVersion !== "beta")
    throw new Error(`convert: "${String(restVersion)}" is not a MailboxEnums.RestVersion`);
  return id;
}

function categoryDetails(value: unknown): { displayName: string; color: string }[] {
  if (!Array.isArray(value)) throw new OfficeCallError("InvalidArgument", "categories must be an array");
  return value.map((entry: unknown) => {
    const { displayName, color } = (entry ?? {}) as { displayName?: unknown; color?: unknown };
    if (typeof displayName !== "string" || displayName.length === 0) {
      throw new OfficeCallError("InvalidArgument", "a category needs a displayName");
    }
    if (typeof color !== "string" || !(color in CATEGORY_COLORS)) {
      throw new OfficeCallError(
        "InvalidArgument",
        `"${String(color)}" is not a category color (None, Preset0…Preset24)`,
      );
    }
    return { displayName, color };
  });
}
