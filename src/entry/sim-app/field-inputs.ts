/** Shared pieces of the simulator page's edit forms (the Outlook item editor and the CRM record editor). */
import { DEFAULT_FIELD_MAPS } from "../../core/field-maps";
import { fieldSpecs, type FieldSpec } from "../../core/field-kinds";
import type { EntityType, FieldValue, Fields } from "../../core/types";
import { el } from "../taskpane/dom";

/** A field value as the text an input shows: lists joined with "; ", no value as "". */
export function fieldText(value: FieldValue): string {
  if (value === null) return "";
  return Array.isArray(value) ? value.join("; ") : String(value);
}

/** A key as people read it: `email1Address` → "Email 1 address", `isAllDayEvent` → "Is all day event". */
export function fieldLabel(key: string): string {
  const words = key
    .replace(/([a-z])([A-Z0-9])/g, "$1 $2")
    .replace(/([0-9])([A-Za-z])/g, "$1 $2")
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** One labelled text input per text field, named by its key; `ariaPrefix` names each input for assistive technology. */
export function textFieldInputs(fields: Fields, ariaPrefix?: string): HTMLElement[] {
  return Object.entries(fields)
    .filter(([, value]) => typeof value === "string")
    .map(([key, value]) =>
      el(
        "label",
        { class: "field" },
        el("span", {}, key),
        el("input", {
          name: key,
          value: fieldText(value),
          ...(ariaPrefix === undefined ? {} : { "aria-label": `${ariaPrefix} ${key}` }),
        }),
      ),
    );
}

/** The Outlook keys an item of `type` can hold (SPEC §2), each with its kind; e-mail: its text fields. */
export function outlookFieldSpecs(type: EntityType, fields: Fields): ReadonlyMap<string, FieldSpec> {
  if (type !== "email") return fieldSpecs(type, "outlook");
  return new Map(
    Object.entries(fields)
      .filter(([, value]) => typeof value === "string")
      .map(([key]) => [key, { kind: "text" } as const]),
  );
}

const PLACEHOLDERS: Partial<Record<FieldSpec["kind"], string>> = {
  date: "YYYY-MM-DD",
  dateTime: "YYYY-MM-DDTHH:mm:ssZ",
  list: "separate with ;",
  dateTimeList: "date-times, separated with ;",
};

/**
 * One labelled control per field of `specs`, showing the item's value, each named by its label alone; a code is
 * a choice of its table, shown in words (`waitingOnOthers` → "Waiting on others").
 */
export function outlookFieldInputs(specs: ReadonlyMap<string, FieldSpec>, fields: Fields): HTMLElement[] {
  return [...specs].map(([key, spec]) => {
    const value = fields[key] ?? null;
    const name = { name: key, "aria-label": fieldLabel(key) };
    let control: HTMLElement;
    if (spec.kind === "code") {
      control = el(
        "select",
        name,
        el("option", { value: "" }, "(none)"),
        ...spec.codes.map((code) =>
          el(
            "option",
            { value: String(code), selected: String(code) === fieldText(value) },
            typeof code === "string" ? fieldLabel(code) : String(code),
          ),
        ),
      );
    } else if (spec.kind === "boolean") {
      control = el("input", { ...name, type: "checkbox", checked: value === true });
    } else {
      control = el("input", {
        ...name,
        value: fieldText(value),
        ...(spec.kind === "number" ? { inputmode: "numeric" } : {}),
        ...(PLACEHOLDERS[spec.kind] === undefined ? {} : { placeholder: PLACEHOLDERS[spec.kind] }),
      });
    }
    return el("label", { class: "field" }, el("span", {}, fieldLabel(key)), control);
  });
}

/** The value a control holds, as the field's kind: "" is no value, a list splits on ";" or ",". */
export function controlValue(control: HTMLInputElement | HTMLSelectElement, spec: FieldSpec): FieldValue {
  if (spec.kind === "boolean") return (control as HTMLInputElement).checked;
  const text = control.value.trim();
  if (text === "") return null;
  if (spec.kind === "number") return Number(text);
  if (spec.kind === "list" || spec.kind === "dateTimeList") {
    return text
      .split(/[;,]/)
      .map((part) => part.trim())
      .filter(Boolean);
  }
  if (spec.kind === "code") {
    const code = spec.codes.find((candidate) => String(candidate) === text);
    return code === undefined ? text : code;
  }
  return text;
}

/**
 * Why an Outlook edit of `key` does not reach the CRM, or null when it does: a field that flows from the CRM only
 * (company name, reminder), one sent only when the item is first tracked, or one no rule maps (SPEC §2).
 */
export function droppedEditReason(type: EntityType, key: string): string | null {
  const rule = DEFAULT_FIELD_MAPS[type].find((candidate) => candidate.outlook.includes(key));
  const label = fieldLabel(key);
  if (rule === undefined) return `${label} is not synced with the CRM.`;
  if (rule.direction === "crmToOutlook")
    return `${label} is not sent to the CRM: it flows from the CRM to Outlook only, so the next CRM change replaces it.`;
  if (rule.direction === "onTrack")
    return `${label} went to the CRM when the item was tracked; later edits stay in Outlook.`;
  return null;
}
