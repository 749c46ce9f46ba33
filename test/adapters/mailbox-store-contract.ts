import assert from "node:assert/strict";
import { SyncError } from "../../src/core/errors";
import type { EntityType, Fields } from "../../src/core/types";
import type {
  MailboxChangeNotice,
  MailboxItem,
  MailboxItemRef,
  MailboxStore,
} from "../../src/ports/mailbox-store";
import type { SimulatedMailbox } from "../../src/sim/mailbox/simulated-mailbox";
import { settle, type ManualClock } from "../support/manual-clock";
import { skipTestBecause } from "../support/skip";

/** What one contract run needs: the store under test and the simulated mailbox behind it (the "world"). */
export interface MailboxStoreHarness {
  readonly store: MailboxStore;
  readonly mailbox: SimulatedMailbox;
  readonly clock: ManualClock;
  readonly addinId: string;
  /** True when requests cross HTTP, so the HTTP fault switches (429, lost response) apply. */
  readonly http: boolean;
  dispose(): Promise<void>;
}

/** The store's reference to an item the world made: its immutable id (the store's id) and its type. */
export function immutableRef(item: {
  readonly immutableId: string;
  readonly type: EntityType;
}): MailboxItemRef {
  return { itemId: item.immutableId, type: item.type };
}

/** Every field kind, as the scenario files would give them. */
export const SAMPLE_FIELDS: Readonly<Record<EntityType, Fields>> = {
  contact: {
    firstName: "Ann",
    middleName: "B",
    lastName: "Lee",
    title: "Dr.",
    nickname: "Annie",
    email1Address: "ann@contoso.com",
    email2Address: "ann.lee@example.org",
    email3Address: "al@example.net",
    businessTelephoneNumber: "+1 555 0100",
    homeTelephoneNumber: "+1 555 0101",
    mobileTelephoneNumber: "+1 555 0102",
    otherTelephoneNumber: "+1 555 0103",
    pagerNumber: "+1 555 0104",
    assistantTelephoneNumber: "+1 555 0105",
    businessFaxNumber: "+1 555 0106",
    assistantName: "Bo",
    managerName: "Cy",
    spouse: "Di",
    children: "Ed, Flo",
    jobTitle: "Buyer",
    department: "Purchasing",
    companyName: "Contoso",
    governmentIdNumber: "123-45-6789",
    ftpSite: "ftp://contoso.com",
    webPage: "https://contoso.com",
    yomiFirstName: "アン",
    yomiLastName: "リー",
    birthday: "1980-05-01",
    anniversary: "2005-06-18",
    body: "Met at the fair.\nLikes tea.",
    mailingAddressStreet: "1 Main St\nSuite 2",
    mailingAddressCity: "Springfield",
    mailingAddressState: "IL",
    mailingAddressPostalCode: "62701",
    mailingAddressCountry: "USA",
    mailingAddressPostOfficeBox: "PO 12",
  },
  appointment: {
    subject: "Quarterly review",
    body: "Agenda attached.",
    location: "Room 4",
    start: "2026-03-10T14:00:00Z",
    end: "2026-03-10T15:30:00Z",
    isAllDayEvent: false,
    requiredAttendees: ["bob@contoso.com"],
    optionalAttendees: ["cy@contoso.com", "di@contoso.com"],
    organizer: "alice@contoso.com",
    priority: "high",
    showTimeAs: "tentative",
  },
  task: {
    subject: "Send quote",
    body: "Include discount.",
    startDate: "2026-03-03T08:00:00Z",
    dueDate: "2026-03-05T17:00:00Z",
    reminderTime: "2026-03-05T09:00:00Z",
    priority: "low",
    status: "inProgress",
  },
  email: {
    subject: "Quote",
    body: "Please find the quote.",
    from: "alice@contoso.com",
    to: ["bob@contoso.com"],
    cc: ["cy@contoso.com"],
    sentAt: "2026-03-01T10:00:00Z",
  },
};

function withoutDerived(fields: Fields): Fields {
  const {
    duration: _duration,
    direction: _direction,
    iCalUId: _iCalUId,
    internetMessageId: _id,
    ...rest
  } = fields;
  return rest;
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => error instanceof SyncError && error.code === code);
}

