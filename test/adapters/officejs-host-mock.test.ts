// OfficeJsOutlookHost's error branches over office-addin-mock's OfficeMockObject (host "outlook"): each test
// builds only the Office.js surface the branch touches, with the answers the Office.js reference documents.
// Behaviour over a whole mailbox is tested on the simulator (officejs-outlook-host.test.ts).
import assert from "node:assert/strict";
import { OfficeMockObject } from "office-addin-mock";
import sinon from "sinon";
import { OfficeJsOutlookHost } from "../../src/adapters/officejs/officejs-outlook-host";
import { SyncError } from "../../src/core/errors";
import type { ItemIdTranslator } from "../../src/ports/item-ids";

type Callback = (result: unknown) => void;

const succeeded = (value: unknown) => ({
  status: "succeeded",
  value,
  error: undefined,
  asyncContext: undefined,
});
const failed = (name: string, message: string, code = 9000) => ({
  status: "failed",
  value: undefined,
  error: { name, message, code },
  asyncContext: undefined,
});
/** An `…Async` method answering `result` on a later tick, as Office.js does. */
const answers = (result: unknown) =>
  sinon.spy((...args: unknown[]) => {
    const callback = [...args].reverse().find((arg): arg is Callback => typeof arg === "function");
    queueMicrotask(() => callback?.(result));
  });

const translator: ItemIdTranslator = {
  storeIdsFor: (ids) => Promise.resolve(new Map(ids.map((id) => [id, `store:${id}`]))),
};

