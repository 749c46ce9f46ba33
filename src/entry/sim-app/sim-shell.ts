/**
 * The simulator page's Outlook-like shell (issue 7 "Browser simulator page"): folders (Mail, Calendar, Contacts,
 * Tasks), an item list, a reading pane with the item's notification bar, a compose form, and the ribbon drawn
 * from manifest.xml with the add-in's CRM group for the selected item. It acts as the user on the simulated
 * mailbox; the add-in itself runs in the frames the host page gives it.
 */
import type { FieldValue } from "../../core/types";
import type { Disposable } from "../../ports/clock";
import type { SimulatedItem, SimulatedMailbox } from "../../sim/mailbox/simulated-mailbox";
import type { SendDecision } from "../../sim/office/simulated-office";
import { el, setChildren } from "../taskpane/dom";
import { failureText } from "../commands/command-runner";
import {
  controlValue,
  droppedEditReason,
  fieldLabel,
  fieldText,
  outlookFieldInputs,
  outlookFieldSpecs,
} from "./field-inputs";
import type { CommandSurface, Ribbon, RibbonButton } from "./manifest-ribbon";

/** What the shell asks of the page hosting the add-in. */
export interface AddinHost {
  /** Runs an ExecuteFunction command in the add-in's commands runtime. */
  runFunction(functionName: string): Promise<void>;
  /** Shows (and pins) the add-in's task pane. */
  showTaskpane(url: string): void;
  /** The organizer sends a meeting update: the add-in's OnAppointmentSend decides first. */
  sendAppointment(itemId: string): Promise<SendDecision>;
}

type FolderView = "mail" | "calendar" | "contacts" | "tasks";

const FOLDER_VIEWS: readonly { view: FolderView; label: string; folders: readonly string[] }[] = [
  { view: "mail", label: "Mail", folders: ["inbox", "drafts", "sentitems"] },
  { view: "calendar", label: "Calendar", folders: ["calendar"] },
  { view: "contacts", label: "Contacts", folders: ["contacts"] },
  { view: "tasks", label: "Tasks", folders: ["tasks"] },
];

/** How often the shell redraws from the mailbox (the add-in writes to it from its own frames). */
const REFRESH_MS = 250;

/** The title the item list and reading pane show for an item. */
export function itemTitle(item: SimulatedItem): string {
  const text = (key: string): string => {
    const value = item.fields[key];
    return typeof value === "string" ? value : "";
  };
  if (item.type === "contact")
    return [text("firstName"), text("lastName")].filter(Boolean).join(" ") || "(no name)";
  return text("subject") || "(no subject)";
}

/** The command surface the simulator shows for an item; contacts and tasks use the read surface. */
export function surfaceFor(item: SimulatedItem, mode: "read" | "compose", owner: string): CommandSurface {
  if (item.type === "appointment") {
    return item.fields["organizer"] === owner
      ? "AppointmentOrganizerCommandSurface"
      : "AppointmentAttendeeCommandSurface";
  }
  return item.type === "email" && mode === "compose"
    ? "MessageComposeCommandSurface"
    : "MessageReadCommandSurface";
}

export class SimShell implements Disposable {
  private view: FolderView = "mail";
  private lastDrawn = "";
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly list: HTMLUListElement;
  private readonly reading: HTMLElement;
  private readonly ribbonGroup: HTMLElement;
  private readonly folderButtons = new Map<FolderView, HTMLButtonElement>();
  /** The last edit's outcome per item, shown under its edit form until the next edit. */
  private readonly notes = new Map<string, string>();

