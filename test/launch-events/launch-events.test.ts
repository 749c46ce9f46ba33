import assert from "node:assert/strict";
import * as acorn from "acorn";
import { ewsIdFromRestId } from "../../src/sim/mailbox/exchange-ids";
import { SimulatedMailbox } from "../../src/sim/mailbox/simulated-mailbox";
import {
  fireLaunchEvent,
  type JavaScriptOnlyRuntimeOptions,
} from "../../src/sim/office/javascript-only-runtime";
import { SimulatedOfficeRuntimeStorage } from "../../src/sim/office/office-runtime-storage";
import { createSimulatedOffice } from "../../src/sim/office/simulated-office";
import { parseRequests, requestsKey } from "../../src/entry/launch-events/launch-requests";
import { buildLaunchEvents, LAUNCH_EVENTS_FILE } from "../../scripts/launch-events-bundle.mjs";
import { ManualClock } from "../support/manual-clock";

const ADDIN = "addin";

function ewsId(mailbox: SimulatedMailbox, itemId: string): string {
  return ewsIdFromRestId(mailbox.get(itemId)?.itemId ?? "");
}
const OWNER = "alice@contoso.com";

function world(code: string, completeWithinMs?: number) {
  const mailbox = new SimulatedMailbox({
    clock: new ManualClock(),
    owner: { emailAddress: OWNER, displayName: "Alice" },
  });
  const simulated = createSimulatedOffice(mailbox, { addinId: ADDIN });
  const storage = new SimulatedOfficeRuntimeStorage();
  const options: JavaScriptOnlyRuntimeOptions = {
    code,
    filename: LAUNCH_EVENTS_FILE,
    office: simulated.office,
    mailbox,
    addinId: ADDIN,
    storage,
    ...(completeWithinMs !== undefined && { completeWithinMs }),
  };
  const draft = (state: string | null) => {
    const item = mailbox.openCompose({ subject: "Offer", to: ["bob@fabrikam.com"] });
    if (state !== null) mailbox.saveCustomProperties(item.immutableId, ADDIN, { crmId: null, state });
    return item.immutableId;
  };
  const requests = async () => parseRequests(await storage.getItem(requestsKey(OWNER)));
  return { mailbox, simulated, storage, options, draft, requests };
}

/** Every node type in an acorn AST. */
function nodeTypes(node: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(node)) for (const each of node) nodeTypes(each, into);
  else if (typeof node === "object" && node !== null) {
    const typed = node as { type?: unknown };
    if (typeof typed.type === "string") into.add(typed.type);
    for (const value of Object.values(node)) if (typeof value === "object") nodeTypes(value, into);
  }
  return into;
}

