import type { FieldValue } from "../../core/types";
import { ewsIdFromRestId } from "../mailbox/exchange-ids";
import { CUSTOM_PROPERTIES_BUDGET, type SimulatedMailbox } from "../mailbox/simulated-mailbox";
import { answerLater, OfficeCallError } from "./async-result";
import { MEMBER_API_SETS, withinLevel, type MailboxVersion } from "./requirement-level";

/**
 * `Office.context.mailbox.item` for one selected mailbox item: a read-mode message or appointment (static
 * properties taken when selected, as Outlook does) or a compose-mode message (getAsync / setAsync write
 * through to the draft). Contacts and tasks are not items in Outlook on the web: selecting one gives null.
 * Ids are EWS-format ids (the mailbox's REST id in the EWS alphabet), never the REST ids Graph uses.
 */

/**
 * One compose form's state, shared by every item object built for that draft (the pane's and a launch event's).
 * `saved`: item.saveAsync succeeded in this form. `pendingProperties`: custom properties saved in the form but
 * not yet in the store (they reach it at item.saveAsync or when the message is sent).
 */
export interface ComposeSession {
  saved: boolean;
  pendingProperties: Record<string, unknown> | null;
}

/** Writes a compose form's pending custom properties to the store. */
export function flushComposeProperties(
  mailbox: SimulatedMailbox,
  addinId: string,
  itemId: string,
  session: ComposeSession,
): void {
  if (session.pendingProperties === null) return;
  mailbox.saveCustomProperties(itemId, addinId, session.pendingProperties);
  session.pendingProperties = null;
}

interface EmailAddressDetails {
  readonly emailAddress: string;
  readonly displayName: string;
  readonly recipientType: "user" | "externalUser";
}

const NOTIFICATION_TYPES = new Set(["informationalMessage", "progressIndicator", "errorMessage"]);
const MESSAGE_LIMIT = 150;

function details(address: string, owner: string): EmailAddressDetails {
  return {
    emailAddress: address,
    displayName: address.split("@")[0] ?? address,
    recipientType: address.toLowerCase().endsWith(owner.slice(owner.indexOf("@")).toLowerCase())
      ? "user"
      : "externalUser",
  };
}

function text(value: FieldValue | undefined): string {
  return typeof value === "string" ? value : "";
}

function list(value: FieldValue | undefined): readonly string[] {
  return Array.isArray(value) ? (value as readonly string[]) : [];
}

function recipientAddresses(value: unknown): string[] {
  if (!Array.isArray(value)) throw new OfficeCallError("InvalidArgument", "recipients must be an array");
  return value.map((entry: unknown) => {
    if (typeof entry === "string") return entry;
    if (
      typeof entry === "object" &&
      entry !== null &&
      "emailAddress" in entry &&
      typeof entry.emailAddress === "string"
    ) {
      return entry.emailAddress;
    }
    throw new OfficeCallError("InvalidArgument", "a recipient must be an address or { emailAddress }");
  });
}