/** The MailboxStore contract, run against one implementation (Replicache's runAll style). */
export function runMailboxStoreContract(name: string, newHarness: () => Promise<MailboxStoreHarness>): void {
  describe(`MailboxStore contract: ${name}`, () => {
    let h: MailboxStoreHarness;
    beforeEach(async () => {
      h = await newHarness();
    });
    afterEach(async () => {
      await h.dispose();
    });

    async function folderOf(type: EntityType): Promise<string> {
      const [folder] = await h.store.listFolders([type]);
      assert.ok(folder);
      return folder.folderId;
    }

    it("lists one folder per requested type, Sent Items for e-mail", async () => {
      const folders = await h.store.listFolders(["contact", "appointment", "task", "email"]);
      assert.deepEqual(
        folders.map((folder) => folder.type),
        ["contact", "appointment", "task", "email"],
      );
      assert.equal(folders[3]?.folderId, h.mailbox.folder("sentitems")?.folderId);
    });

    for (const type of ["contact", "appointment", "task"] as const) {
      it(`creates a ${type} with every field, the key, categories and link, and reads it back the same`, async () => {
        const created = await h.store.createItem({
          type,
          fields: SAMPLE_FIELDS[type],
          idempotencyKey: `key-${type}`,
          categories: ["Tracked to CRM"],
          link: { crmId: "crm-1", state: "tracked" },
        });
        assert.deepEqual(withoutDerived(created.fields), SAMPLE_FIELDS[type]);
        assert.equal(created.idempotencyKey, `key-${type}`);
        assert.deepEqual(created.link, { crmId: "crm-1", state: "tracked" });
        assert.deepEqual(created.categories, ["Tracked to CRM"]);
        assert.equal(created.folderId, await folderOf(type));
        const read = (await h.store.getItems([created])).get(created.itemId);
        assert.deepEqual(read, created);
        assert.deepEqual(withoutDerived(h.mailbox.get(created.itemId)?.fields ?? {}), SAMPLE_FIELDS[type]);
      });
    }

    it("addresses an item by its id and type: under another type it reads as missing and is left alone", async () => {
      const contact = h.mailbox.createItem(
        { type: "contact", fields: { firstName: "Ann" } },
        { notify: false, by: "world" },
      );
      const wrong = { itemId: contact.immutableId, type: "task" } as const;
      assert.equal((await h.store.getItems([wrong])).get(contact.immutableId), null);
      await rejectsWith(h.store.updateItem(wrong, { categories: ["Blue"] }), "notFound");
      await h.store.deleteItem(wrong);
      assert.deepEqual(h.mailbox.get(contact.immutableId)?.categories, []);
      assert.equal(
        (await h.store.getItems([immutableRef(contact)])).get(contact.immutableId)?.type,
        "contact",
      );
    });

    it("reads items the world made, with server-assigned fields", async () => {
      const sent = h.mailbox.createItem(
        { type: "email", fields: SAMPLE_FIELDS.email, folder: "sentitems" },
        { notify: false, by: "world" },
      );
      const event = h.mailbox.createItem(
        { type: "appointment", fields: SAMPLE_FIELDS.appointment },
        { notify: false, by: "world" },
      );
      const missing = h.mailbox.createItem({ type: "contact", fields: {} }, { notify: false, by: "world" });
      h.mailbox.deleteItem(missing.itemId, { notify: false });
      const items = await h.store.getItems([sent, event, immutableRef(missing)]);
      const email = items.get(sent.itemId);
      assert.equal(email?.fields.direction, "outgoing");
      assert.equal(email?.fields.internetMessageId, sent.fields.internetMessageId);
      assert.deepEqual(withoutDerived(email?.fields ?? {}), SAMPLE_FIELDS.email);
      assert.equal(items.get(event.itemId)?.fields.iCalUId, event.fields.iCalUId);
      assert.equal(items.get(event.itemId)?.fields.duration, 90);
      assert.equal(items.get(missing.immutableId), null);
      assert.equal(items.size, 3);
    });

    it("answers a replayed create with the first item instead of a duplicate", async () => {
      for (const type of ["contact", "appointment", "task"] as const) {
        const first = await h.store.createItem({
          type,
          fields: SAMPLE_FIELDS[type],
          idempotencyKey: `k-${type}`,
        });
        const again = await h.store.createItem({
          type,
          fields: SAMPLE_FIELDS[type],
          idempotencyKey: `k-${type}`,
        });
        assert.equal(again.itemId, first.itemId);
        assert.equal((await h.store.findByIdempotencyKey(type, `k-${type}`))?.itemId, first.itemId);
        assert.equal(await h.store.findByIdempotencyKey(type, "unknown-key"), null);
      }
      assert.equal(h.mailbox.allItems().length, 3);
    });

    it("creates many items at once, each as createItem would, one bad create failing alone", async () => {
      const types = ["contact", "appointment", "task"] as const;
      const inputs = Array.from({ length: 45 }, (_, i) => ({
        type: types[i % 3] ?? "contact",
        fields: i === 7 ? { unknownField: "x" } : SAMPLE_FIELDS[types[i % 3] ?? "contact"],
        idempotencyKey: `many-${i}`,
        categories: ["Tracked to CRM"],
        link: { crmId: `crm-${i}`, state: "tracked" as const },
        firstAttempt: true,
      }));
      const outcomes = (await h.store.createItems?.(inputs)) ?? [];
      assert.equal(outcomes.length, 45);
      for (const [i, outcome] of outcomes.entries()) {
        if (i === 7) {
          assert.ok("error" in outcome && outcome.error instanceof SyncError);
          assert.equal(outcome.error.code, "invalidInput");
          continue;
        }
        assert.ok("item" in outcome, `create ${i}`);
        assert.equal(outcome.item.idempotencyKey, `many-${i}`);
        assert.deepEqual(outcome.item.link, { crmId: `crm-${i}`, state: "tracked" });
        assert.deepEqual(withoutDerived(outcome.item.fields), inputs[i]?.fields);
        assert.deepEqual((await h.store.getItems([outcome.item])).get(outcome.item.itemId), outcome.item);
      }
      assert.equal(h.mailbox.allItems().length, 44);
      const again = await h.store.createItems?.(
        inputs.slice(0, 3).map((input) => ({ ...input, firstAttempt: false })),
      );
      assert.deepEqual(
        again?.map((outcome) => ("item" in outcome ? outcome.item.itemId : null)),
        outcomes.slice(0, 3).map((outcome) => ("item" in outcome ? outcome.item.itemId : null)),
      );
      assert.equal(h.mailbox.allItems().length, 44);
    });

    it("updates only the given fields, clears nulls, and assigns a new change key and time", async () => {
      const created = await h.store.createItem({
        type: "contact",
        fields: SAMPLE_FIELDS.contact,
        idempotencyKey: "u1",
      });
      h.clock.advance(60_000);
      const updated = await h.store.updateItem(created, {
        fields: {
          firstName: "A1",
          email2Address: null,
          pagerNumber: "+1 555 0999",
          mailingAddressCity: "Chicago",
        },
      });
      assert.equal(updated.fields.firstName, "A1");
      assert.equal(updated.fields.email2Address, undefined);
      assert.equal(updated.fields.email3Address, "al@example.net");
      assert.equal(updated.fields.pagerNumber, "+1 555 0999");
      assert.equal(updated.fields.mailingAddressCity, "Chicago");
      assert.equal(updated.fields.mailingAddressStreet, "1 Main St\nSuite 2");
      assert.equal(updated.fields.lastName, "Lee");
      assert.notEqual(updated.changeKey, created.changeKey);
      assert.equal(updated.modifiedAt, created.modifiedAt + 60_000);
      assert.equal(updated.idempotencyKey, "u1");
    });

    it("moves an appointment's end when only the duration is written", async () => {
      const created = await h.store.createItem({
        type: "appointment",
        fields: SAMPLE_FIELDS.appointment,
        idempotencyKey: "d1",
      });
      const updated = await h.store.updateItem(created, { fields: { duration: 30 } });
      assert.equal(updated.fields.end, "2026-03-10T14:30:00Z");
      assert.equal(updated.fields.duration, 30);
    });

    it("writes the link stamp into the add-in's custom properties and keeps the other keys", async () => {
      const created = await h.store.createItem({
        type: "appointment",
        fields: SAMPLE_FIELDS.appointment,
        idempotencyKey: "l1",
      });
      h.mailbox.saveCustomProperties(created.itemId, h.addinId, { note: "kept" });
      const linked = await h.store.updateItem(created, { link: { crmId: "crm-9", state: "tracked" } });
      assert.deepEqual(linked.link, { crmId: "crm-9", state: "tracked" });
      assert.deepEqual(h.mailbox.customProperties(created.itemId, h.addinId), {
        note: "kept",
        crmId: "crm-9",
        state: "tracked",
      });
      const unlinked = await h.store.updateItem(created, { link: null, categories: [] });
      assert.equal(unlinked.link, null);
      assert.deepEqual(h.mailbox.customProperties(created.itemId, h.addinId), { note: "kept" });
    });

    it("links and unlinks a task, which Office.js never sees, through the store alone", async () => {
      const created = await h.store.createItem({
        type: "task",
        fields: SAMPLE_FIELDS.task,
        idempotencyKey: "l2",
      });
      const linked = await h.store.updateItem(created, { link: { crmId: "crm-7", state: "tracked" } });
      assert.deepEqual(linked.link, { crmId: "crm-7", state: "tracked" });
      const relinked = await h.store.updateItem(created, {
        link: { crmId: "crm-8", state: "tracked" },
      });
      assert.deepEqual((await h.store.getItems([created])).get(created.itemId)?.link, relinked.link);
      const unlinked = await h.store.updateItem(created, { link: null });
      assert.equal(unlinked.link, null);
      assert.equal(unlinked.idempotencyKey, "l2");
      assert.deepEqual(withoutDerived(unlinked.fields), SAMPLE_FIELDS.task);
    });

    it("sees a stamp written through the custom properties, as Office.js writes it", async () => {
      const item = h.mailbox.createItem(
        { type: "email", fields: SAMPLE_FIELDS.email, folder: "sentitems" },
        { notify: false, by: "world" },
      );
      h.mailbox.saveCustomProperties(item.itemId, h.addinId, { crmId: null, state: "trackRequested" });
      const read = (await h.store.getItems([item])).get(item.itemId);
      assert.deepEqual(read?.link, { crmId: null, state: "trackRequested" });
    });

    it("stamps e-mail with its internet message id and ignores a stamp made for another message", async () => {
      const item = h.mailbox.createItem(
        { type: "email", fields: SAMPLE_FIELDS.email, folder: "sentitems" },
        { notify: false, by: "world" },
      );
      const linked = await h.store.updateItem(item, { link: { crmId: "crm-4", state: "tracked" } });
      assert.deepEqual(linked.link, { crmId: "crm-4", state: "tracked" });
      const messageId = h.mailbox.get(item.itemId)?.fields.internetMessageId;
      assert.equal(h.mailbox.customProperties(item.itemId, h.addinId).mid, messageId);
      h.mailbox.saveCustomProperties(item.itemId, h.addinId, {
        crmId: "crm-4",
        state: "tracked",
        mid: "<parent@fabrikam.com>",
      });
      assert.equal((await h.store.getItems([item])).get(item.itemId)?.link, null);
    });

    it("rejects an unknown field or a bad value, naming it, and writes nothing", async () => {
      const created = await h.store.createItem({
        type: "contact",
        fields: { firstName: "Ann" },
        idempotencyKey: "v1",
      });
      await assert.rejects(
        h.store.updateItem(created, { fields: { firstName: "X", shoeSize: "9" } }),
        (error: unknown) =>
          error instanceof SyncError && error.code === "invalidInput" && /shoeSize/.test(error.message),
      );
      await rejectsWith(h.store.updateItem(created, { fields: { birthday: "yesterday" } }), "invalidInput");
      await rejectsWith(
        h.store.createItem({ type: "task", fields: { status: "done" }, idempotencyKey: "v2" }),
        "invalidInput",
      );
      assert.equal(h.mailbox.get(created.itemId)?.fields.firstName, "Ann");
      assert.equal(await h.store.findByIdempotencyKey("task", "v2"), null);
    });

    it("fails an update of a deleted item with notFound; deleting twice succeeds", async () => {
      const created = await h.store.createItem({
        type: "task",
        fields: { subject: "x" },
        idempotencyKey: "del",
      });
      await h.store.deleteItem(created);
      await h.store.deleteItem(created);
      assert.equal(h.mailbox.get(created.itemId), undefined);
      assert.equal((await h.store.getItems([created])).get(created.itemId), null);
      await rejectsWith(h.store.updateItem(created, { fields: { subject: "y" } }), "notFound");
    });

    it("scans everything first, then only changes and removals made without notice", async () => {
      const folderId = await folderOf("contact");
      const a = h.mailbox.createItem(
        { type: "contact", fields: { firstName: "A" } },
        { notify: false, by: "world" },
      );
      const b = h.mailbox.createItem(
        { type: "contact", fields: { firstName: "B" } },
        { notify: false, by: "world" },
      );
      const c = h.mailbox.createItem(
        { type: "contact", fields: { firstName: "C" } },
        { notify: false, by: "world" },
      );
      const first = await h.store.scanFolder(folderId, null);
      assert.deepEqual(
        first.changed.map((item) => item.itemId).sort(),
        [a.immutableId, b.immutableId, c.immutableId].sort(),
      );
      assert.deepEqual(first.removed, []);
      assert.equal(first.fullRescan, false);
      h.clock.advance(1000);
      h.mailbox.updateItem(a.itemId, { fields: { firstName: "A1" } }, { notify: false });
      h.mailbox.deleteItem(b.itemId, { notify: false });
      const second = await h.store.scanFolder(folderId, first.checkpoint);
      assert.deepEqual(
        second.changed.map((item) => [item.itemId, item.fields.firstName]),
        [[a.immutableId, "A1"]],
      );
      assert.deepEqual(second.removed, [b.immutableId]);
      assert.equal(second.checkpoint.watermark, h.clock.now());
      const third = await h.store.scanFolder(folderId, second.checkpoint);
      assert.deepEqual([third.changed, third.removed], [[], []]);
    });

    it("scans several folders at once, each as a scan of that folder alone would answer", async () => {
      const folders = await h.store.listFolders(["contact", "task", "appointment"]);
      const first = await h.store.scanFolders(
        folders.map(({ folderId }) => ({ folderId, checkpoint: null })),
      );
      assert.equal(first.length, 3);
      const contact = h.mailbox.createItem(
        { type: "contact", fields: { lastName: "Ng" } },
        { notify: false, by: "world" },
      );
      const task = h.mailbox.createItem(
        { type: "task", fields: { subject: "Call Ng" } },
        { notify: false, by: "world" },
      );
      h.clock.advance(1000);
      const second = await h.store.scanFolders(
        folders.map(({ folderId }, index) => ({ folderId, checkpoint: first[index]?.checkpoint ?? null })),
      );
      assert.deepEqual(
        second.map((scan) => scan.changed.map((item) => item.itemId)),
        [[contact.immutableId], [task.immutableId], []],
      );
      h.mailbox.deleteItem(contact.itemId, { notify: false });
      const alone = await h.store.scanFolder(folders[0]?.folderId ?? "", second[0]?.checkpoint ?? null);
      const together = await h.store.scanFolders(
        folders.map(({ folderId }, index) => ({ folderId, checkpoint: second[index]?.checkpoint ?? null })),
      );
      assert.deepEqual(together[0]?.removed, alone.removed);
      assert.deepEqual(alone.removed, [contact.immutableId]);
      assert.deepEqual(
        together.slice(1).map((scan) => [scan.changed, scan.removed]),
        [
          [[], []],
          [[], []],
        ],
      );
      assert.deepEqual(await h.store.scanFolders([]), []);
    });

    it("lists a folder's ids page by page, past a 1,000-id page, with no date bound and no exceptions", async () => {
      const listAll = async (folderId: string): Promise<string[][]> => {
        const pages: string[][] = [];
        let next: string | null = null;
        do {
          const page = await h.store.listItemIds(folderId, next);
          pages.push([...page.itemIds]);
          next = page.next;
        } while (next !== null);
        return pages;
      };
      const contacts = Array.from({ length: 1001 }, (_, n) =>
        h.mailbox.createItem(
          { type: "contact", fields: { firstName: `C${n}` } },
          { notify: false, by: "world" },
        ),
      );
      h.mailbox.deleteItem(contacts[7]?.itemId ?? "", { notify: false });
      const contactPages = await listAll(await folderOf("contact"));
      assert.deepEqual(
        contactPages.map((page) => page.length),
        [1000],
        "the 1,000 live contacts fill one page, which ends the listing",
      );
      assert.deepEqual(
        contactPages.flat().sort(),
        contacts
          .filter((_, n) => n !== 7)
          .map((item) => item.immutableId)
          .sort(),
      );
      h.mailbox.createItem(
        { type: "contact", fields: { firstName: "Last" } },
        { notify: false, by: "world" },
      );
      assert.deepEqual(
        (await listAll(await folderOf("contact"))).map((page) => page.length),
        [1000, 1],
      );

      const old = h.mailbox.createItem(
        { type: "email", fields: { subject: "old", sentAt: "2020-01-01T10:00:00Z" }, folder: "sentitems" },
        { notify: false, by: "world" },
      );
      assert.deepEqual((await listAll(await folderOf("email"))).flat(), [old.immutableId]);

      const single = h.mailbox.createItem(
        {
          type: "appointment",
          fields: {
            ...SAMPLE_FIELDS.appointment,
            start: "2019-05-01T10:00:00Z",
            end: "2019-05-01T11:00:00Z",
          },
        },
        { notify: false, by: "world" },
      );
      const master = h.mailbox.createItem(
        {
          type: "appointment",
          fields: {
            ...SAMPLE_FIELDS.appointment,
            start: "2026-03-09T14:00:00Z",
            end: "2026-03-09T15:00:00Z",
            recurrence:
              "pattern=weekly;interval=1;daysOfWeek=monday;firstDayOfWeek=sunday;range=endDate;startDate=2026-03-09;endDate=2026-03-30",
          },
        },
        { notify: false, by: "world" },
      );
      await h.store.updateOccurrence(master.immutableId, "2026-03-16T14:00:00Z", {
        fields: { subject: "Moved" },
      });
      assert.deepEqual(
        (await listAll(await folderOf("appointment"))).flat().sort(),
        [single.immutableId, master.immutableId].sort(),
      );
      assert.deepEqual(await listAll(await folderOf("task")), [[]]);
    });

    it("refuses a listing page it did not give and a folder that does not sync", async () => {
      const contactFolder = await folderOf("contact");
      await rejectsWith(h.store.listItemIds(contactFolder, "not a page"), "invalidInput");
      await rejectsWith(h.store.listItemIds("no-such-folder", null), "notFound");
    });

    it("does not report an event that left the calendar window as removed", async () => {
      const folderId = await folderOf("appointment");
      const soon = h.mailbox.createItem(
        { type: "appointment", fields: SAMPLE_FIELDS.appointment },
        { notify: false, by: "world" },
      );
      const far = h.mailbox.createItem(
        {
          type: "appointment",
          fields: { subject: "far", start: "2031-01-01T10:00:00Z", end: "2031-01-01T11:00:00Z" },
        },
        { notify: false, by: "world" },
      );
      const first = await h.store.scanFolder(folderId, null);
      assert.deepEqual(
        first.changed.map((item) => item.itemId),
        [soon.immutableId],
      );
      h.mailbox.updateItem(
        soon.itemId,
        { fields: { start: "2032-01-01T10:00:00Z", end: "2032-01-01T11:00:00Z" } },
        { notify: false },
      );
      const gone = h.mailbox.createItem(
        { type: "appointment", fields: SAMPLE_FIELDS.appointment },
        { notify: false, by: "world" },
      );
      h.mailbox.deleteItem(gone.itemId, { notify: false });
      const second = await h.store.scanFolder(folderId, first.checkpoint);
      assert.deepEqual(second.removed, [gone.immutableId]);
      assert.ok(!second.removed.includes(soon.immutableId));
      assert.ok(!second.changed.some((item) => item.itemId === far.immutableId));
    });

    it("rescans the whole folder, saying so, when the delta state expired", async () => {
      const folderId = await folderOf("task");
      const t = h.mailbox.createItem(
        { type: "task", fields: { subject: "t" } },
        { notify: false, by: "world" },
      );
      const first = await h.store.scanFolder(folderId, null);
      h.mailbox.expireDeltaTokens(folderId);
      const second = await h.store.scanFolder(folderId, first.checkpoint);
      assert.equal(second.fullRescan, true);
      assert.deepEqual(
        second.changed.map((item) => item.itemId),
        [t.immutableId],
      );
      const third = await h.store.scanFolder(folderId, second.checkpoint);
      assert.equal(third.fullRescan, false);
      assert.deepEqual(third.changed, []);
    });

    it("names items by ids that survive a move: the item is found, its old folder lists it as removed", async () => {
      const folderId = await folderOf("email");
      const draft = h.mailbox.openCompose({ subject: "Quote", to: ["bob@contoso.com"] });
      const first = await h.store.scanFolder(folderId, null);
      const sent = await h.mailbox.sendDraft(draft.itemId);
      assert.ok(sent.sentItemId !== null && sent.sentItemId !== draft.itemId);
      const scan = await h.store.scanFolder(folderId, first.checkpoint);
      assert.deepEqual(
        scan.changed.map((item) => item.itemId),
        [draft.immutableId],
        "the sent message keeps the draft's store id",
      );
      const inbox = h.mailbox.createItem(
        { type: "email", fields: { subject: "Order", from: "bob@contoso.com" } },
        { notify: false, by: "world" },
      );
      const [storeId] = [...(await h.store.getItems([inbox])).values()].map((item) => item?.itemId);
      assert.equal(storeId, inbox.immutableId);
      const archived = h.mailbox.archiveItem(inbox.itemId, { notify: false });
      assert.notEqual(archived.itemId, inbox.itemId);
      const found = (await h.store.getItems([immutableRef(inbox)])).get(inbox.immutableId);
      assert.equal(found?.folderId, h.mailbox.folder("archive")?.folderId);
      assert.equal(found?.fields.subject, "Order");
      const sentFolder = h.mailbox.folder("sentitems")?.folderId ?? "";
      h.mailbox.moveItem(draft.immutableId, "archive", { notify: false });
      const afterMove = await h.store.scanFolder(sentFolder, scan.checkpoint);
      assert.deepEqual(afterMove.removed, [draft.immutableId]);
    });

    it("delivers notices of notified changes only, never its own writes, until disposed", async () => {
      const notices: MailboxChangeNotice[] = [];
      const subscription = h.store.watch((notice) => notices.push(notice));
      const own = await h.store.createItem({
        type: "contact",
        fields: { firstName: "Own" },
        idempotencyKey: "w1",
      });
      const seen = h.mailbox.createItem({ type: "contact", fields: { firstName: "Seen" } }, { notify: true });
      h.mailbox.updateItem(own.itemId, { fields: { firstName: "Quiet" } }, { notify: false });
      h.mailbox.faults.dropNotices(1);
      h.mailbox.deleteItem(seen.itemId, { notify: true });
      h.mailbox.deleteItem(own.itemId, { notify: true });
      assert.equal(notices.length, 0, "notices arrive on a later tick");
      await settle();
      assert.deepEqual(
        notices.map((notice) => [notice.itemId, notice.kind, notice.type]),
        [
          [seen.immutableId, "upsert", "contact"],
          [own.itemId, "delete", "contact"],
        ],
      );
      subscription.dispose();
      h.mailbox.createItem({ type: "contact", fields: { firstName: "Late" } }, { notify: true });
      await settle();
      assert.equal(notices.length, 2);
    });

    describe("recurring series (SPEC §15)", function () {
      const WEEKLY =
        "pattern=weekly;interval=1;daysOfWeek=monday,wednesday;firstDayOfWeek=sunday;range=endDate;startDate=2026-03-09;endDate=2026-03-25";
      const series = (fields: Fields = {}) =>
        h.mailbox.createItem(
          {
            type: "appointment",
            fields: {
              ...SAMPLE_FIELDS.appointment,
              start: "2026-03-09T14:00:00Z",
              end: "2026-03-09T15:00:00Z",
              recurrence: WEEKLY,
              ...fields,
            },
          },
          { notify: false, by: "world" },
        );

      it("lists a series through its master and its exceptions, never its plain occurrences", async () => {
        const folderId = await folderOf("appointment");
        const master = series();
        const first = await h.store.scanFolder(folderId, null);
        assert.deepEqual(
          first.changed.map((item) => [item.itemId, item.series, item.fields.recurrence]),
          [[master.immutableId, { eventType: "seriesMaster", seriesMasterId: null }, WEEKLY]],
        );
        const exception = await h.store.updateOccurrence(master.immutableId, "2026-03-11T14:00:00Z", {
          fields: { start: "2026-03-11T16:00:00Z", end: "2026-03-11T17:00:00Z", subject: "Moved" },
        });
        assert.deepEqual(exception.series, { eventType: "exception", seriesMasterId: master.immutableId });
        assert.equal(exception.fields.originalStart, "2026-03-11T14:00:00Z");
        assert.equal(exception.fields.subject, "Moved");
        assert.equal(exception.fields.recurrence, undefined);
        const again = await h.store.updateOccurrence(master.immutableId, "2026-03-11T14:00:00Z", {
          fields: { location: "Room 9" },
        });
        assert.equal(again.itemId, exception.itemId, "a second write updates the same exception");
        const second = await h.store.scanFolder(folderId, first.checkpoint);
        assert.deepEqual(
          second.changed.map((item) => item.itemId),
          [exception.itemId],
        );
        await rejectsWith(
          h.store.updateOccurrence(master.immutableId, "2026-03-12T14:00:00Z", {}),
          "notFound",
        );
      });

      it("cancels occurrences a new cancelled list adds, never restores one, and deletes a series whole", async () => {
        const folderId = await folderOf("appointment");
        const master = series();
        const first = await h.store.scanFolder(folderId, null);
        const exception = await h.store.updateOccurrence(master.immutableId, "2026-03-16T14:00:00Z", {
          fields: { subject: "Moved" },
        });
        const cancelled = await h.store.updateItem(immutableRef(master), {
          fields: { cancelledOccurrences: ["2026-03-11T14:00:00Z"] },
        });
        assert.deepEqual(cancelled.fields.cancelledOccurrences, ["2026-03-11T14:00:00Z"]);
        await rejectsWith(
          h.store.updateItem(immutableRef(master), { fields: { cancelledOccurrences: [] } }),
          "invalidInput",
        );
        await rejectsWith(
          h.store.updateOccurrence(master.immutableId, "2026-03-11T14:00:00Z", {}),
          "notFound",
        );
        await h.store.deleteItem(exception);
        const [after] = [...(await h.store.getItems([immutableRef(master)])).values()];
        assert.deepEqual(after?.fields.cancelledOccurrences, [
          "2026-03-11T14:00:00Z",
          "2026-03-16T14:00:00Z",
        ]);
        const second = await h.store.scanFolder(folderId, first.checkpoint);
        assert.deepEqual(
          second.changed.map((item) => item.itemId),
          [master.immutableId],
        );
        assert.deepEqual(second.removed, [exception.itemId]);
        const other = await h.store.updateOccurrence(master.immutableId, "2026-03-18T14:00:00Z", {
          fields: { subject: "x" },
        });
        await h.store.deleteItem(immutableRef(master));
        const gone = await h.store.getItems([immutableRef(master), other]);
        assert.deepEqual([...gone.values()], [null, null]);
      });

      it("lists a series' exceptions in the calendar window, made before anything tracked it, with their stamps", async () => {
        const master = series({
          subject: "Monday sync",
          start: "2025-11-03T10:00:00Z",
          end: "2025-11-03T10:30:00Z",
          recurrence:
            "pattern=weekly;interval=1;daysOfWeek=monday;firstDayOfWeek=sunday;range=noEnd;startDate=2025-11-03",
        });
        const edit = (originalStart: string, subject: string) =>
          h.mailbox.updateOccurrence(
            master.immutableId,
            originalStart,
            { fields: { subject } },
            { notify: false, by: "world" },
          );
        edit("2025-11-10T10:00:00Z", "Before the window");
        const inside = edit("2026-03-09T10:00:00Z", "Moved");
        edit("2027-03-08T10:00:00Z", "After the window");
        h.mailbox.cancelOccurrence(master.immutableId, "2026-03-16T10:00:00Z", { notify: false });
        const stamped = await h.store.updateOccurrence(master.immutableId, "2026-03-23T10:00:00Z", {
          fields: { location: "Room 3" },
          link: { crmId: "crm-1", state: "tracked" },
        });
        const listed = await h.store.listExceptions(master.immutableId);
        assert.deepEqual(
          [...listed]
            .sort((a, b) => String(a.fields.subject).localeCompare(String(b.fields.subject)))
            .map((item) => [item.itemId, item.series, item.fields.subject, item.link?.crmId ?? null]),
          [
            [
              stamped.itemId,
              { eventType: "exception", seriesMasterId: master.immutableId },
              "Monday sync",
              "crm-1",
            ],
            [
              inside.immutableId,
              { eventType: "exception", seriesMasterId: master.immutableId },
              "Moved",
              null,
            ],
          ],
        );
        h.mailbox.deleteItem(master.immutableId, { notify: false });
        await rejectsWith(h.store.listExceptions(master.immutableId), "notFound");
      });
    });

    describe("faults", function () {
      beforeEach(function () {
        if (!h.http) skipTestBecause(this, "HTTP faults the in-process twin cannot have");
      });

      it("waits out 429 Retry-After through the clock and then succeeds", async () => {
        h.mailbox.faults.throttle(2, 3);
        const created = await h.store.createItem({
          type: "task",
          fields: { subject: "slowly" },
          idempotencyKey: "t429",
        });
        assert.equal(h.mailbox.get(created.itemId)?.fields.subject, "slowly");
        assert.ok(h.clock.waits.filter((ms) => ms >= 3000).length >= 2, `waits: ${h.clock.waits.join(", ")}`);
      });

      it("makes no duplicate when the create's response is lost after the write", async () => {
        for (const type of ["contact", "appointment", "task"] as const) {
          h.mailbox.faults.loseResponse(1, { method: "POST" });
          const created = await h.store.createItem({
            type,
            fields: SAMPLE_FIELDS[type],
            idempotencyKey: `lost-${type}`,
          });
          assert.equal(h.mailbox.list(created.folderId).length, 1);
          assert.equal(created.idempotencyKey, `lost-${type}`);
        }
      });

      it("completes an update and a delete whose responses were lost", async () => {
        const created = await h.store.createItem({
          type: "contact",
          fields: { firstName: "A" },
          idempotencyKey: "lu",
        });
        h.mailbox.faults.loseResponse(1, { method: "PATCH" });
        const updated: MailboxItem = await h.store.updateItem(created, { fields: { firstName: "B" } });
        assert.equal(updated.fields.firstName, "B");
        h.mailbox.faults.loseResponse(1, { method: "DELETE" });
        await h.store.deleteItem(created);
        assert.equal(h.mailbox.get(created.itemId), undefined);
      });

      it("still answers when responses are slow", async () => {
        h.mailbox.faults.slow(3, 5000);
        const folders = await h.store.listFolders(["contact"]);
        assert.equal(folders.length, 1);
      });
    });
  });
}
