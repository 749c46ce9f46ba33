import { SyncError } from "../../core/errors";
import type { FieldValue } from "../../core/types";
import type { Disposable } from "../../ports/clock";
import type { ItemIdTranslator } from "../../ports/item-ids";
import { linkFromCustomProperties, type CrmLinkStamp } from "../../ports/mailbox-store";
import type { CurrentItem, HostNotice, OutlookHost, SendDecision } from "../../ports/outlook-host";

/**
 * OutlookHost over the `Office` global (Outlook on the web, or the simulator's fake). The `Office` namespace
 * is injected, never read from a global here. Plain data leaves this class, never Office objects. Every
 * Office failure becomes SyncError("outlookFailed") naming the call.
 */

/** The roaming-settings key that holds all of the add-in's settings (Office.js cannot list keys). */
export const ROAMING_KEY = "crmSync";
/** The manifest's FunctionName for OnMessageSend. */
export const ON_MESSAGE_SEND = "onMessageSendHandler";
/** The notification key of the reason a send was blocked. */
const SEND_NOTICE_KEY = "crmSyncSend";
/** Outlook cuts notification text at this length. */
const NOTICE_LIMIT = 150;

type AnyItem =
  Office.MessageRead | Office.MessageCompose | Office.AppointmentRead | Office.AppointmentCompose;

function iso(date: Date): string {
  return date.toISOString().replace(".000Z", "Z");
}

function addresses(list: readonly Office.EmailAddressDetails[]): string[] {
  return list.map((entry) => entry.emailAddress);
}

/** Compose items have subject.getAsync; read items a plain subject string. */
function isCompose(item: AnyItem): item is Office.MessageCompose | Office.AppointmentCompose {
  return typeof item.subject !== "string";
}

export class OfficeJsOutlookHost implements OutlookHost {
  private readonly office: typeof Office;
  private readonly itemListeners = new Set<() => void>();
  private sendHandler: ((draft: CurrentItem) => Promise<SendDecision>) | null = null;
  private handlerRegistered: Promise<void> | null = null;
  private readonly itemIds: ItemIdTranslator;
  /** The EWS id `item.saveAsync` answered for each compose item (clients below Mailbox 1.8 lack getItemIdAsync). */
  private readonly savedIds = new WeakMap<object, string>();
  /** The last id translated, so reading the same item again costs no request. */
  private lastTranslated: { readonly from: string; readonly to: string } | null = null;

  /**
   * Wraps an `Office` namespace on which `Office.onReady` has resolved. The current item's id is reported as
   * the mailbox store's id through `itemIds` (ports/item-ids): Office.js gives EWS ids, which never leave here.
   */
  constructor(office: typeof Office, options: { readonly itemIds: ItemIdTranslator }) {
    this.office = office;
    this.itemIds = options.itemIds;
  }

  mailboxUser(): { readonly emailAddress: string; readonly displayName: string } {
    const profile = this.office.context.mailbox.userProfile;
    return { emailAddress: profile.emailAddress, displayName: profile.displayName };
  }

  async getCurrentItem(): Promise<CurrentItem | null> {
    const item = this.item();
    if (item === null) return null;
    const isMessage = String(item.itemType) === String(this.office.MailboxEnums.ItemType.Message);
    const compose = isCompose(item);
    const [fields, categories, link, itemId] = await Promise.all([
      this.readFields(item, isMessage, compose),
      this.requirements.isSetSupported("Mailbox", "1.8")
        ? this.call<Office.CategoryDetails[]>("categories.getAsync", (cb) =>
            item.categories.getAsync(cb),
          ).then((list) => list.map((category) => category.displayName))
        : Promise.resolve([]),
      this.readLink(item),
      compose
        ? this.composeItemId(item as Office.MessageCompose)
        : Promise.resolve((item as Office.MessageRead).itemId),
    ]);
    const user = this.mailboxUser().emailAddress.toLowerCase();
    const kind = !isMessage
      ? "appointment"
      : compose
        ? "draftEmail"
        : String(fields.from).toLowerCase() === user
          ? "sentEmail"
          : "receivedEmail";
    if (kind === "sentEmail" || kind === "receivedEmail") {
      const created = (item as Office.MessageRead).dateTimeCreated;
      fields[kind === "sentEmail" ? "sentAt" : "receivedAt"] = iso(created);
      fields.direction = kind === "sentEmail" ? "outgoing" : "incoming";
    }
    return {
      itemId: itemId === null ? null : await this.storeId(itemId),
      kind,
      mode: compose ? "compose" : "read",
      fields,
      categories,
      link,
    };
  }