  constructor(
    root: HTMLElement,
    private readonly mailbox: SimulatedMailbox,
    private readonly ribbon: Ribbon,
    private readonly host: AddinHost,
  ) {
    const nav = el("nav", { class: "folders", "aria-label": "Folders" });
    for (const { view, label } of FOLDER_VIEWS) {
      const button = el("button", { type: "button", "aria-pressed": "false" }, label);
      button.addEventListener("click", () => this.openFolder(view));
      this.folderButtons.set(view, button);
      nav.append(button);
    }
    const newMail = el("button", { type: "button" }, "New e-mail");
    newMail.addEventListener("click", () => this.compose());
    const remove = el("button", { type: "button" }, "Delete");
    remove.addEventListener("click", () => this.deleteSelected());
    this.ribbonGroup = el("div", { class: "ribbon-group", role: "group", "aria-label": "CRM" });
    this.list = el("ul", { class: "item-list", "aria-label": "Items" });
    this.reading = el("article", { class: "reading", "aria-label": "Reading pane" });
    root.replaceChildren(
      el(
        "div",
        { class: "ribbon", role: "toolbar", "aria-label": "Ribbon" },
        newMail,
        remove,
        this.ribbonGroup,
      ),
      el(
        "div",
        { class: "outlook" },
        nav,
        el("section", { class: "list-pane", "aria-label": "Item list" }, this.list),
        this.reading,
      ),
    );
    this.openFolder("mail");
    this.timer = setInterval(() => this.draw(), REFRESH_MS);
  }

  /** Stops redrawing. */
  dispose(): void {
    clearInterval(this.timer);
  }

  /** Shows a folder view and selects nothing. */
  openFolder(view: FolderView): void {
    this.view = view;
    for (const [v, button] of this.folderButtons) button.setAttribute("aria-pressed", String(v === view));
    this.mailbox.select(null);
    this.draw(true);
  }

  /** Opens the Inbox with its first message selected and the add-in's task pane open, as Outlook opens. */
  openInbox(): void {
    this.openFolder("mail");
    const inbox = this.mailbox.folder("inbox");
    const first = inbox ? this.mailbox.list(inbox.folderId).find((item) => !item.deleted) : undefined;
    if (first) this.mailbox.select(first.itemId);
    const pane = (this.ribbon.surfaces.MessageReadCommandSurface ?? [])
      .flatMap((group) => group.buttons)
      .find((button) => button.action.kind === "showTaskpane");
    if (pane?.action.kind === "showTaskpane") this.host.showTaskpane(this.localUrl(pane.action.url));
    this.draw(true);
  }

  private items(): SimulatedItem[] {
    const wanted = FOLDER_VIEWS.find((f) => f.view === this.view)?.folders ?? [];
    return wanted.flatMap((name) => {
      const folder = this.mailbox.folder(name);
      return folder ? this.mailbox.list(folder.folderId).filter((item) => !item.deleted) : [];
    });
  }

  /** Redraws when the mailbox, the selection or the notification bar changed (or when forced). */
  private draw(force = false): void {
    const selection = this.mailbox.selection();
    const items = this.items();
    const selected = selection ? this.mailbox.get(selection.itemId) : undefined;
    const signature = JSON.stringify([
      this.view,
      selection,
      items.map((i) => [i.itemId, i.changeKey]),
      selected ? this.mailbox.notificationMessages(selected.itemId) : null,
    ]);
    if (!force && signature === this.lastDrawn) return;
    const composing = this.reading.querySelector("form.compose")?.contains(document.activeElement) ?? false;
    // An Edit in Outlook form the user has open stays as it is while the mailbox changes (a sync's writes).
    const editing =
      selected !== undefined &&
      this.reading.querySelector(`form.edit[data-item-id="${CSS.escape(selected.itemId)}"] details[open]`) !==
        null;
    this.lastDrawn = signature;
    setChildren(
      this.list,
      ...items.map((item) => {
        const open = el(
          "button",
          { type: "button", "aria-current": item.itemId === selection?.itemId ? "true" : false },
          itemTitle(item),
          ...(item.categories.length > 0
            ? [el("span", { class: "categories" }, item.categories.join(", "))]
            : []),
        );
        open.addEventListener("click", () => this.mailbox.select(item.itemId));
        return el("li", {}, open);
      }),
    );
    this.drawRibbon(
      selected && selection ? surfaceFor(selected, selection.mode, this.mailbox.owner.emailAddress) : null,
    );
    if (!composing && !editing) this.drawReading(selected, selection?.mode ?? "read");
  }

