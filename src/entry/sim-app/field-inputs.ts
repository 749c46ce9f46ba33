/** Shared pieces of the simulator page's edit forms (the Outlook item editor and the CRM record editor). */
import type { FieldValue, Fields } from "../../core/types";
import { el } from "../taskpane/dom";

/** A field value as the text an input shows: lists joined with "; ", no value as "". */
export function fieldText(value: FieldValue): string {
  if (value === null) return "";
  return Array.isArray(value) ? value.join("; ") : String(value);
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