  /**
   * The store id of an EWS id Office.js gave: converted to a REST id (`convertToRestId`, Mailbox 1.3), then
   * translated by the store. An item the store does not know fails, so no EWS or movable id goes further.
   */
  private async storeId(ewsId: string): Promise<string> {
    const restId = this.office.context.mailbox.convertToRestId(
      ewsId,
      this.office.MailboxEnums.RestVersion.v2_0,
    );
    if (this.lastTranslated?.from === restId) return this.lastTranslated.to;
    const storeId = (await this.itemIds.storeIdsFor([restId])).get(restId) ?? null;
    if (storeId === null)
      throw new SyncError("notFound", { details: `the mailbox store does not know the item ${restId}` });
    this.lastTranslated = { from: restId, to: storeId };
    return storeId;
  }

  /** Below Mailbox 1.5 there is no ItemChanged (nor a pinnable pane): listeners are kept but never called. */
  onItemChanged(listener: () => void): Disposable {
    this.itemListeners.add(listener);
    if (this.requirements.isSetSupported("Mailbox", "1.5"))
      this.handlerRegistered ??= this.call<void>("addHandlerAsync", (cb) =>
        this.office.context.mailbox.addHandlerAsync(
          this.office.EventType.ItemChanged,
          () => {
            for (const each of [...this.itemListeners]) each();
          },
          cb,
        ),
      );
    return {
      dispose: () => {
        this.itemListeners.delete(listener);
        if (this.itemListeners.size > 0 || this.handlerRegistered === null) return;
        const registered = this.handlerRegistered;
        this.handlerRegistered = null;
        if (this.requirements.isSetSupported("Mailbox", "1.5"))
          void registered.then(() =>
            this.call<void>("removeHandlerAsync", (cb) =>
              this.office.context.mailbox.removeHandlerAsync(this.office.EventType.ItemChanged, cb),
            ),
          );
      },
    };
  }

  async setCurrentItemLink(link: CrmLinkStamp | null): Promise<void> {
    const item = this.requireItem("setCurrentItemLink");
    const properties = await this.call<Office.CustomProperties>("loadCustomPropertiesAsync", (cb) =>
      item.loadCustomPropertiesAsync(cb),
    );
    properties.remove("mid");
    if (link === null) {
      properties.remove("crmId");
      properties.remove("state");
    } else {
      if (link.crmId === null) properties.remove("crmId");
      else properties.set("crmId", link.crmId);
      properties.set("state", link.state);
      const messageId = isCompose(item)
        ? ""
        : ((item as Partial<Office.MessageRead>).internetMessageId ?? "");
      if (messageId !== "") properties.set("mid", messageId);
    }
    await this.call<void>("customProperties.saveAsync", (cb) => properties.saveAsync(cb));
    // CustomProperties.saveAsync remarks: in compose, the properties persist only once the item is saved.
    if (isCompose(item)) {
      const ewsId = await this.call<string>("item.saveAsync", (cb) =>
        (item as Office.MessageCompose).saveAsync(cb),
      );
      this.savedIds.set(item, ewsId);
    }
  }

  async updateCurrentItemCategories(change: {
    readonly add: readonly string[];
    readonly remove: readonly string[];
  }): Promise<void> {
    const item = this.requireItem("updateCurrentItemCategories");
    if (!this.requirements.isSetSupported("Mailbox", "1.8"))
      throw new SyncError("outlookFailed", {
        details: "updateCurrentItemCategories: item categories need Mailbox 1.8, which this Outlook lacks",
      });
    if (change.add.length > 0) {
      await this.call<void>("categories.addAsync", (cb) => item.categories.addAsync([...change.add], cb));
    }
    if (change.remove.length > 0) {
      await this.call<void>("categories.removeAsync", (cb) =>
        item.categories.removeAsync([...change.remove], cb),
      );
    }
  }

