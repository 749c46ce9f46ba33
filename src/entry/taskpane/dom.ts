import { invariant } from "../../core/errors";

/**
 * A tiny element builder for the add-in's pages. Text only ever goes in through textContent (never innerHTML),
 * so data from the CRM or the mailbox is shown as text and runs nothing.
 */

/** Attributes set with setAttribute; `false`/`undefined` leave the attribute out, `true` sets it empty. */
export type Attributes = Readonly<Record<string, string | number | boolean | undefined>>;

/** A child: an element, or text (set as a text node). */
export type Child = Node | string;

/** Creates `<tag>` with `attrs` and `children`; strings become text nodes. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attributes = {},
  ...children: readonly Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? "" : String(value));
  }
  element.append(...children.map((c) => (typeof c === "string" ? document.createTextNode(c) : c)));
  return element;
}

/** Replaces an element's children (text stays text). */
export function setChildren(parent: Element, ...children: readonly Child[]): void {
  parent.replaceChildren(...children.map((c) => (typeof c === "string" ? document.createTextNode(c) : c)));
}

/** Finds a required element by its data-part name inside `root`; a missing part is a defect of the page. */
export function part<T extends HTMLElement>(root: ParentNode, name: string): T {
  const found = root.querySelector<T>(`[data-part="${name}"]`);
  invariant(found !== null, `page part "${name}" is missing`);
  return found;
}

/** Formats a time for the pane: the local date and time, or "never". */
export function formatTime(ms: number | null): string {
  if (ms === null) return "never";
  return new Date(ms).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}