  private drawRibbon(surface: CommandSurface | null): void {
    const groups = surface ? (this.ribbon.surfaces[surface] ?? []) : [];
    setChildren(
      this.ribbonGroup,
      ...groups.flatMap((group) => [
        el("span", { class: "group-label" }, group.label),
        ...group.buttons.map((button) => this.ribbonButton(button)),
      ]),
    );
  }

  private ribbonButton(button: RibbonButton): HTMLButtonElement {
    const element = el(
      "button",
      { type: "button", title: button.tooltip, "data-control": button.id },
      el("img", { src: this.localUrl(button.iconUrl), alt: "", width: 16, height: 16 }),
      button.label,
    );
    element.addEventListener("click", () => {
      if (button.action.kind === "showTaskpane") this.host.showTaskpane(this.localUrl(button.action.url));
      else void this.host.runFunction(button.action.functionName);
    });
    return element;
  }

  /** Manifest URLs point at the add-in's base; the simulator serves the same files beside its own page. */
  private localUrl(url: string): string {
    const relative = url.startsWith(this.ribbon.baseUrl) ? url.slice(this.ribbon.baseUrl.length) : url;
    return new URL(relative, document.baseURI).href;
  }

  private drawReading(item: SimulatedItem | undefined, mode: "read" | "compose"): void {
    if (item === undefined) {
      setChildren(this.reading, el("p", { class: "empty" }, "Select an item to read it."));
      return;
    }
    const bar = el(
      "ul",
      { class: "notification-bar", "aria-label": "Notification bar" },
      ...this.mailbox
        .notificationMessages(item.itemId)
        .map((message) => el("li", { class: message.type, role: "status" }, message.message)),
    );
    if (mode === "compose") {
      setChildren(this.reading, bar, this.composeForm(item));
      return;
    }
    const rows = Object.entries(item.fields).flatMap(([key, value]) => [
      el("dt", {}, fieldLabel(key)),
      el("dd", {}, fieldText(value)),
    ]);
    setChildren(
      this.reading,
      bar,
      el("h2", {}, itemTitle(item)),
      el(
        "p",
        { class: "categories" },
        item.categories.length > 0 ? `Categories: ${item.categories.join(", ")}` : "No categories",
      ),
      el("dl", { class: "fields", "aria-label": "Item fields" }, ...rows),
      this.editForm(item),
    );
  }