  /**
   * Below Mailbox 1.8 Office.js has no master list: nothing is created, and the category the store writes on the
   * item shows without a colour (Outlook's behaviour for a category missing from the master list).
   */
  async ensureMasterCategory(name: string, color: string): Promise<void> {
    if (!/^(None|Preset([0-9]|1[0-9]|2[0-4]))$/.test(color)) {
      throw new SyncError("invalidInput", {
        details: `category color "${color}" is not None or Preset0…Preset24`,
      });
    }
    if (!this.requirements.isSetSupported("Mailbox", "1.8")) return;
    const preset = (
      this.office.MailboxEnums.CategoryColor as unknown as Record<string, Office.MailboxEnums.CategoryColor>
    )[color];
    if (preset === undefined) throw new SyncError("outlookFailed", { details: `no CategoryColor.${color}` });
    const master = this.office.context.mailbox.masterCategories;
    const existing = await this.call<Office.CategoryDetails[]>("masterCategories.getAsync", (cb) =>
      master.getAsync(cb),
    );
    if (existing.some((category) => category.displayName.toLowerCase() === name.toLowerCase())) return;
    try {
      await this.call<void>("masterCategories.addAsync", (cb) =>
        master.addAsync([{ displayName: name, color: preset }], cb),
      );
    } catch (error) {
      if (!(error instanceof SyncError && error.details?.includes("DuplicateCategory"))) throw error;
    }
  }

  readRoamingSettings(): Promise<Readonly<Record<string, unknown>>> {
    const value: unknown = this.office.context.roamingSettings.get(ROAMING_KEY);
    return Promise.resolve(
      typeof value === "object" && value !== null && !Array.isArray(value)
        ? { ...(value as Record<string, unknown>) }
        : {},
    );
  }

  async saveRoamingSettings(values: Readonly<Record<string, unknown>>): Promise<void> {
    const settings = this.office.context.roamingSettings;
    settings.set(ROAMING_KEY, { ...values });
    await this.call<void>("roamingSettings.saveAsync", (cb) => settings.saveAsync(cb));
  }

  async notify(notice: HostNotice): Promise<void> {
    const item = this.item();
    if (item === null) return;
    const type = this.office.MailboxEnums.ItemNotificationMessageType;
    const message =
      notice.text.length > NOTICE_LIMIT ? `${notice.text.slice(0, NOTICE_LIMIT - 1)}…` : notice.text;
    const details: Office.NotificationMessageDetails =
      notice.kind === "info"
        ? { type: type.InformationalMessage, message, icon: "Icon.16x16", persistent: false }
        : { type: notice.kind === "progress" ? type.ProgressIndicator : type.ErrorMessage, message };
    await this.call<void>("notificationMessages.replaceAsync", (cb) =>
      item.notificationMessages.replaceAsync(notice.key, details, cb),
    );
  }

  async clearNotice(key: string): Promise<void> {
    const item = this.item();
    if (item === null) return;
    try {
      await this.call<void>("notificationMessages.removeAsync", (cb) =>
        item.notificationMessages.removeAsync(key, cb),
      );
    } catch (error) {
      if (!(error instanceof SyncError && error.details?.includes("KeyNotFound"))) throw error;
    }
  }

  onMessageSend(handler: (draft: CurrentItem) => Promise<SendDecision>): Disposable {
    this.sendHandler = handler;
    this.office.actions.associate(ON_MESSAGE_SEND, (event: Office.AddinCommands.Event) => {
      void this.decideSend()
        .then(async (decision) => {
          // "Outlook on-send add-ins": a blocked send says why in the item's notification bar (the completed
          // options have no message); allowEvent is Mailbox 1.8, below it the event cannot block.
          if (!decision.allow && decision.errorMessage !== undefined)
            await this.notify({ key: SEND_NOTICE_KEY, kind: "error", text: decision.errorMessage }).catch(
              () => undefined,
            );
          return decision.allow;
        })
        .then((allow) =>
          event.completed(
            this.requirements.isSetSupported("Mailbox", "1.8") ? { allowEvent: allow } : undefined,
          ),
        );
    });
    return {
      dispose: () => {
        if (this.sendHandler === handler) this.sendHandler = null;
      },
    };
  }

  private async decideSend(): Promise<SendDecision> {
    const handler = this.sendHandler;
    if (handler === null) return { allow: true };
    try {
      const draft = await this.getCurrentItem();
      return draft === null ? { allow: true } : await handler(draft);
    } catch {
      return { allow: true };
    }
  }

  /** `Office.context.requirements`: which Mailbox requirement sets this Outlook supports. */
  private get requirements(): Office.RequirementSetSupport {
    return this.office.context.requirements;
  }

  private item(): AnyItem | null {
    return (this.office.context.mailbox.item as AnyItem | null | undefined) ?? null;
  }

  private requireItem(operation: string): AnyItem {
    const item = this.item();
    if (item === null) throw new SyncError("outlookFailed", { details: `${operation}: no item is open` });
    return item;
  }

