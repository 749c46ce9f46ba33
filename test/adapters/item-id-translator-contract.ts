import assert from "node:assert/strict";
import type { ItemIdTranslator } from "../../src/ports/item-ids";
import type { MailboxStore } from "../../src/ports/mailbox-store";
import type { SimulatedMailbox } from "../../src/sim/mailbox/simulated-mailbox";

/** What one run of the ItemIdTranslator contract needs: a store that is also the translator, and its mailbox. */
export interface ItemIdTranslatorHarness {
  readonly store: MailboxStore & ItemIdTranslator;
  readonly mailbox: SimulatedMailbox;
  /** Requests the store sent so far, when it talks HTTP. */
  readonly requests?: () => number;
  dispose(): Promise<void>;
}

/** The ItemIdTranslator contract (ports/item-ids), run against one implementation. */
export function runItemIdTranslatorContract(
  name: string,
  newHarness: () => Promise<ItemIdTranslatorHarness>,
): void {
  describe(`ItemIdTranslator contract: ${name}`, () => {
    let h: ItemIdTranslatorHarness;
    beforeEach(async () => {
      h = await newHarness();
    });
    afterEach(async () => {
      await h.dispose();
    });

    it("maps the REST id Office.js gives to the id the store names the item by", async () => {
      const message = h.mailbox.createItem(
        { type: "email", fields: { subject: "Order", from: "bob@contoso.com" } },
        { notify: false, by: "world" },
      );
      const event = h.mailbox.createItem(
        { type: "appointment", fields: { subject: "Review", start: "2026-03-10T14:00:00Z" } },
        { notify: false, by: "world" },
      );
      const ids = await h.store.storeIdsFor([message.itemId, event.itemId]);
      const items = await h.store.getItems([message, event]);
      assert.deepEqual(
        [ids.get(message.itemId), ids.get(event.itemId)],
        [items.get(message.itemId)?.itemId, items.get(event.itemId)?.itemId],
      );
      assert.notEqual(ids.get(message.itemId), message.itemId, "the store id is not the movable REST id");
    });

    it("gives the same store id for the new REST id after a move, and null for ids the mailbox lost", async () => {
      const message = h.mailbox.createItem(
        { type: "email", fields: { subject: "Order", from: "bob@contoso.com" } },
        { notify: false, by: "world" },
      );
      const before = (await h.store.storeIdsFor([message.itemId])).get(message.itemId);
      const archived = h.mailbox.archiveItem(message.itemId, { notify: false });
      const gone = h.mailbox.createItem(
        { type: "email", fields: { subject: "x" } },
        { notify: false, by: "world" },
      );
      h.mailbox.deleteItem(gone.itemId, { notify: false });
      const ids = await h.store.storeIdsFor([archived.itemId, message.itemId, gone.itemId, "not an id"]);
      assert.equal(ids.get(archived.itemId), before);
      assert.equal(ids.get(message.itemId), null, "the REST id from before the move names nothing now");
      assert.equal(ids.get(gone.itemId), null);
      assert.equal(ids.get("not an id"), null);
      assert.equal(ids.size, 4);
    });

    it("answers more ids than one translation request takes", async () => {
      const made = Array.from(
        { length: 1001 },
        (_, i) =>
          h.mailbox.createItem(
            { type: "contact", fields: { firstName: `C${i}` } },
            { notify: false, by: "world" },
          ).itemId,
      );
      const before = h.requests?.();
      const ids = await h.store.storeIdsFor([...made, made[0] ?? ""]);
      assert.equal(ids.size, 1001);
      assert.ok([...ids.values()].every((id) => typeof id === "string"));
      assert.equal(new Set(ids.values()).size, 1001);
      if (before !== undefined) assert.equal((h.requests?.() ?? 0) - before, 2, "1,000 ids per request");
    });
  });
}
