import assert from "node:assert/strict";
import { ewsIdFromRestId } from "../../../src/sim/mailbox/exchange-ids";
import { SimulatedMailbox } from "../../../src/sim/mailbox/simulated-mailbox";
import { createSimulatedOffice } from "../../../src/sim/office/simulated-office";
import { ManualClock, settle } from "../../support/manual-clock";

interface Result {
  status: string;
  value: unknown;
  error?: { name: string };
  asyncContext: unknown;
}

type Fake = {
  context: {
    mailbox: {
      item: Record<string, unknown> | null;
      addHandlerAsync(
        type: string,
        handler: (event: { type: string }) => void,
        cb: (r: Result) => void,
      ): void;
      masterCategories: { addAsync(list: unknown, cb: (r: Result) => void): void };
    };
  };
  onReady(): Promise<{ host: string }>;
  actions: { associate(name: string, fn: (event: { completed(options?: object): void }) => void): void };
};

function setup() {
  const mailbox = new SimulatedMailbox({
    clock: new ManualClock(),
    owner: { emailAddress: "alice@contoso.com", displayName: "Alice" },
  });
  const simulated = createSimulatedOffice(mailbox, { addinId: "addin" });
  return { mailbox, simulated, office: simulated.office as Fake };
}

describe("simulated Office global", () => {
  it("answers on a later tick with the real status strings and passes asyncContext through", async () => {
    const { mailbox, office } = setup();
    mailbox.select(
      mailbox.createItem({ type: "email", fields: { subject: "x" } }, { notify: false, by: "world" }).itemId,
    );
    const item = office.context.mailbox.item as {
      categories: { getAsync(options: object, cb: (r: Result) => void): void };
    };
    const results: Result[] = [];
    item.categories.getAsync({ asyncContext: 42 }, (result) => results.push(result));
    assert.equal(results.length, 0);
    await settle();
    assert.deepEqual(results, [{ status: "succeeded", value: [], error: undefined, asyncContext: 42 }]);
    const failures: Result[] = [];
    office.context.mailbox.masterCategories.addAsync([{ displayName: "X", color: "Mauve" }], (result) =>
      failures.push(result),
    );
    await settle();
    assert.equal(failures[0]?.status, "failed");
    assert.equal(failures[0]?.error?.name, "InvalidArgument");
  });

  it("fires ItemChanged with olkItemSelectedChanged after the item already changed", async () => {
    const { mailbox, office } = setup();
    const seen: [string, unknown][] = [];
    office.context.mailbox.addHandlerAsync(
      "olkItemSelectedChanged",
      (event) => seen.push([event.type, office.context.mailbox.item?.itemId]),
      () => undefined,
    );
    await settle();
    const message = mailbox.createItem(
      { type: "email", fields: { subject: "x" } },
      { notify: false, by: "world" },
    );
    mailbox.select(message.itemId);
    await settle();
    assert.deepEqual(seen, [["olkItemSelectedChanged", ewsIdFromRestId(message.itemId)]]);
  });

  it("fires ItemChanged only in a pinned pane, and not when a compose form opens or closes", async () => {
    for (const pinned of [true, false]) {
      const mailbox = new SimulatedMailbox({
        clock: new ManualClock(),
        owner: { emailAddress: "alice@contoso.com", displayName: "Alice" },
      });
      const office = createSimulatedOffice(mailbox, { addinId: "addin", pinned }).office as Fake;
      let fired = 0;
      office.context.mailbox.addHandlerAsync(
        "olkItemSelectedChanged",
        () => (fired += 1),
        () => undefined,
      );
      const message = mailbox.createItem(
        { type: "email", fields: { subject: "x" } },
        { notify: false, by: "world" },
      );
      mailbox.select(message.itemId);
      await settle();
      const draft = mailbox.openCompose({ subject: "Hi" });
      await settle();
      await mailbox.sendDraft(draft.itemId);
      await settle();
      assert.equal(fired, pinned ? 1 : 0);
    }
  });

  it("installs on a target and restores it, and reports onReady for Outlook", async () => {
    const { simulated } = setup();
    const target: { Office?: unknown } = {};
    const installed = simulated.install(target);
    assert.equal(target.Office, simulated.office);
    assert.equal((await (target.Office as Fake).onReady()).host, "Outlook");
    installed.dispose();
    assert.equal("Office" in target, false);
  });

  it("runs an associated command and reports what it completed with", async () => {
    const { office, simulated } = setup();
    office.actions.associate("syncNow", (event) => event.completed({ allowEvent: true }));
    assert.deepEqual(await simulated.runAction("syncNow"), { allowEvent: true });
    assert.equal(await simulated.runAction("unknown"), undefined);
  });

  it("names items by EWS ids and converts them to REST ids and back", async () => {
    const { mailbox, office } = setup();
    const message = mailbox.createItem(
      { type: "email", fields: { subject: "x" } },
      { notify: false, by: "world" },
    );
    mailbox.select(message.itemId);
    await settle();
    const mailboxApi = office.context.mailbox as unknown as {
      item: { itemId: string };
      convertToRestId(id: string, version: string): string;
      convertToEwsId(id: string, version: string): string;
    };
    const ewsId = mailboxApi.item.itemId;
    assert.notEqual(ewsId, message.itemId);
    assert.match(ewsId, /[+/]/);
    assert.equal(mailboxApi.convertToRestId(ewsId, "v2.0"), message.itemId);
    assert.equal(mailboxApi.convertToEwsId(message.itemId, "v2.0"), ewsId);
    assert.throws(() => mailboxApi.convertToRestId(ewsId, "v3"), /RestVersion/);
  });

  it("gives a compose item no id until saveAsync, and keeps its custom properties out of the store until then", async () => {
    const { mailbox, office } = setup();
    const draft = mailbox.openCompose({ subject: "Hi" });
    await settle();
    type Callback<T> = (r: Result & { value: T }) => void;
    const item = office.context.mailbox.item as unknown as {
      itemId?: unknown;
      getItemIdAsync(cb: Callback<string>): void;
      saveAsync(cb: Callback<string>): void;
      loadCustomPropertiesAsync(
        cb: Callback<{ set(k: string, v: string): void; saveAsync(cb: Callback<void>): void }>,
      ): void;
    };
    const call = <T>(invoke: (cb: Callback<T>) => void) =>
      new Promise<Result & { value: T }>((resolve) => invoke(resolve));
    assert.equal(item.itemId, undefined);
    const before = await call<string>((cb) => item.getItemIdAsync(cb));
    assert.equal(before.status, "failed");
    assert.equal(before.error?.name, "ItemNotSaved");
    const properties = (
      await call<{ set(k: string, v: string): void; saveAsync(cb: Callback<void>): void }>((cb) =>
        item.loadCustomPropertiesAsync(cb),
      )
    ).value;
    properties.set("state", "trackOnSend");
    assert.equal((await call<void>((cb) => properties.saveAsync(cb))).status, "succeeded");
    assert.deepEqual(mailbox.customProperties(draft.itemId, "addin"), {});
    const saved = await call<string>((cb) => item.saveAsync(cb));
    assert.equal(saved.value, ewsIdFromRestId(draft.itemId));
    assert.deepEqual(mailbox.customProperties(draft.itemId, "addin"), { state: "trackOnSend" });
    assert.equal((await call<string>((cb) => item.getItemIdAsync(cb))).value, ewsIdFromRestId(draft.itemId));
  });

  it("writes a compose form's unsaved custom properties to the message when it is sent", async () => {
    const { mailbox, office } = setup();
    const draft = mailbox.openCompose({ subject: "Hi" });
    await settle();
    const item = office.context.mailbox.item as unknown as {
      loadCustomPropertiesAsync(
        cb: (r: { value: { set(k: string, v: string): void; saveAsync(cb: () => void): void } }) => void,
      ): void;
    };
    await new Promise<void>((resolve) =>
      item.loadCustomPropertiesAsync(({ value }) => {
        value.set("state", "trackOnSend");
        value.saveAsync(resolve);
      }),
    );
    assert.deepEqual(mailbox.customProperties(draft.itemId, "addin"), {});
    const sent = await mailbox.sendDraft(draft.itemId);
    assert.deepEqual(mailbox.customProperties(sent.sentItemId ?? "", "addin"), { state: "trackOnSend" });
  });
});
