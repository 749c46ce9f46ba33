import { kindOf } from "../../engine/item-actions";
import type { MailboxItemRef } from "../../ports/mailbox-store";
import { entityTypeOfKind, type CurrentItem } from "../../ports/outlook-host";
import type { AddinPorts } from "./addin-runtime";

/**
 * The item a command or the task pane acts on: the host's current item, or else the Explorer selection the
 * page supplies (read through the mailbox store), or null when nothing is selected.
 */
export async function currentItem(ports: AddinPorts): Promise<CurrentItem | null> {
  const current = await ports.host.getCurrentItem();
  if (current !== null) return current;
  const selected = ports.explorerSelection?.() ?? null;
  if (selected === null) return null;
  const item = (await ports.mailbox.getItems([selected])).get(selected.itemId) ?? null;
  if (item === null) return null;
  return {
    itemId: item.itemId,
    kind: kindOf(item, null),
    mode: "read",
    fields: item.fields,
    categories: item.categories,
    link: item.link,
  };
}

/** The engine's reference to `item`: its id and type when it has an id, else the host's current (compose) item. */
export function itemRef(item: CurrentItem): { readonly item?: MailboxItemRef } {
  return item.itemId === null ? {} : { item: { itemId: item.itemId, type: entityTypeOfKind(item.kind) } };
}