  /**
   * The item's link stamp. A forward or reply can carry its parent's custom properties (CustomProperties.get
   * remarks: "custom properties saved to a mail item in read mode remain accessible while the item is being
   * forwarded"), so a draft's stamp counts only when it is its own: with getComposeTypeAsync (Mailbox 1.10), a
   * reply or forward keeps only a "trackOnSend" stamp, the one stamp written in compose; on every client, a stamp
   * that names another message's internet message id is not this draft's (ports/mailbox-store).
   */
  private async readLink(item: AnyItem): Promise<CrmLinkStamp | null> {
    const properties = await this.call<Office.CustomProperties>("loadCustomPropertiesAsync", (cb) =>
      item.loadCustomPropertiesAsync(cb),
    );
    const isMessage = String(item.itemType) === String(this.office.MailboxEnums.ItemType.Message);
    const link = linkFromCustomProperties(
      {
        crmId: properties.get("crmId") as unknown,
        state: properties.get("state") as unknown,
        mid: properties.get("mid") as unknown,
      },
      !isMessage ? undefined : isCompose(item) ? null : (item as Office.MessageRead).internetMessageId,
    );
    if (link === null || !isMessage || !isCompose(item) || link.state === "trackOnSend") return link;
    if (this.requirements.isSetSupported("Mailbox", "1.10")) {
      const { composeType } = await this.call<{ composeType: string }>("getComposeTypeAsync", (cb) =>
        (item as Office.MessageCompose).getComposeTypeAsync(cb),
      );
      if (composeType !== String(this.office.MailboxEnums.ComposeType.NewMail)) return null;
    }
    return link;
  }

  /** A compose item's EWS id: getItemIdAsync (Mailbox 1.8), else what saveAsync answered; null when unsaved. */
  private async composeItemId(item: Office.MessageCompose): Promise<string | null> {
    if (!this.requirements.isSetSupported("Mailbox", "1.8")) return this.savedIds.get(item) ?? null;
    try {
      const id = await this.call<string>("getItemIdAsync", (cb) => item.getItemIdAsync(cb));
      return id === "" ? null : id;
    } catch {
      return null;
    }
  }

  private async readFields(
    item: AnyItem,
    isMessage: boolean,
    compose: boolean,
  ): Promise<Record<string, FieldValue>> {
    const body = await this.call<string>("body.getAsync", (cb) =>
      item.body.getAsync(this.office.CoercionType.Text, cb),
    );
    if (compose) {
      if (!isMessage) return { body };
      const message = item as Office.MessageCompose;
      const [subject, to, cc, from] = await Promise.all([
        this.call<string>("subject.getAsync", (cb) => message.subject.getAsync(cb)),
        this.call<Office.EmailAddressDetails[]>("to.getAsync", (cb) => message.to.getAsync(cb)),
        this.call<Office.EmailAddressDetails[]>("cc.getAsync", (cb) => message.cc.getAsync(cb)),
        this.requirements.isSetSupported("Mailbox", "1.7")
          ? this.call<Office.EmailAddressDetails>("from.getAsync", (cb) => message.from.getAsync(cb))
          : Promise.resolve({ emailAddress: this.mailboxUser().emailAddress }),
      ]);
      return {
        subject,
        body,
        to: addresses(to),
        cc: addresses(cc),
        from: from.emailAddress,
        direction: "outgoing",
      };
    }
    if (isMessage) {
      const message = item as Office.MessageRead;
      return {
        subject: message.subject,
        body,
        from: message.from.emailAddress,
        to: addresses(message.to),
        cc: addresses(message.cc),
        internetMessageId: message.internetMessageId,
      };
    }
    const appointment = item as Office.AppointmentRead;
    return {
      subject: appointment.subject,
      body,
      start: iso(appointment.start),
      end: iso(appointment.end),
      location: appointment.location,
      organizer: appointment.organizer.emailAddress,
      requiredAttendees: addresses(appointment.requiredAttendees),
      optionalAttendees: addresses(appointment.optionalAttendees),
    };
  }

  private call<T>(
    operation: string,
    invoke: (callback: (result: Office.AsyncResult<T>) => void) => void,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      invoke((result) => {
        if (result.status === this.office.AsyncResultStatus.Succeeded) resolve(result.value);
        else {
          const error = result.error as Office.Error | undefined;
          reject(
            new SyncError("outlookFailed", {
              details: `${operation}: ${error?.name ?? "unknown"} ${error?.message ?? ""}`.trim(),
              cause: error,
            }),
          );
        }
      });
    });
  }
}
