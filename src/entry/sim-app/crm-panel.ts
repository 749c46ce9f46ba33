/**
 * The simulator page's CRM side: the records the signed-in user can see, read through the sync protocol with
 * a client of its own, and an editor that saves a record's fields the way a CRM user would (a guarded update).
 * Every value is shown as text.
 */
import type { Disposable } from "../../ports/clock";
import type { CrmClient, CrmRecord } from "../../ports/crm-client";
import { el, setChildren } from "../taskpane/dom";
import { textFieldInputs } from "./field-inputs";
import { recordLabel } from "../taskpane/taskpane-controller";
import { failureText } from "../commands/command-runner";

/** The CRM view's own client id: it reads the change stream like any client, and never synchronizes. */
export const CRM_VIEW_CLIENT = "simulator-crm-view";
const REFRESH_MS = 2000;
/** The contact field that names its account (SPEC §2 company). */
const PARENT_ACCOUNT = "parentaccount";
const ID_BATCH = 100;

/** Every record the caller can read now, from the start of the change stream. */
export async function listCrmRecords(crm: CrmClient, clientId: string): Promise<CrmRecord[]> {
  const kinds = new Map<string, string>();
  let after = 0;
  for (;;) {
    const page = await crm.getSyncData({ clientId, after, limit: 500 });
    for (const entry of page.entries) kinds.set(entry.crmId, entry.kind);
    after = page.nextAfter;
    if (!page.hasMore) break;
  }
  await crm.postSync({ clientId, version: after });
  const ids = [...kinds].filter(([, kind]) => kind === "upsert").map(([id]) => id);
  const records: CrmRecord[] = [];
  for (let i = 0; i < ids.length; i += ID_BATCH) {
    records.push(...(await crm.getSpecificSyncData(ids.slice(i, i + ID_BATCH))).records);
  }
  return records.sort((a, b) => a.type.localeCompare(b.type) || recordLabel(a).localeCompare(recordLabel(b)));
}

export class CrmPanel implements Disposable {
  private readonly table: HTMLTableSectionElement;
  private readonly editor: HTMLElement;
  private readonly status: HTMLElement;
  private readonly timer: ReturnType<typeof setInterval>;
  private registered: Promise<unknown> | null = null;
  private refreshFailed = false;
  /** The accounts of the last refresh, by id: a contact's company is chosen from them by name. */
  private accounts = new Map<string, string>();

  constructor(
    root: HTMLElement,
    private readonly crm: CrmClient,
    userId: string,
  ) {
    const refresh = el("button", { type: "button" }, "Refresh CRM");
    refresh.addEventListener("click", () => void this.refresh());
    this.table = el("tbody");
    this.editor = el("div", { class: "crm-editor" });
    this.status = el("p", { class: "crm-status", role: "status" });
    root.replaceChildren(
      el("h2", {}, `CRM (records visible to ${userId})`),
      el("div", { class: "actions" }, refresh),
      this.status,
      el(
        "table",
        { class: "crm-records", "aria-label": "CRM records" },
        el(
          "thead",
          {},
          el("tr", {}, ...["Type", "Record", "Owner", "Version"].map((h) => el("th", { scope: "col" }, h))),
        ),
        this.table,
      ),
      this.editor,
    );
    this.timer = setInterval(() => void this.refresh(), REFRESH_MS);
  }

  dispose(): void {
    clearInterval(this.timer);
  }

  /** Reloads the record list; the open editor is left alone. */
  async refresh(): Promise<void> {
    try {
      this.registered ??= this.crm.registerClient(CRM_VIEW_CLIENT);
      await this.registered;
      const records = await listCrmRecords(this.crm, CRM_VIEW_CLIENT);
      if (this.refreshFailed) this.status.textContent = "";
      this.refreshFailed = false;
      this.accounts = new Map(
        records
          .filter((record) => record.type === "account")
          .map((record) => [record.id, recordLabel(record)]),
      );
      setChildren(this.table, ...records.map((record) => this.row(record)));
    } catch (error) {
      this.registered = null;
      this.refreshFailed = true;
      this.status.textContent = failureText(error);
    }
  }

  private row(record: CrmRecord): HTMLTableRowElement {
    const open = el(
      "button",
      { type: "button", "aria-label": `Open CRM record ${recordLabel(record)}` },
      recordLabel(record),
    );
    open.addEventListener("click", () => this.edit(record));
    return el(
      "tr",
      { "data-crm-id": record.id },
      el("td", {}, record.type),
      el("td", {}, open),
      el("td", {}, record.owner),
      el("td", {}, String(record.version)),
    );
  }

  private edit(record: CrmRecord): void {
    const { [PARENT_ACCOUNT]: parent, ...rest } = record.fields;
    const inputs = textFieldInputs(rest, "CRM");
    if (record.type === "contact")
      inputs.push(
        this.accountChoice(
          typeof parent === "string" ? parent : null,
          record.related?.parentAccountName ?? null,
        ),
      );
    const form = el(
      "form",
      { class: "crm-edit", "aria-label": "Edit CRM record" },
      el("h3", {}, `${record.type}: ${recordLabel(record)}`),
      ...inputs,
      el("button", { type: "submit", class: "primary" }, "Save in CRM"),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const fields: Record<string, string> = {};
      for (const input of form.querySelectorAll<HTMLInputElement | HTMLSelectElement>("input, select")) {
        if (input.value !== (record.fields[input.name] ?? "")) fields[input.name] = input.value;
      }
      void this.save(record, fields);
    });
    setChildren(this.editor, form);
  }

  /** The contact's company as a choice of accounts by name (the record stores its id); accounts never sync, so the current one is named from the record. */
  private accountChoice(current: string | null, currentName: string | null): HTMLElement {
    const known = current === null || this.accounts.has(current);
    return el(
      "label",
      { class: "field" },
      el("span", {}, "Company (parent account)"),
      el(
        "select",
        { name: PARENT_ACCOUNT, "aria-label": `CRM ${PARENT_ACCOUNT}` },
        ...(current === null ? [el("option", { value: "", selected: true }, "(none)")] : []),
        ...(known || current === null
          ? []
          : [el("option", { value: current, selected: true }, currentName ?? "an account you cannot read")]),
        ...[...this.accounts].map(([id, name]) =>
          el("option", { value: id, selected: id === current }, name),
        ),
      ),
    );
  }

  private async save(record: CrmRecord, fields: Record<string, string>): Promise<void> {
    try {
      const outcome = await this.crm.updateRecord({ id: record.id, expectedVersion: record.version, fields });
      this.status.textContent =
        outcome.status === "updated"
          ? `Saved ${recordLabel(outcome.record)} (version ${outcome.record.version}).`
          : "Someone changed the record meanwhile: reopen it and save again.";
      setChildren(this.editor);
      await this.refresh();
    } catch (error) {
      this.status.textContent = failureText(error);
    }
  }
}
