import { SyncError } from "../../core/errors";
import type { FieldValue } from "../../core/types";
import type { Disposable } from "../../ports/clock";
import {
  customPropertiesWithLink,
  linkFromCustomProperties,
  stampMessageId,
  type CrmLinkStamp,
} from "../../ports/mailbox-store";
import type {
  CurrentItem,
  CurrentItemKind,
  HostNotice,
  OutlookHost,
  SendDecision,
} from "../../ports/outlook-host";
import type { SimulatedItem, SimulatedMailbox } from "../../sim/mailbox/simulated-mailbox";

/**
 * The simulated twin of OfficeJsOutlookHost: the OutlookHost contract served straight from a
 * SimulatedMailbox's selection, custom properties, categories, roaming settings and notification bars.
 * It reports exactly what Office.js would: no contacts or tasks as items, strings ("" when empty) for text,
 * items by the store's (immutable) id, and no id for a compose form until it is saved (stamping it saves it).
 */

const ROAMING_KEY = "crmSync";
const NOTICE_LIMIT = 150;
const COLORS = new Set(["None", ...Array.from({ length: 25 }, (_, i) => `Preset${i}`)]);

function later(): Promise<void> {
  return new Promise((resolve) => queueMicrotask(resolve));
}

function text(value: FieldValue | undefined): string {
  return typeof value === "string" ? value : "";
}

function list(value: FieldValue | undefined): string[] {
  return Array.isArray(value) ? [...(value as readonly string[])] : [];
}

export class SimulatedOutlookHost implements OutlookHost {
  private readonly mailbox: SimulatedMailbox;
  private readonly addinId: string;
  /** Drafts saved from their compose form (by immutable id): until then a compose item has no id. */
  private readonly savedDrafts = new Set<string>();

  constructor(options: { readonly mailbox: SimulatedMailbox; readonly addinId: string }) {
    this.mailbox = options.mailbox;
    this.addinId = options.addinId;
  }

  mailboxUser(): { readonly emailAddress: string; readonly displayName: string } {
    return { ...this.mailbox.owner };
  }

  async getCurrentItem(): Promise<CurrentItem | null> {
    await later();
    const selection = this.mailbox.selection();
    return selection === null ? null : this.describe(selection.itemId, selection.mode);
  }

  /** As in a pinned task pane: read selections only; a compose form opening or closing is no item change. */
  onItemChanged(listener: () => void): Disposable {
    let last = this.mailbox.selection();
    return this.mailbox.onSelectionChanged(() => {
      const [previous, current] = [last, this.mailbox.selection()];
      last = current;
      if (previous?.mode !== "compose" && current?.mode !== "compose" && previous?.itemId !== current?.itemId)
        listener();
    });
  }

  async setCurrentItemLink(link: CrmLinkStamp | null): Promise<void> {
    await later();
    const itemId = this.requireItemId("setCurrentItemLink");
    const base = customPropertiesWithLink(this.mailbox.customProperties(itemId, this.addinId), null);
    const stamped = this.mailbox.get(itemId);
    const messageId =
      this.mailbox.selection()?.mode === "compose" || stamped === undefined
        ? null
        : (stampMessageId(stamped.type, stamped.fields) ?? null);
    const next =
      link === null
        ? base
        : {
            ...base,
            ...(link.crmId !== null && { crmId: link.crmId }),
            state: link.state,
            ...(messageId !== null && { mid: messageId }),
          };
    this.mailbox.saveCustomProperties(itemId, this.addinId, next);
    const selection = this.mailbox.selection();
    const item = this.mailbox.get(itemId);
    if (selection?.mode === "compose" && item !== undefined) this.savedDrafts.add(item.immutableId);
  }

  async updateCurrentItemCategories(change: {
    readonly add: readonly string[];
    readonly remove: readonly string[];
  }): Promise<void> {
    await later();
    const itemId = this.requireItemId("updateCurrentItemCategories");
    const master = new Set(
      this.mailbox.masterCategories().map((category) => category.displayName.toLowerCase()),
    );
    const missing = change.add.find((name) => !master.has(name.toLowerCase()));
    if (missing !== undefined) {
      throw new SyncError("outlookFailed", {
        details: `categories.addAsync: InvalidCategory "${missing}" is not in the master category list`,
      });
    }
    const drop = new Set(change.remove.map((name) => name.toLowerCase()));
    const current = this.mailbox.get(itemId)?.categories ?? [];
    const next = [...current, ...change.add.filter((name) => !current.includes(name))].filter(
      (name) => !drop.has(name.toLowerCase()),
    );
    this.mailbox.updateItem(itemId, { categories: next }, { notify: false, by: "client" });
  }