describe("the launch-event bundle in the JavaScript-only runtime", () => {
  let code = "";
  before(async () => {
    code = (await buildLaunchEvents({ production: true })).code;
  });

  it("is one script in ECMAScript 2016 without the conditional operator or imports", () => {
    const ast = acorn.parse(code, { ecmaVersion: 2016, sourceType: "script" });
    const types = nodeTypes(ast);
    assert.ok(!types.has("ConditionalExpression"), "no conditional (ternary) operator");
    assert.ok(!types.has("ImportExpression"));
    assert.throws(
      () => acorn.parse("async function f() { await 1; }", { ecmaVersion: 2016 }),
      "the parser really rejects ES2017",
    );
    assert.ok(code.length < 20_000, `launch-events.js is ${code.length} bytes`);
  });

  it("OnMessageSend on a draft marked track-on-send queues the send for the owner and completes at once", async () => {
    const w = world(code);
    const draftId = w.draft("trackOnSend");
    const started = Date.now();
    const run = await fireLaunchEvent(w.options, "onMessageSendHandler", draftId);
    assert.ok(Date.now() - started < 5_000);
    assert.deepEqual(run.completion, { allowEvent: true });
    const [request, ...rest] = await w.requests();
    assert.deepEqual(rest, []);
    assert.equal(request?.kind, "messageSent");
    assert.equal(request?.itemId, ewsId(w.mailbox, draftId), "the id Office gives: EWS format");
    w.simulated.dispose();
  });

  it("OnMessageSend writes the track-on-send stamp on the draft, saves a draft that has no id, then completes", async () => {
    const w = world(code);
    const draft = w.mailbox.openCompose({ subject: "Offer", to: ["bob@fabrikam.com"] });
    // A new compose form, never saved: the stamp is only in the form, with a CRM id it must not keep.
    const session = { saved: false, pendingProperties: { state: "trackOnSend", crmId: "crm-9" } };
    const run = await fireLaunchEvent(
      { ...w.options, composeSession: session },
      "onMessageSendHandler",
      draft.immutableId,
    );
    assert.deepEqual(run.completion, { allowEvent: true });
    assert.equal(session.saved, true, "the draft was saved to get its id");
    assert.deepEqual(
      w.mailbox.customProperties(draft.immutableId, ADDIN),
      { state: "trackOnSend" },
      "the stamp Track writes on a draft, now on the stored item",
    );
    const [request] = await w.requests();
    assert.equal(request?.itemId, ewsId(w.mailbox, draft.immutableId));
    assert.equal(run.droppedAfterCompletion, 0, "nothing was left for after event.completed");
    w.simulated.dispose();
  });

  it("OnMessageSend on a saved draft stamps the form without saving it again; the send keeps the stamp", async () => {
    const w = world(code);
    const draftId = w.draft("trackOnSend");
    const session = { saved: true, pendingProperties: null };
    await fireLaunchEvent({ ...w.options, composeSession: session }, "onMessageSendHandler", draftId);
    assert.deepEqual(session.pendingProperties, { state: "trackOnSend" }, "written to the form");
    assert.deepEqual(w.mailbox.customProperties(draftId, ADDIN), { crmId: null, state: "trackOnSend" });
    w.simulated.dispose();
  });

  it("OnMessageSend on an unmarked draft and OnAppointmentSend on an untracked one only complete", async () => {
    const w = world(code);
    assert.deepEqual((await fireLaunchEvent(w.options, "onMessageSendHandler", w.draft(null))).completion, {
      allowEvent: true,
    });
    const meeting = w.mailbox.createItem(
      { type: "appointment", folder: "calendar", fields: { subject: "Review" } },
      { notify: false, by: "world" },
    );
    const run = await fireLaunchEvent(w.options, "onAppointmentSendHandler", meeting.immutableId);
    assert.deepEqual(run.completion, { allowEvent: true });
    assert.deepEqual(await w.requests(), []);
    w.simulated.dispose();
  });

  it("OnAppointmentSend on a tracked appointment queues it", async () => {
    const w = world(code);
    const meeting = w.mailbox.createItem(
      { type: "appointment", folder: "calendar", fields: { subject: "Review" } },
      { notify: false, by: "world" },
    );
    w.mailbox.saveCustomProperties(meeting.immutableId, ADDIN, { crmId: "crm-1", state: "tracked" });
    const run = await fireLaunchEvent(w.options, "onAppointmentSendHandler", meeting.immutableId);
    assert.deepEqual(run.completion, { allowEvent: true });
    assert.deepEqual(
      (await w.requests()).map((r) => [r.kind, r.itemId]),
      [["appointmentSent", ewsId(w.mailbox, meeting.immutableId)]],
    );
    w.simulated.dispose();
  });

  it("completes the send even when storage never answers", async () => {
    const w = world(code);
    const storage = Object.assign(new SimulatedOfficeRuntimeStorage(), {
      getItem: () => new Promise<null>(() => undefined),
    });
    const run = await fireLaunchEvent(
      { ...w.options, storage },
      "onMessageSendHandler",
      w.draft("trackOnSend"),
    );
    assert.deepEqual(run.completion, { allowEvent: true });
    w.simulated.dispose();
  });
});

describe("the JavaScript-only runtime harness", () => {
  const handler = (body: string) =>
    `Office.actions.associate("onMessageSendHandler", function (event) { ${body} });`;

  it("has no window, document, localStorage, indexedDB or fetch, and no Office.onReady callback", async () => {
    const w = world(
      handler(
        `event.completed({ allowEvent: [typeof window, typeof document, typeof localStorage, typeof indexedDB, typeof fetch].join() });`,
      ),
    );
    const run = await fireLaunchEvent(w.options, "onMessageSendHandler", w.draft(null));
    assert.deepEqual(run.completion, { allowEvent: "undefined,undefined,undefined,undefined,undefined" });

    const waiting = world(handler(`Office.onReady(function () { event.completed(); });`), 200);
    await assert.rejects(
      fireLaunchEvent(waiting.options, "onMessageSendHandler", waiting.draft(null)),
      /did not call event\.completed within 200 ms/,
    );
  });

  it("rejects dynamic import() and reports a handler that throws", async () => {
    const w = world(
      handler(`import("./chunk.js").then(function () { event.completed({ allowEvent: "imported" }); },
        function (e) { event.completed({ allowEvent: String(e.code) }); });`),
    );
    const run = await fireLaunchEvent(w.options, "onMessageSendHandler", w.draft(null));
    assert.deepEqual(run.completion, { allowEvent: "ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING" });

    const dom = world(handler(`document.querySelector("meta"); event.completed();`));
    await assert.rejects(
      fireLaunchEvent(dom.options, "onMessageSendHandler", dom.draft(null)),
      /document is not defined/,
    );
  });

  it("drops what a handler does after event.completed", async () => {
    const w = world(
      handler(`event.completed({ allowEvent: true });
        OfficeRuntime.storage.setItem("late", "1");
        setTimeout(function () { OfficeRuntime.storage.setItem("later", "1"); }, 0);`),
    );
    const run = await fireLaunchEvent(w.options, "onMessageSendHandler", w.draft(null));
    assert.ok(run.droppedAfterCompletion >= 1);
    assert.deepEqual(await w.storage.getKeys(), []);
  });
});