/** Builds the item object for a selection, or null when Outlook would show no item (contact, task, none). */
export function createSimulatedItem(
  mailbox: SimulatedMailbox,
  addinId: string,
  selection: { readonly itemId: string; readonly mode: "read" | "compose" },
  session: ComposeSession,
  level: MailboxVersion,
): object | null {
  const snapshot = mailbox.get(selection.itemId);
  if (snapshot === undefined || snapshot.type === "contact" || snapshot.type === "task") return null;
  const itemId = selection.itemId;
  /** The item's EWS id now (its REST id changes when it moves, e.g. a draft that is sent). */
  const ewsId = () => ewsIdFromRestId(mailbox.get(itemId)?.itemId ?? snapshot.itemId);
  const owner = mailbox.owner.emailAddress;
  const fields = () => mailbox.get(itemId)?.fields ?? snapshot.fields;
  const write = (patch: Record<string, FieldValue>) =>
    mailbox.updateItem(itemId, { fields: patch }, { notify: false, by: "client" });

  const common = {
    itemType: snapshot.type === "email" ? "message" : "appointment",
    categories: {
      getAsync: (...args: unknown[]) =>
        answerLater(args, () => {
          const colors = new Map(
            mailbox.masterCategories().map((c) => [c.displayName.toLowerCase(), c.color]),
          );
          return (mailbox.get(itemId)?.categories ?? []).map((name) => ({
            displayName: name,
            color: colors.get(name.toLowerCase()) ?? "None",
          }));
        }),
      addAsync: (names: unknown, ...args: unknown[]) =>
        answerLater(args, () => {
          const wanted = namesOf(names);
          const master = new Set(mailbox.masterCategories().map((c) => c.displayName.toLowerCase()));
          const missing = wanted.find((name) => !master.has(name.toLowerCase()));
          if (missing !== undefined)
            throw new OfficeCallError("InvalidCategory", `"${missing}" is not in the master category list`);
          const current = mailbox.get(itemId)?.categories ?? [];
          mailbox.updateItem(
            itemId,
            { categories: [...current, ...wanted.filter((n) => !current.includes(n))] },
            { notify: false, by: "client" },
          );
        }),
      removeAsync: (names: unknown, ...args: unknown[]) =>
        answerLater(args, () => {
          const drop = new Set(namesOf(names).map((name) => name.toLowerCase()));
          const current = mailbox.get(itemId)?.categories ?? [];
          mailbox.updateItem(
            itemId,
            { categories: current.filter((n) => !drop.has(n.toLowerCase())) },
            { notify: false, by: "client" },
          );
        }),
    },
    loadCustomPropertiesAsync: (callback: unknown, userContext?: unknown) =>
      answerLater([{ asyncContext: userContext }, callback], () =>
        createCustomProperties(mailbox, addinId, itemId, selection.mode === "compose" ? session : null),
      ),
    notificationMessages: {
      addAsync: (key: unknown, message: unknown, ...args: unknown[]) =>
        answerLater(args, () => {
          const k = keyOf(key);
          if (mailbox.notificationMessages(itemId).some((m) => m.key === k)) {
            throw new OfficeCallError("DuplicateNotificationKey", `a notification with key "${k}" exists`);
          }
          putNotification(mailbox, itemId, k, message);
        }),
      replaceAsync: (key: unknown, message: unknown, ...args: unknown[]) =>
        answerLater(args, () => putNotification(mailbox, itemId, keyOf(key), message)),
      removeAsync: (key: unknown, ...args: unknown[]) =>
        answerLater(args, () => {
          if (!mailbox.removeNotificationMessage(itemId, keyOf(key))) {
            throw new OfficeCallError("KeyNotFound", `no notification with key "${String(key)}"`);
          }
        }),
      getAllAsync: (...args: unknown[]) =>
        answerLater(args, () =>
          mailbox.notificationMessages(itemId).map(({ key, type, message }) => ({ key, type, message })),
        ),
    },
  };

  const body = withinLevel(
    {
      getAsync: (_coercion: unknown, ...args: unknown[]) => answerLater(args, () => text(fields().body)),
      setAsync: (value: unknown, ...args: unknown[]) =>
        answerLater(args, () => {
          if (selection.mode !== "compose")
            throw new OfficeCallError("InvalidOperation", "the item is read-only");
          if (typeof value !== "string")
            throw new OfficeCallError("InvalidArgument", "body must be a string");
          write({ body: value });
        }),
    },
    level,
    MEMBER_API_SETS.Body,
  );

  if (selection.mode === "compose") {
    const recipients = (key: "to" | "cc") => ({
      getAsync: (...args: unknown[]) =>
        answerLater(args, () => list(fields()[key]).map((a) => details(a, owner))),
      setAsync: (value: unknown, ...args: unknown[]) =>
        answerLater(args, () => write({ [key]: recipientAddresses(value) })),
      addAsync: (value: unknown, ...args: unknown[]) =>
        answerLater(args, () => write({ [key]: [...list(fields()[key]), ...recipientAddresses(value)] })),
    });
    return withinLevel(
      {
        ...common,
        body,
        subject: {
          getAsync: (...args: unknown[]) => answerLater(args, () => text(fields().subject)),
          setAsync: (value: unknown, ...args: unknown[]) =>
            answerLater(args, () => {
              if (typeof value !== "string")
                throw new OfficeCallError("InvalidArgument", "subject must be a string");
              write({ subject: value });
            }),
        },
        to: recipients("to"),
        cc: recipients("cc"),
        from: {
          getAsync: (...args: unknown[]) =>
            answerLater(args, () => details(text(fields().from) || owner, owner)),
        },
        // MessageCompose.saveAsync [Api set: Mailbox 1.3]: saves the draft and answers its EWS id; the custom
        // properties saved in the form persist now (CustomProperties.saveAsync remarks).
        saveAsync: (...args: unknown[]) =>
          answerLater(args, () => {
            session.saved = true;
            flushComposeProperties(mailbox, addinId, itemId, session);
            return ewsId();
          }),
        // MessageCompose.getComposeTypeAsync [Api set: Mailbox 1.10]: { composeType, coercionType }.
        getComposeTypeAsync: (...args: unknown[]) =>
          answerLater(args, () => ({ composeType: mailbox.composeType(itemId), coercionType: "html" })),
        // MessageCompose.getItemIdAsync [Api set: Mailbox 1.8]: "ItemNotSaved: The ID can't be retrieved until the
        // item is saved."
        getItemIdAsync: (...args: unknown[]) =>
          answerLater(args, () => {
            if (!session.saved)
              throw new OfficeCallError("ItemNotSaved", "The ID can't be retrieved until the item is saved.");
            return ewsId();
          }),
      },
      level,
      MEMBER_API_SETS.MessageCompose,
    );
  }

  const f = snapshot.fields;
  const created = new Date(snapshot.createdAt);
  if (snapshot.type === "email") {
    return withinLevel(
      {
        ...common,
        body,
        // MessageRead.itemId: "the same as the Exchange Web Services item identifier" (not the REST id).
        itemId: ewsId(),
        subject: text(f.subject),
        normalizedSubject: text(f.subject),
        internetMessageId: text(f.internetMessageId),
        from: details(text(f.from), owner),
        sender: details(text(f.from), owner),
        to: list(f.to).map((a) => details(a, owner)),
        cc: list(f.cc).map((a) => details(a, owner)),
        dateTimeCreated: new Date(text(f.sentAt ?? f.receivedAt) || created.toISOString()),
        dateTimeModified: new Date(snapshot.modifiedAt),
      },
      level,
      MEMBER_API_SETS.MessageRead,
    );
  }
  return withinLevel(
    {
      ...common,
      body,
      // AppointmentRead.itemId: the EWS item identifier.
      itemId: ewsId(),
      subject: text(f.subject),
      normalizedSubject: text(f.subject),
      start: new Date(text(f.start) || created.toISOString()),
      end: new Date(text(f.end) || text(f.start) || created.toISOString()),
      location: text(f.location),
      organizer: details(text(f.organizer) || owner, owner),
      requiredAttendees: list(f.requiredAttendees).map((a) => details(a, owner)),
      optionalAttendees: list(f.optionalAttendees).map((a) => details(a, owner)),
      dateTimeCreated: created,
      dateTimeModified: new Date(snapshot.modifiedAt),
    },
    level,
    MEMBER_API_SETS.AppointmentRead,
  );
}