  async ensureMasterCategory(name: string, color: string): Promise<void> {
    await later();
    if (!COLORS.has(color))
      throw new SyncError("invalidInput", {
        details: `category color "${color}" is not None or Preset0…Preset24`,
      });
    if (
      this.mailbox
        .masterCategories()
        .some((category) => category.displayName.toLowerCase() === name.toLowerCase())
    )
      return;
    this.mailbox.addMasterCategories([{ displayName: name, color }]);
  }

  async readRoamingSettings(): Promise<Readonly<Record<string, unknown>>> {
    await later();
    const value = this.mailbox.roamingSettings(this.addinId)[ROAMING_KEY];
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  }

  async saveRoamingSettings(values: Readonly<Record<string, unknown>>): Promise<void> {
    await later();
    this.mailbox.saveRoamingSettings(this.addinId, {
      ...this.mailbox.roamingSettings(this.addinId),
      [ROAMING_KEY]: values,
    });
  }

  async notify(notice: HostNotice): Promise<void> {
    await later();
    const selection = this.mailbox.selection();
    if (selection === null || this.describe(selection.itemId, selection.mode) === null) return;
    const message =
      notice.text.length > NOTICE_LIMIT ? `${notice.text.slice(0, NOTICE_LIMIT - 1)}…` : notice.text;
    const type =
      notice.kind === "info"
        ? "informationalMessage"
        : notice.kind === "progress"
          ? "progressIndicator"
          : "errorMessage";
    this.mailbox.putNotificationMessage(selection.itemId, { key: notice.key, type, message });
  }

  async clearNotice(key: string): Promise<void> {
    await later();
    const selection = this.mailbox.selection();
    if (selection !== null) this.mailbox.removeNotificationMessage(selection.itemId, key);
  }

  onMessageSend(handler: (draft: CurrentItem) => Promise<SendDecision>): Disposable {
    return this.mailbox.addSendHook(async (draftId) => {
      try {
        const draft = this.describe(draftId, "compose");
        return draft === null ? { allow: true } : await handler(draft);
      } catch {
        return { allow: true };
      }
    });
  }

  private requireItemId(operation: string): string {
    const selection = this.mailbox.selection();
    if (selection === null || this.describe(selection.itemId, selection.mode) === null) {
      throw new SyncError("outlookFailed", { details: `${operation}: no item is open` });
    }
    return selection.itemId;
  }

  private describe(itemId: string, mode: "read" | "compose"): CurrentItem | null {
    const item = this.mailbox.get(itemId);
    if (item === undefined || item.type === "contact" || item.type === "task") return null;
    const own = linkFromCustomProperties(
      this.mailbox.customProperties(itemId, this.addinId),
      mode === "compose" && item.type === "email" ? null : stampMessageId(item.type, item.fields),
    );
    // As OfficeJsOutlookHost with getComposeTypeAsync: a reply or forward keeps only its own "trackOnSend" stamp.
    const link =
      own !== null &&
      mode === "compose" &&
      own.state !== "trackOnSend" &&
      this.mailbox.composeType(itemId) !== "newMail"
        ? null
        : own;
    const { kind, fields } = this.project(item, mode);
    const saved = mode === "read" || this.savedDrafts.has(item.immutableId);
    return {
      itemId: saved ? item.immutableId : null,
      kind,
      mode,
      fields,
      categories: [...item.categories],
      link,
    };
  }

  private project(
    item: SimulatedItem,
    mode: "read" | "compose",
  ): { kind: CurrentItemKind; fields: Record<string, FieldValue> } {
    const f = item.fields;
    const owner = this.mailbox.owner.emailAddress;
    if (item.type === "appointment") {
      if (mode === "compose") return { kind: "appointment", fields: { body: text(f.body) } };
      const start = text(f.start) || new Date(item.createdAt).toISOString().replace(".000Z", "Z");
      return {
        kind: "appointment",
        fields: {
          subject: text(f.subject),
          body: text(f.body),
          start,
          end: text(f.end) || start,
          location: text(f.location),
          organizer: text(f.organizer) || owner,
          requiredAttendees: list(f.requiredAttendees),
          optionalAttendees: list(f.optionalAttendees),
        },
      };
    }
    const common = { subject: text(f.subject), body: text(f.body), to: list(f.to), cc: list(f.cc) };
    if (mode === "compose")
      return {
        kind: "draftEmail",
        fields: { ...common, from: text(f.from) || owner, direction: "outgoing" },
      };
    const from = text(f.from);
    const sent = from.toLowerCase() === owner.toLowerCase();
    const at = text(f.sentAt ?? f.receivedAt) || new Date(item.createdAt).toISOString().replace(".000Z", "Z");
    return {
      kind: sent ? "sentEmail" : "receivedEmail",
      fields: {
        ...common,
        from,
        internetMessageId: text(f.internetMessageId),
        [sent ? "sentAt" : "receivedAt"]: at,
        direction: sent ? "outgoing" : "incoming",
      },
    };
  }
}
