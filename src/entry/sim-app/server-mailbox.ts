/**
 * The simulator page's copy of the mailbox that `npm start` keeps (src/entry/cli/simulator-mailbox.ts). Reads
 * come from the copy, so the Office.js twin and the shell read as synchronously as before; every write the user
 * or the Office.js twin makes is carried out by the server (`POST /sim/mailbox`), and the copy takes the server's
 * mailbox afterwards, so ids and change keys are the server's. What the add-in writes through the Graph twin
 * reaches the copy by polling. The selection, notification bars and send hooks stay in the page, as they are the
 * open Outlook window's.
 *
 * Writes use a synchronous request because the Office.js twin calls the mailbox synchronously inside its async
 * methods; the server is on this machine and answers one call in a few milliseconds.
 */
import { ERROR_TABLE, SyncError, type ErrorCode } from "../../core/errors";
import type { Disposable } from "../../ports/clock";
import type { MailboxChangeNotice } from "../../ports/mailbox-store";
import {
  SimulatedMailbox,
  type ItemPatch,
  type MailboxState,
  type MasterCategory,
  type NewItem,
  type SimulatedFolder,
  type SimulatedItem,
  type WellKnownFolder,
  type WriteOptions,
} from "../../sim/mailbox/simulated-mailbox";
import { BROWSER_CLOCK } from "../commands/browser-clock";

/** How often the page looks for changes the add-in made through Graph. */
const POLL_MS = 500;
const ENDPOINT = "sim/mailbox";

interface Snapshot {
  readonly version: number;
  readonly state?: MailboxState;
}

interface CallAnswer {
  readonly result: unknown;
  readonly notices: readonly MailboxChangeNotice[];
  readonly version: number;
  readonly state: MailboxState;
}

function failure(status: number, body: unknown): SyncError {
  const error = (body as { error?: { code?: unknown; details?: unknown; message?: unknown } } | null)?.error;
  const code =
    typeof error?.code === "string" && error.code in ERROR_TABLE ? (error.code as ErrorCode) : null;
  const details = typeof error?.details === "string" ? error.details : undefined;
  if (code !== null) return new SyncError(code, details === undefined ? {} : { details });
  return new SyncError("serverError", {
    details: `The simulator's server answered ${status} to ${ENDPOINT}.`,
  });
}

export class ServerMailbox extends SimulatedMailbox implements Disposable {
  private version = 0;
  private readonly listeners = new Set<(notice: MailboxChangeNotice) => void>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private polling = false;

  /** Loads the server's mailbox and starts following it. */
  static async open(owner: {
    readonly emailAddress: string;
    readonly displayName: string;
  }): Promise<ServerMailbox> {
    const mailbox = new ServerMailbox({ clock: BROWSER_CLOCK, owner });
    await mailbox.poll();
    if (mailbox.version === 0) {
      throw new SyncError("serverError", { details: "The simulator's server sent no mailbox." });
    }
    mailbox.timer = setInterval(() => void mailbox.poll(), POLL_MS);
    return mailbox;
  }

  dispose(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** Takes the server's mailbox when it changed since the copy was taken; a failed look is tried at the next. */
  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const response = await fetch(`${ENDPOINT}?known=${this.version}`, { cache: "no-store" });
      if (!response.ok) return;
      this.take((await response.json()) as Snapshot);
    } catch {
      // The server is stopping or restarting; the next poll looks again.
    } finally {
      this.polling = false;
    }
  }

  override subscribe(listener: (notice: MailboxChangeNotice) => void): Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  override createItem(input: NewItem, options: WriteOptions): SimulatedItem {
    return this.remote("createItem", [input, options]) as SimulatedItem;
  }

  override updateItem(itemId: string, patch: ItemPatch, options: WriteOptions): SimulatedItem {
    return this.remote("updateItem", [itemId, patch, options]) as SimulatedItem;
  }

  override deleteItem(itemId: string, options: WriteOptions): boolean {
    return this.remote("deleteItem", [itemId, options]) as boolean;
  }

  override moveItem(itemId: string, folder: string, options: WriteOptions): SimulatedItem {
    return this.remote("moveItem", [itemId, folder, options]) as SimulatedItem;
  }

  override archiveItem(itemId: string, options: WriteOptions): SimulatedItem {
    return this.remote("archiveItem", [itemId, options]) as SimulatedItem;
  }

  override createFolder(parent: WellKnownFolder, name: string): SimulatedFolder {
    return this.remote("createFolder", [parent, name]) as SimulatedFolder;
  }

  override saveRoamingSettings(addinId: string, values: Readonly<Record<string, unknown>>): void {
    this.remote("saveRoamingSettings", [addinId, values]);
  }

  override addMasterCategories(categories: readonly MasterCategory[]): void {
    this.remote("addMasterCategories", [categories]);
  }

  override removeMasterCategories(names: readonly string[]): void {
    this.remote("removeMasterCategories", [names]);
  }

  /** The page's send hooks (the add-in's OnMessageSend) decide first; the server then sends the draft. */
  override async sendDraft(draftId: string): ReturnType<SimulatedMailbox["sendDraft"]> {
    const immutableId = this.get(draftId)?.immutableId ?? draftId;
    const local = await super.sendDraft(draftId);
    if (!local.sent) return local;
    return this.remote("sendDraft", [immutableId]) as Awaited<ReturnType<SimulatedMailbox["sendDraft"]>>;
  }

  private remote(method: string, args: readonly unknown[]): unknown {
    const request = new XMLHttpRequest();
    try {
      request.open("POST", ENDPOINT, false);
      request.setRequestHeader("content-type", "application/json");
      request.send(JSON.stringify({ method, args }));
    } catch (cause) {
      throw new SyncError("mailboxUnreachable", {
        details: `The simulator's server did not answer ${method}.`,
        cause,
      });
    }
    let body: unknown = null;
    try {
      body = JSON.parse(request.responseText);
    } catch {
      body = null;
    }
    if (request.status !== 200 || body === null) throw failure(request.status, body);
    const answer = body as CallAnswer;
    this.take(answer);
    for (const notice of answer.notices) {
      for (const listener of [...this.listeners]) {
        void Promise.resolve().then(() => {
          if (this.listeners.has(listener)) listener({ ...notice });
        });
      }
    }
    return answer.result;
  }

  private take(snapshot: Snapshot): void {
    if (snapshot.state === undefined || snapshot.version <= this.version) return;
    this.version = snapshot.version;
    this.importState(snapshot.state);
  }
}
