import assert from "node:assert/strict";
import { SyncError } from "../../src/core/errors";
import type { OutlookHost } from "../../src/ports/outlook-host";
import type { SimulatedMailbox } from "../../src/sim/mailbox/simulated-mailbox";
import { settle } from "../support/manual-clock";

/** What one OutlookHost contract run needs: the host under test and the simulated mailbox behind it. */
export interface OutlookHostHarness {
  readonly host: OutlookHost;
  readonly mailbox: SimulatedMailbox;
  readonly addinId: string;
  dispose(): void;
}

const OWNER = "alice@contoso.com";

const rejectsWith = (code: string) => (error: unknown) => error instanceof SyncError && error.code === code;

/** The OutlookHost contract, run against one implementation. */
export function runOutlookHostContract(name: string, newHarness: () => OutlookHostHarness): void {
  describe(`OutlookHost contract: ${name}`, () => {
    let h: OutlookHostHarness;
    beforeEach(() => {
      h = newHarness();
    });
    afterEach(() => h.dispose());

    function world(
      type: "email" | "appointment" | "contact",
      fields: Record<string, string | string[]>,
      folder?: string,
    ) {
      return h.mailbox.createItem(
        { type, fields, ...(folder !== undefined && { folder }) },
        { notify: false, by: "world" },
      );
    }

    it("names the mailbox owner", () => {
      assert.deepEqual(h.host.mailboxUser(), { emailAddress: OWNER, displayName: "Alice" });
    });

    it("has no current item when nothing, a contact or a task is selected", async () => {
      assert.equal(await h.host.getCurrentItem(), null);
      h.mailbox.select(world("contact", { firstName: "Ann" }).itemId);
      assert.equal(await h.host.getCurrentItem(), null);
    });

    it("describes a received and a sent message in read mode", async () => {
      const received = world("email", {
        subject: "Quote?",
        body: "Send it.",
        from: "bob@fabrikam.com",
        to: [OWNER],
        cc: ["cy@fabrikam.com"],
        receivedAt: "2026-03-01T08:00:00Z",
      });
      h.mailbox.select(received.itemId);
      assert.deepEqual(await h.host.getCurrentItem(), {
        itemId: received.immutableId,
        kind: "receivedEmail",
        mode: "read",
        fields: {
          subject: "Quote?",
          body: "Send it.",
          from: "bob@fabrikam.com",
          to: [OWNER],
          cc: ["cy@fabrikam.com"],
          internetMessageId: received.fields.internetMessageId ?? null,
          receivedAt: "2026-03-01T08:00:00Z",
          direction: "incoming",
        },
        categories: [],
        link: null,
      });
      const sent = world(
        "email",
        { subject: "Quote", to: ["bob@fabrikam.com"], sentAt: "2026-03-01T09:00:00Z" },
        "sentitems",
      );
      h.mailbox.select(sent.itemId);
      const item = await h.host.getCurrentItem();
      assert.equal(item?.kind, "sentEmail");
      assert.equal(item?.fields.sentAt, "2026-03-01T09:00:00Z");
      assert.equal(item?.fields.direction, "outgoing");
    });

    it("describes an appointment in read mode", async () => {
      const event = h.mailbox.createItem(
        {
          type: "appointment",
          fields: {
            subject: "Review",
            start: "2026-03-10T14:00:00Z",
            end: "2026-03-10T15:00:00Z",
            location: "Room 4",
            organizer: "bob@fabrikam.com",
            requiredAttendees: [OWNER],
            optionalAttendees: [],
          },
        },
        { notify: false, by: "world" },
      );
      h.mailbox.select(event.itemId);
      const item = await h.host.getCurrentItem();
      assert.equal(item?.kind, "appointment");
      assert.deepEqual(item?.fields, {
        subject: "Review",
        body: "",
        start: "2026-03-10T14:00:00Z",
        end: "2026-03-10T15:00:00Z",
        location: "Room 4",
        organizer: "bob@fabrikam.com",
        requiredAttendees: [OWNER],
        optionalAttendees: [],
      });
    });

    it("describes a new compose form as a draft without an id (it is not saved yet)", async () => {
      h.mailbox.openCompose({ subject: "Hello", to: ["bob@fabrikam.com"] });
      const item = await h.host.getCurrentItem();
      assert.deepEqual(item, {
        itemId: null,
        kind: "draftEmail",
        mode: "compose",
        fields: {
          subject: "Hello",
          body: "",
          to: ["bob@fabrikam.com"],
          cc: [],
          from: OWNER,
          direction: "outgoing",
        },
        categories: [],
        link: null,
      });
    });

    it("tells item-change listeners after the selection moves, until disposed", async () => {
      let calls = 0;
      const subscription = h.host.onItemChanged(() => (calls += 1));
      await settle();
      h.mailbox.select(world("email", { subject: "a" }).itemId);
      await settle();
      assert.equal(calls, 1);
      h.mailbox.select(null);
      await settle();
      assert.equal(calls, 2);
      subscription.dispose();
      await settle();
      h.mailbox.select(world("email", { subject: "b" }).itemId);
      await settle();
      assert.equal(calls, 2);
    });

    it("reports no item change when a compose form opens, is sent or closes", async () => {
      const read = world("email", { subject: "a" });
      h.mailbox.select(read.itemId);
      await settle();
      let calls = 0;
      const subscription = h.host.onItemChanged(() => (calls += 1));
      await settle();
      const draft = h.mailbox.openCompose({ subject: "Hi", to: ["bob@fabrikam.com"] });
      await settle();
      await h.mailbox.sendDraft(draft.itemId);
      await settle();
      assert.equal(calls, 0);
      h.mailbox.select(read.itemId);
      await settle();
      assert.equal(calls, 1);
      subscription.dispose();
    });

    it("writes and removes the link stamp in the item's custom properties, keeping other keys", async () => {
      const message = world("email", { subject: "x", from: "bob@fabrikam.com" });
      h.mailbox.saveCustomProperties(message.itemId, h.addinId, { other: 1 });
      h.mailbox.select(message.itemId);
      await h.host.setCurrentItemLink({ crmId: "crm-7", state: "tracked" });
      assert.deepEqual((await h.host.getCurrentItem())?.link, { crmId: "crm-7", state: "tracked" });
      assert.deepEqual(h.mailbox.customProperties(message.itemId, h.addinId), {
        other: 1,
        crmId: "crm-7",
        state: "tracked",
        mid: message.fields.internetMessageId,
      });
      await h.host.setCurrentItemLink({ crmId: null, state: "trackRequested" });
      assert.deepEqual((await h.host.getCurrentItem())?.link, { crmId: null, state: "trackRequested" });
      await h.host.setCurrentItemLink(null);
      assert.deepEqual(h.mailbox.customProperties(message.itemId, h.addinId), { other: 1 });
      h.mailbox.select(null);
      await assert.rejects(h.host.setCurrentItemLink(null), rejectsWith("outlookFailed"));
    });

    it("never takes a forward's or a reply's link from its parent; the draft's own stamp counts", async () => {
      const parent = world("email", { subject: "Order", from: "bob@fabrikam.com" });
      h.mailbox.select(parent.itemId);
      await h.host.setCurrentItemLink({ crmId: "crm-9", state: "tracked" });
      for (const composeType of ["forward", "reply"] as const) {
        const draft = h.mailbox.openCompose({ subject: "Re" }, { itemId: parent.itemId, composeType });
        await settle();
        assert.equal((await h.host.getCurrentItem())?.link, null, composeType);
        await h.host.setCurrentItemLink({ crmId: null, state: "trackOnSend" });
        assert.deepEqual((await h.host.getCurrentItem())?.link, { crmId: null, state: "trackOnSend" });
        assert.deepEqual(h.mailbox.customProperties(draft.itemId, h.addinId), { state: "trackOnSend" });
      }
    });

    it("creates the master category once and sets categories only from the master list", async () => {
      await h.host.ensureMasterCategory("Tracked to CRM", "Preset4");
      await h.host.ensureMasterCategory("tracked to crm", "Preset4");
      assert.deepEqual(h.mailbox.masterCategories(), [{ displayName: "Tracked to CRM", color: "Preset4" }]);
      await assert.rejects(h.host.ensureMasterCategory("Other", "Purple"), rejectsWith("invalidInput"));
      const message = world("email", { subject: "x" });
      h.mailbox.select(message.itemId);
      await h.host.updateCurrentItemCategories({ add: ["Tracked to CRM"], remove: [] });
      assert.deepEqual((await h.host.getCurrentItem())?.categories, ["Tracked to CRM"]);
      await assert.rejects(
        h.host.updateCurrentItemCategories({ add: ["Unknown"], remove: [] }),
        rejectsWith("outlookFailed"),
      );
      await h.host.updateCurrentItemCategories({ add: [], remove: ["Tracked to CRM"] });
      assert.deepEqual(h.mailbox.get(message.itemId)?.categories, []);
    });

    it("keeps roaming settings as one object under crmSync", async () => {
      assert.deepEqual(await h.host.readRoamingSettings(), {});
      await h.host.saveRoamingSettings({ intervalMinutes: 5, entities: ["contact"] });
      assert.deepEqual(await h.host.readRoamingSettings(), { intervalMinutes: 5, entities: ["contact"] });
      assert.deepEqual(h.mailbox.roamingSettings(h.addinId), {
        crmSync: { intervalMinutes: 5, entities: ["contact"] },
      });
    });

    it("shows, replaces, cuts and clears notification messages of the current item", async () => {
      await h.host.notify({ key: "sync", kind: "info", text: "ignored: no item" });
      const message = world("email", { subject: "x" });
      h.mailbox.select(message.itemId);
      await h.host.notify({ key: "sync", kind: "progress", text: "Tracking…" });
      await h.host.notify({ key: "sync", kind: "error", text: "e".repeat(200) });
      await h.host.notify({ key: "done", kind: "info", text: "Tracked." });
      const shown = h.mailbox.notificationMessages(message.itemId);
      assert.deepEqual(
        shown.map((m) => [m.key, m.type, m.message.length]),
        [
          ["sync", "errorMessage", 150],
          ["done", "informationalMessage", 8],
        ],
      );
      await h.host.clearNotice("sync");
      await h.host.clearNotice("never-shown");
      assert.deepEqual(
        h.mailbox.notificationMessages(message.itemId).map((m) => m.key),
        ["done"],
      );
    });

    it("lets the OnMessageSend handler see the draft and decide; failures and disposal never block mail", async () => {
      const seen: (string | null)[] = [];
      let decision: "allow" | "block" | "throw" = "block";
      const subscription = h.host.onMessageSend((draft) => {
        seen.push(draft.link?.state ?? null);
        if (decision === "throw") return Promise.reject(new Error("engine down"));
        return Promise.resolve(
          decision === "allow" ? { allow: true } : { allow: false, errorMessage: "Not yet" },
        );
      });
      const draft = h.mailbox.openCompose({ subject: "Hi", to: ["bob@fabrikam.com"] });
      await h.host.setCurrentItemLink({ crmId: null, state: "trackOnSend" });
      assert.deepEqual(await h.mailbox.sendDraft(draft.itemId), {
        sent: false,
        sentItemId: null,
        errorMessage: "Not yet",
      });
      decision = "throw";
      const result = await h.mailbox.sendDraft(draft.itemId);
      assert.equal(result.sent, true);
      assert.deepEqual(seen, ["trackOnSend", "trackOnSend"]);
      subscription.dispose();
      const second = h.mailbox.openCompose({ subject: "Again" });
      decision = "block";
      assert.equal((await h.mailbox.sendDraft(second.itemId)).sent, true);
      assert.equal(seen.length, 2);
    });
  });
}
