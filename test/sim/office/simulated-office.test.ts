import assert from "node:assert/strict";
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
    assert.deepEqual(seen, [["olkItemSelectedChanged", message.itemId]]);
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
});