function namesOf(value: unknown): string[] {
  if (!Array.isArray(value) || !value.every((entry) => typeof entry === "string")) {
    throw new OfficeCallError("InvalidArgument", "categories must be an array of names");
  }
  return value;
}

function keyOf(key: unknown): string {
  if (typeof key !== "string" || key.length === 0 || key.length > 32) {
    throw new OfficeCallError("InvalidArgument", "a notification key is a string of 1 to 32 characters");
  }
  return key;
}

function putNotification(mailbox: SimulatedMailbox, itemId: string, key: string, message: unknown): void {
  if (typeof message !== "object" || message === null)
    throw new OfficeCallError("InvalidArgument", "notification details missing");
  const { type, message: textValue, icon, persistent } = message as Record<string, unknown>;
  if (typeof type !== "string" || !NOTIFICATION_TYPES.has(type)) {
    throw new OfficeCallError("InvalidArgument", `unknown notification type "${String(type)}"`);
  }
  if (typeof textValue !== "string" || textValue.length === 0)
    throw new OfficeCallError("InvalidArgument", "message text missing");
  if (textValue.length > MESSAGE_LIMIT)
    throw new OfficeCallError("MessageTooLong", `message is over ${MESSAGE_LIMIT} characters`);
  if (type === "informationalMessage" && (typeof icon !== "string" || typeof persistent !== "boolean")) {
    throw new OfficeCallError("InvalidArgument", "an informational message needs icon and persistent");
  }
  if (
    mailbox.notificationMessages(itemId).length >= 5 &&
    !mailbox.notificationMessages(itemId).some((m) => m.key === key)
  ) {
    throw new OfficeCallError(
      "NumberOfNotificationMessagesExceeded",
      "an item shows at most 5 notification messages",
    );
  }
  mailbox.putNotificationMessage(itemId, {
    key,
    type: type as "informationalMessage" | "progressIndicator" | "errorMessage",
    message: textValue,
  });
}

/**
 * Office.CustomProperties: a local copy of the add-in's properties, written back by saveAsync. In a compose
 * form (`session`), saveAsync keeps them with the form until the item is saved or sent ("custom properties
 * saved while in compose mode only persist after the item being composed is closed or after
 * `Office.context.mailbox.item.saveAsync` is called", CustomProperties.saveAsync remarks).
 */
function createCustomProperties(
  mailbox: SimulatedMailbox,
  addinId: string,
  itemId: string,
  session: ComposeSession | null,
): object {
  const values: Record<string, unknown> = {
    ...(session?.pendingProperties ?? mailbox.customProperties(itemId, addinId)),
  };
  return {
    get: (name: string): unknown => values[name],
    set: (name: string, value: unknown): void => {
      values[name] = value;
    },
    remove: (name: string): void => {
      delete values[name];
    },
    getAll: (): Record<string, unknown> => ({ ...values }),
    saveAsync: (...args: unknown[]) =>
      answerLater(args, () => {
        if (session === null) {
          mailbox.saveCustomProperties(itemId, addinId, values);
          return;
        }
        // CustomProperties remarks: "The maximum length of a CustomProperties JSON object is 2500 characters."
        if (JSON.stringify(values).length > CUSTOM_PROPERTIES_BUDGET)
          throw new OfficeCallError(
            "InvalidArgument",
            `custom properties exceed ${CUSTOM_PROPERTIES_BUDGET} characters`,
          );
        session.pendingProperties = { ...values };
      }),
  };
}
