/**
 * The OnMessageSend and OnAppointmentSend handlers. They run where Outlook runs launch events: a browser runtime
 * in Outlook on the web and the new Outlook, the JavaScript-only runtime in classic Outlook on Windows (no DOM,
 * no localStorage, no Office.onReady, no imports). So they only read the item's stamp; on a draft marked "track
 * on send" they write the stamp through the draft's custom properties, so that it is on the message the send
 * stores (compose properties persist once the item is saved or sent), and save the draft when it has no id yet;
 * then they put a request for the sync owner into `OfficeRuntime.storage` and complete. The sync itself happens
 * in the owner's next cycle. A send is never blocked, and every path completes within a bound, also when
 * storage or Office never answers.
 *
 * ECMAScript 2016 only (Troubleshoot event-based and spam-reporting add-ins: no async functions, no
 * conditional operator); test/launch-events checks the built file.
 */
import {
  appendRequest,
  type KeyValueStore,
  type LaunchRequest,
  type LaunchRequestKind,
} from "./launch-requests";

/** The custom properties the add-in stamps on an item (the engine's link stamp). */
const STATE_PROPERTY = "state";

interface AsyncResultLike<T> {
  readonly status: string;
  readonly value: T;
}

/** The part of Office.CustomProperties the handlers use. */
interface CustomPropertiesLike {
  get(name: string): unknown;
  set(name: string, value: unknown): void;
  remove(name: string): void;
  saveAsync(callback: (result: AsyncResultLike<void>) => void): void;
}

interface ComposeItemLike {
  loadCustomPropertiesAsync(callback: (result: AsyncResultLike<CustomPropertiesLike>) => void): void;
  getItemIdAsync?(callback: (result: AsyncResultLike<string>) => void): void;
  saveAsync?(callback: (result: AsyncResultLike<string>) => void): void;
}

/** The part of `Office` the handlers use. */
export interface LaunchOffice {
  readonly actions: { associate(name: string, handler: (event: LaunchEvent) => void): void };
  readonly context: {
    readonly mailbox: { readonly item: unknown; readonly userProfile: { readonly emailAddress: string } };
  };
}

export interface LaunchEvent {
  completed(options?: { allowEvent?: boolean }): void;
}

export interface LaunchEventsEnvironment {
  readonly office: LaunchOffice;
  /** `OfficeRuntime.storage`, or null where the runtime has none (the request is then skipped, the stamp kept). */
  readonly storage: KeyValueStore | null;
  readonly setTimeout: (callback: () => void, ms: number) => unknown;
  readonly now: () => number;
  readonly random: () => number;
  /** The longest a handler waits for Office and storage before it completes anyway. */
  readonly completeWithinMs: number;
}

function succeeded<T>(result: AsyncResultLike<T>): boolean {
  return result.status === "succeeded";
}

function propertiesOf(item: ComposeItemLike): Promise<CustomPropertiesLike | null> {
  return new Promise(function (resolve) {
    item.loadCustomPropertiesAsync(function (result) {
      if (succeeded(result)) resolve(result.value);
      else resolve(null);
    });
  });
}

/**
 * Writes the "track on send" stamp as Track writes it on a draft (state only: no CRM id, no message id) and
 * saves the properties to the compose form; resolves either way, since the stamp was there to be read.
 */
function stampTrackOnSend(properties: CustomPropertiesLike): Promise<void> {
  properties.set(STATE_PROPERTY, "trackOnSend");
  properties.remove("crmId");
  properties.remove("mid");
  return new Promise(function (resolve) {
    properties.saveAsync(function () {
      resolve();
    });
  });
}

/** The item's id: getItemIdAsync (Mailbox 1.8), else saveAsync, which saves the draft and returns its id. */
function itemIdOf(item: ComposeItemLike): Promise<string | null> {
  return new Promise<string | null>(function (resolve) {
    if (item.getItemIdAsync === undefined) {
      resolve(null);
      return;
    }
    item.getItemIdAsync(function (result) {
      if (succeeded(result) && result.value !== "") resolve(result.value);
      else resolve(null);
    });
  }).then(function (id) {
    if (id !== null || item.saveAsync === undefined) return id;
    const save = item.saveAsync.bind(item);
    return new Promise<string | null>(function (resolve) {
      save(function (result) {
        if (succeeded(result) && result.value !== "") resolve(result.value);
        else resolve(null);
      });
    });
  });
}

/**
 * Registers onMessageSendHandler and onAppointmentSendHandler with `Office.actions.associate`. Call at the top
 * level of the file: Office.onReady is not run before a launch event.
 */
export function registerLaunchEvents(env: LaunchEventsEnvironment): void {
  const handle = function (
    kind: LaunchRequestKind,
    stamped: (state: unknown) => boolean,
    restamp: ((properties: CustomPropertiesLike) => Promise<void>) | null,
  ) {
    return function (event: LaunchEvent): void {
      let done = false;
      const complete = function (): void {
        if (done) return;
        done = true;
        event.completed({ allowEvent: true });
      };
      env.setTimeout(complete, env.completeWithinMs);
      const item = env.office.context.mailbox.item as ComposeItemLike | null | undefined;
      const storage = env.storage;
      if (item === null || item === undefined) {
        complete();
        return;
      }
      const mailbox = env.office.context.mailbox.userProfile.emailAddress;
      propertiesOf(item)
        .then(function (properties) {
          if (properties === null || !stamped(properties.get(STATE_PROPERTY))) return undefined;
          let written = Promise.resolve();
          if (restamp !== null) written = restamp(properties);
          return written
            .then(function () {
              return itemIdOf(item);
            })
            .then(function (itemId) {
              // No storage (a browser runtime refused it): the stamp alone waits for the owner's next cycle.
              if (storage === null) return undefined;
              const request: LaunchRequest = {
                id: env.now().toString(36) + "-" + Math.floor(env.random() * 1e9).toString(36),
                kind: kind,
                itemId: itemId,
                itemType: null,
                surface: "inspector",
                at: env.now(),
              };
              return appendRequest(storage, mailbox, request);
            });
        })
        .then(complete, complete);
    };
  };
  // A draft the user marked "track on send": the owner's next cycle tracks the message in Sent Items.
  env.office.actions.associate(
    "onMessageSendHandler",
    handle(
      "messageSent",
      function (state) {
        return state === "trackOnSend";
      },
      stampTrackOnSend,
    ),
  );
  // A tracked appointment: the owner's next cycle pushes what the organizer sent.
  env.office.actions.associate(
    "onAppointmentSendHandler",
    handle(
      "appointmentSent",
      function (state) {
        return state === "tracked";
      },
      null,
    ),
  );
}
