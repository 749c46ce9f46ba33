import assert from "node:assert/strict";
import { SyncError } from "../../../src/core/errors";
import { SimulatedMailbox } from "../../../src/sim/mailbox/simulated-mailbox";
import { ManualClock, settle } from "../../support/manual-clock";

function newMailbox(): { mailbox: SimulatedMailbox; clock: ManualClock } {
  const clock = new ManualClock();
  return {
    clock,
    mailbox: new SimulatedMailbox({
      clock,
      owner: { emailAddress: "alice@contoso.com", displayName: "Alice" },
    }),
  };
}

const isInvalid = (pattern: RegExp) => (error: unknown) =>
  error instanceof SyncError && error.code === "invalidInput" && pattern.test(error.message);

describe("SimulatedMailbox", () => {
  it("sends a draft only after every send hook allows it, moving it to Sent Items", async () => {
    const { mailbox, clock } = newMailbox();
    const draft = mailbox.openCompose({ subject: "Hi", to: ["bob@contoso.com"] });
    assert.deepEqual(mailbox.selection(), { itemId: draft.itemId, mode: "compose" });
    mailbox.saveCustomProperties(draft.itemId, "addin", { crmId: null, state: "trackOnSend" });
    let allow = false;
    const hook = mailbox.addSendHook(() =>
      Promise.resolve(allow ? { allow } : { allow, errorMessage: "wait" }),
    );
    assert.deepEqual(await mailbox.sendDraft(draft.itemId), {
      sent: false,
      sentItemId: null,
      errorMessage: "wait",
    });
    assert.equal(mailbox.get(draft.itemId)?.folderId, mailbox.folder("drafts")?.folderId);
    allow = true;
    clock.advance(5000);
    const result = await mailbox.sendDraft(draft.itemId);
    hook.dispose();
    assert.equal(result.sent, true);
    const sent = mailbox.get(result.sentItemId ?? "");
    assert.equal(sent?.folderId, mailbox.folder("sentitems")?.folderId);
    assert.equal(sent?.fields.sentAt, "2026-03-02T09:00:05Z");
    assert.equal(sent?.fields.from, "alice@contoso.com");
    assert.equal(sent?.fields.direction, "outgoing");
    assert.match(String(sent?.fields.internetMessageId), /^<.+@sim\.outlook\.local>$/);
    assert.deepEqual(mailbox.customProperties(sent?.itemId ?? "", "addin"), {
      crmId: null,
      state: "trackOnSend",
    });
    assert.notEqual(result.sentItemId, draft.itemId, "a move gives the message a new REST id");
    assert.equal(sent?.immutableId, draft.immutableId, "and keeps its immutable id");
    assert.equal(mailbox.get(draft.itemId), undefined, "the draft's REST id no longer resolves");
    assert.equal(mailbox.allItems().length, 1);
    assert.equal(mailbox.selection(), null);
  });

  it("tells selection listeners on a later tick", async () => {
    const { mailbox } = newMailbox();
    const item = mailbox.createItem(
      { type: "email", fields: { subject: "x" } },
      { notify: false, by: "world" },
    );
    let calls = 0;
    const subscription = mailbox.onSelectionChanged(() => (calls += 1));
    mailbox.select(item.itemId);
    assert.equal(calls, 0);
    await settle();
    assert.equal(calls, 1);
    subscription.dispose();
    mailbox.select(null);
    await settle();
    assert.equal(calls, 1);
    assert.throws(
      () => mailbox.select("AAMk_-_-OTk5LjE="),
      (error: unknown) => error instanceof SyncError && error.code === "notFound",
    );
  });

  it("keeps custom properties within 2,500 characters and roaming settings within 32 KB", () => {
    const { mailbox } = newMailbox();
    const item = mailbox.createItem(
      { type: "contact", fields: { firstName: "A" } },
      { notify: false, by: "world" },
    );
    mailbox.saveCustomProperties(item.itemId, "addin", { crmId: "c1", state: "tracked" });
    assert.throws(
      () => mailbox.saveCustomProperties(item.itemId, "addin", { big: "x".repeat(2500) }),
      isInvalid(/2500/),
    );
    assert.deepEqual(mailbox.customProperties(item.itemId, "addin"), { crmId: "c1", state: "tracked" });
    mailbox.saveRoamingSettings("addin", { crmSync: { intervalMinutes: 15 } });
    assert.throws(
      () => mailbox.saveRoamingSettings("addin", { big: "x".repeat(40_000) }),
      isInvalid(/32768/),
    );
    assert.deepEqual(mailbox.roamingSettings("addin"), { crmSync: { intervalMinutes: 15 } });
    assert.deepEqual(mailbox.roamingSettings("other"), {});
  });

  it("refuses a duplicate master category and a sixth notification message", () => {
    const { mailbox } = newMailbox();
    mailbox.addMasterCategories([{ displayName: "Tracked to CRM", color: "Preset4" }]);
    assert.throws(
      () => mailbox.addMasterCategories([{ displayName: "tracked to crm", color: "Preset1" }]),
      isInvalid(/master list/),
    );
    mailbox.removeMasterCategories(["TRACKED TO CRM"]);
    assert.deepEqual(mailbox.masterCategories(), []);
    const item = mailbox.createItem({ type: "email", fields: {} }, { notify: false, by: "world" });
    for (let i = 0; i < 5; i += 1) {
      mailbox.putNotificationMessage(item.itemId, {
        key: `k${i}`,
        type: "informationalMessage",
        message: "m",
      });
    }
    mailbox.putNotificationMessage(item.itemId, { key: "k0", type: "errorMessage", message: "replaced" });
    assert.throws(
      () => mailbox.putNotificationMessage(item.itemId, { key: "k5", type: "errorMessage", message: "m" }),
      isInvalid(/at most 5/),
    );
    assert.equal(mailbox.removeNotificationMessage(item.itemId, "k1"), true);
    assert.equal(mailbox.removeNotificationMessage(item.itemId, "k1"), false);
    assert.equal(mailbox.notificationMessages(item.itemId).length, 4);
  });

  it("names the bad folder, field or duplicate transactionId and stores nothing", () => {
    const { mailbox } = newMailbox();
    assert.throws(
      () => mailbox.createItem({ type: "task", fields: {}, folder: "inbox" }, { notify: false }),
      isInvalid(/Inbox/),
    );
    assert.throws(
      () => mailbox.createItem({ type: "task", fields: {}, folder: "junk" }, { notify: false }),
      isInvalid(/junk/),
    );
    assert.throws(
      () =>
        mailbox.createItem({ type: "appointment", fields: { requiredAttendees: "bob" } }, { notify: false }),
      isInvalid(/requiredAttendees/),
    );
    assert.throws(
      () => mailbox.createItem({ type: "appointment", fields: { duration: 30 } }, { notify: false }),
      isInvalid(/duration/),
    );
    mailbox.createItem({ type: "appointment", fields: {}, transactionId: "t1" }, { notify: false });
    assert.throws(
      () => mailbox.createItem({ type: "appointment", fields: {}, transactionId: "t1" }, { notify: false }),
      isInvalid(/t1/),
    );
    assert.equal(mailbox.allItems().length, 1);
  });

  it("lets the world set read-only keys but ignores them on client writes", () => {
    const { mailbox } = newMailbox();
    const invite = mailbox.createItem(
      { type: "appointment", fields: { iCalUId: "uid-1" } },
      { notify: false, by: "world" },
    );
    const own = mailbox.createItem(
      { type: "appointment", fields: { iCalUId: "uid-2" } },
      { notify: false, by: "client" },
    );
    assert.equal(invite.fields.iCalUId, "uid-1");
    assert.notEqual(own.fields.iCalUId, "uid-2");
    assert.equal(typeof own.fields.iCalUId, "string");
  });

  it("arms HTTP faults by method and path and uses each up to its count", () => {
    const { mailbox } = newMailbox();
    mailbox.faults.throttle(2, 5, { method: "GET", pathIncludes: "/contacts" });
    assert.equal(mailbox.faults.takeHttpFault("POST", "/me/contacts"), null);
    assert.deepEqual(mailbox.faults.takeHttpFault("GET", "/me/contacts/delta"), {
      kind: "throttle",
      retryAfterSeconds: 5,
    });
    assert.ok(mailbox.faults.takeHttpFault("GET", "/me/contacts"));
    assert.equal(mailbox.faults.takeHttpFault("GET", "/me/contacts"), null);
    assert.throws(() => mailbox.faults.loseResponse(0), RangeError);
  });

  it("throttles every request until the throttle ends, leaving the other faults armed", () => {
    const { mailbox } = newMailbox();
    mailbox.faults.throttle("all", 60);
    mailbox.faults.slow(1, 10, { method: "DELETE" });
    for (let request = 0; request < 50; request += 1)
      assert.equal(mailbox.faults.takeHttpFault("GET", "/me/events")?.kind, "throttle");
    mailbox.faults.throttle(3, 5);
    mailbox.faults.endThrottle();
    assert.equal(mailbox.faults.takeHttpFault("GET", "/me/events"), null);
    assert.equal(mailbox.faults.takeHttpFault("DELETE", "/me/events/1")?.kind, "slow");
  });
});