  /**
   * Edits an item as the user would in Outlook (a notified change): every SPEC §2 field of its type, with
   * readable labels, and a note for each edit that the sync rules do not send to the CRM. A meeting the user
   * organizes also has "Send update", which sends it to the attendees with the edits (OnAppointmentSend first).
   */
  private editForm(item: SimulatedItem): HTMLElement {
    const specs = outlookFieldSpecs(item.type, item.fields);
    const note = el("p", { class: "edit-note", role: "status" });
    const details = el(
      "details",
      {},
      el("summary", {}, "Edit in Outlook"),
      ...outlookFieldInputs(specs, item.fields),
      el("button", { type: "submit" }, "Save in Outlook"),
    );
    // While open the form is not redrawn (see draw); closed, it shows the item as it is now.
    details.addEventListener("toggle", () => {
      if (!details.open) this.draw(true);
    });
    const organized =
      item.type === "appointment" && item.fields["organizer"] === this.mailbox.owner.emailAddress;
    const sendUpdate = el("button", { type: "submit" }, "Send update");
    const form = el(
      "form",
      { class: "edit", "aria-label": "Edit item", "data-item-id": item.itemId },
      details,
      ...(organized ? [sendUpdate] : []),
      note,
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const fields: Record<string, FieldValue> = {};
      for (const control of form.querySelectorAll<HTMLInputElement | HTMLSelectElement>("input, select")) {
        const spec = specs.get(control.name);
        if (spec === undefined) continue;
        const value = controlValue(control, spec);
        if (fieldText(value) !== fieldText(item.fields[control.name] ?? null)) fields[control.name] = value;
      }
      if (event.submitter === sendUpdate) {
        this.sendUpdate(item, fields, note, details).catch((error: unknown) => {
          note.textContent = failureText(error);
        });
        return;
      }
      if (Object.keys(fields).length === 0) {
        note.textContent = "Nothing changed.";
        return;
      }
      if (this.saveEdit(item, fields, note)) details.open = false;
    });
    note.textContent = this.notes.get(item.itemId) ?? "";
    return form;
  }

  /** Writes an edit as the user's (notified); false, with the note saying why, when the mailbox refused it. */
  private saveEdit(item: SimulatedItem, fields: Record<string, FieldValue>, note: HTMLElement): boolean {
    try {
      this.mailbox.updateItem(item.itemId, { fields }, { notify: true, by: "world" });
    } catch (error) {
      note.textContent = failureText(error);
      return false;
    }
    const dropped = Object.keys(fields).flatMap((key) => droppedEditReason(item.type, key) ?? []);
    this.notes.set(
      item.itemId,
      dropped.length > 0 ? `Saved in Outlook. ${dropped.join(" ")}` : "Saved in Outlook.",
    );
    return true;
  }

  /** Sends a meeting update: OnAppointmentSend decides, then the edits (if any) are saved and the update goes. */
  private async sendUpdate(
    item: SimulatedItem,
    fields: Record<string, FieldValue>,
    note: HTMLElement,
    details: HTMLDetailsElement,
  ): Promise<void> {
    note.textContent = "Sending the update…";
    const decision = await this.host.sendAppointment(item.itemId);
    if (!decision.allow) {
      note.textContent = decision.errorMessage ?? "An add-in stopped the update.";
      return;
    }
    if (Object.keys(fields).length > 0 && !this.saveEdit(item, fields, note)) return;
    this.notes.set(item.itemId, "Update sent to the attendees.");
    note.textContent = "Update sent to the attendees.";
    details.open = false;
  }

  private composeForm(draft: SimulatedItem): HTMLElement {
    const input = (name: string, label: string, value: string): HTMLLabelElement =>
      el(
        "label",
        { class: "field" },
        el("span", {}, label),
        el("input", { name, value, "aria-label": label }),
      );
    const form = el(
      "form",
      { class: "compose", "aria-label": "New message" },
      input("to", "To", fieldText(draft.fields["to"] ?? null)),
      input("subject", "Subject", fieldText(draft.fields["subject"] ?? null)),
      el(
        "label",
        { class: "field" },
        el("span", {}, "Message"),
        el("textarea", { name: "body", "aria-label": "Message" }, fieldText(draft.fields["body"] ?? null)),
      ),
      el("button", { type: "submit", class: "primary" }, "Send"),
    );
    form.addEventListener("change", () =>
      this.mailbox.updateItem(
        draft.itemId,
        { fields: this.composeFields(form) },
        { notify: false, by: "world" },
      ),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.mailbox.updateItem(
        draft.itemId,
        { fields: this.composeFields(form) },
        { notify: false, by: "world" },
      );
      void this.mailbox.sendDraft(draft.itemId).then(() => this.openFolder("mail"));
    });
    return form;
  }

  private composeFields(form: HTMLFormElement): Record<string, FieldValue> {
    const value = (name: string): string => (form.elements.namedItem(name) as HTMLInputElement).value;
    return {
      to: value("to")
        .split(/[;,]/)
        .map((s) => s.trim())
        .filter(Boolean),
      subject: value("subject"),
      body: value("body"),
      from: this.mailbox.owner.emailAddress,
    };
  }

  private compose(): void {
    this.view = "mail";
    for (const [v, button] of this.folderButtons) button.setAttribute("aria-pressed", String(v === "mail"));
    this.mailbox.openCompose({ from: this.mailbox.owner.emailAddress, subject: "", to: [] });
    this.draw(true);
  }

  private deleteSelected(): void {
    const selection = this.mailbox.selection();
    if (selection) this.mailbox.deleteItem(selection.itemId, { notify: true, by: "world" });
  }
}