/** The Office namespace of an Outlook client at Mailbox `level`, with `item` and mailbox members as given. */
function office(options: { level?: string; item?: object | null; mailbox?: object }) {
  const level = Number((options.level ?? "1.14").split(".")[1]);
  const associate = sinon.spy();
  const data = {
    AsyncResultStatus: { Succeeded: "succeeded", Failed: "failed" },
    CoercionType: { Text: "text" },
    EventType: { ItemChanged: "olkItemSelectedChanged" },
    MailboxEnums: {
      ItemType: { Message: "message", Appointment: "appointment" },
      ItemNotificationMessageType: {
        InformationalMessage: "informationalMessage",
        ProgressIndicator: "progressIndicator",
        ErrorMessage: "errorMessage",
      },
      CategoryColor: { None: "None", Preset4: "Preset4" },
      RestVersion: { v2_0: "v2.0" },
    },
    actions: { associate },
    context: {
      requirements: {
        isSetSupported: (name: string, version: string) =>
          name === "Mailbox" && Number(version.split(".")[1]) <= level,
      },
      mailbox: {
        userProfile: { emailAddress: "alice@contoso.com", displayName: "Alice" },
        convertToRestId: (id: string) => id.replace(/\//g, "-").replace(/\+/g, "_"),
        ...options.mailbox,
      },
    },
  };
  const mock = new OfficeMockObject(data, "outlook" as never) as unknown as {
    context: { mailbox: { item: unknown } };
  };
  // OfficeMockObject cannot hold null in its initial data; a pinned pane between items has a null item.
  mock.context.mailbox.item = options.item === undefined ? null : options.item;
  return { namespace: mock as unknown as typeof Office, associate };
}

function readMessage(overrides: Record<string, unknown> = {}) {
  return {
    itemType: "message",
    itemId: "AAMk+/+/MS4x",
    subject: "Quote",
    from: { emailAddress: "bob@fabrikam.com" },
    to: [],
    cc: [],
    internetMessageId: "<1@fabrikam.com>",
    dateTimeCreated: new Date("2026-03-01T08:00:00Z"),
    body: { getAsync: answers(succeeded("text")) },
    categories: { getAsync: answers(succeeded([])) },
    loadCustomPropertiesAsync: answers(succeeded({ get: () => undefined })),
    notificationMessages: {
      replaceAsync: answers(succeeded(undefined)),
      removeAsync: answers(succeeded(undefined)),
    },
    ...overrides,
  };
}

const outlookFailed = (pattern: RegExp) => (error: unknown) =>
  error instanceof SyncError && error.code === "outlookFailed" && pattern.test(error.details ?? "");

describe("OfficeJsOutlookHost error branches (office-addin-mock)", () => {
  it("turns a failed async result into outlookFailed naming the call and the Office error", async () => {
    const item = readMessage({ body: { getAsync: answers(failed("GenericResponseError", "offline")) } });
    const host = new OfficeJsOutlookHost(office({ item }).namespace, { itemIds: translator });
    await assert.rejects(
      host.getCurrentItem(),
      outlookFailed(/^body\.getAsync: GenericResponseError offline$/),
    );
  });

  it("treats DuplicateCategory from masterCategories.addAsync as done, and any other failure as a failure", async () => {
    const addAsync = answers(failed("DuplicateCategory", "exists"));
    const master = { getAsync: answers(succeeded([])), addAsync };
    const host = new OfficeJsOutlookHost(office({ mailbox: { masterCategories: master } }).namespace, {
      itemIds: translator,
    });
    await host.ensureMasterCategory("Tracked to CRM", "Preset4");
    sinon.assert.calledOnce(addAsync);
    assert.deepEqual(addAsync.firstCall.args[0], [{ displayName: "Tracked to CRM", color: "Preset4" }]);
    const denied = { getAsync: answers(succeeded([])), addAsync: answers(failed("PermissionDenied", "no")) };
    const refused = new OfficeJsOutlookHost(office({ mailbox: { masterCategories: denied } }).namespace, {
      itemIds: translator,
    });
    await assert.rejects(
      refused.ensureMasterCategory("Tracked to CRM", "Preset4"),
      outlookFailed(/PermissionDenied/),
    );
  });

  it("reads a missing or malformed custom property as no link", async () => {
    for (const stored of [{}, { crmId: "crm-1" }, { crmId: 7, state: "tracked" }, { state: "bogus" }]) {
      const properties = { get: (name: string): unknown => (stored as Record<string, unknown>)[name] };
      const item = readMessage({ loadCustomPropertiesAsync: answers(succeeded(properties)) });
      const host = new OfficeJsOutlookHost(office({ item }).namespace, { itemIds: translator });
      assert.equal((await host.getCurrentItem())?.link, null, JSON.stringify(stored));
    }
  });

  it("with a null item: no current item, notices do nothing, writes fail naming the call", async () => {
    const host = new OfficeJsOutlookHost(office({ item: null }).namespace, { itemIds: translator });
    assert.equal(await host.getCurrentItem(), null);
    await host.notify({ key: "sync", kind: "info", text: "hello" });
    await host.clearNotice("sync");
    await assert.rejects(host.setCurrentItemLink(null), outlookFailed(/setCurrentItemLink: no item is open/));
    await assert.rejects(
      host.updateCurrentItemCategories({ add: ["x"], remove: [] }),
      outlookFailed(/no item is open/),
    );
  });

  it("calls nothing above a missing requirement set (Mailbox 1.5: no categories, no master list)", async () => {
    const item = readMessage();
    const master = { getAsync: answers(succeeded([])), addAsync: answers(succeeded(undefined)) };
    const host = new OfficeJsOutlookHost(
      office({ level: "1.5", item, mailbox: { masterCategories: master } }).namespace,
      {
        itemIds: translator,
      },
    );
    assert.deepEqual((await host.getCurrentItem())?.categories, []);
    await host.ensureMasterCategory("Tracked to CRM", "Preset4");
    sinon.assert.notCalled(item.categories.getAsync);
    sinon.assert.notCalled(master.getAsync);
    sinon.assert.notCalled(master.addAsync);
    await assert.rejects(
      host.ensureMasterCategory("Tracked to CRM", "Purple"),
      (error: unknown) => error instanceof SyncError && error.code === "invalidInput",
    );
  });

  it("completes OnMessageSend once, only after the draft was read and the handler decided, also when it throws", async () => {
    const body = answers(succeeded("draft text"));
    const compose = {
      itemType: "message",
      subject: { getAsync: answers(succeeded("Hi")) },
      to: { getAsync: answers(succeeded([])) },
      cc: { getAsync: answers(succeeded([])) },
      from: { getAsync: answers(succeeded({ emailAddress: "alice@contoso.com" })) },
      body: { getAsync: body },
      categories: { getAsync: answers(succeeded([])) },
      loadCustomPropertiesAsync: answers(succeeded({ get: () => undefined })),
      getItemIdAsync: answers(failed("ItemNotSaved", "not saved")),
      notificationMessages: { replaceAsync: answers(succeeded(undefined)) },
    };
    const { namespace, associate } = office({ item: compose });
    const host = new OfficeJsOutlookHost(namespace, { itemIds: translator });
    const cases = [
      {
        // "Outlook on-send add-ins": the reason goes to the notification bar, completed carries only allowEvent.
        decide: sinon.spy(() => Promise.resolve({ allow: false, errorMessage: "Not yet" })),
        completion: { allowEvent: false },
        notices: 1,
      },
      {
        decide: sinon.spy(() => Promise.reject(new Error("engine down"))),
        completion: { allowEvent: true },
        notices: 0,
      },
    ];
    for (const { decide, completion, notices } of cases) {
      compose.notificationMessages.replaceAsync.resetHistory();
      body.resetHistory();
      const subscription = host.onMessageSend(decide);
      sinon.assert.calledWith(associate, "onMessageSendHandler");
      const handler = associate.lastCall.args[1] as (event: { completed: sinon.SinonStub }) => void;
      const completed = sinon.stub();
      await new Promise<void>((resolve) => {
        completed.callsFake(() => resolve());
        handler({ completed });
      });
      sinon.assert.calledOnce(completed);
      sinon.assert.callOrder(body, decide, completed);
      sinon.assert.calledWithExactly(completed, completion);
      const replace = compose.notificationMessages.replaceAsync;
      sinon.assert.callCount(replace, notices);
      if (notices > 0) {
        sinon.assert.calledWithMatch(replace, "crmSyncSend", { type: "errorMessage", message: "Not yet" });
        sinon.assert.callOrder(decide, replace, completed);
      }
      subscription.dispose();
    }
  });
});
