import assert from "node:assert/strict";
import { SimulatedMailbox } from "../../../src/sim/mailbox/simulated-mailbox";
import { DIALOG_CLOSE_MS, type DialogPage } from "../../../src/sim/office/simulated-dialog";
import { createSimulatedOffice } from "../../../src/sim/office/simulated-office";
import { ManualClock, settle } from "../../support/manual-clock";

interface Result {
  status: string;
  value: Dialog | undefined;
  error: { code: number } | undefined;
}
interface Dialog {
  addEventHandler(type: string, handler: (arg: Record<string, unknown>) => void): void;
  close(): void;
}
interface Twin {
  EventType: Record<string, string>;
  context: {
    requirements: { isSetSupported(name: string, version?: string): boolean };
    ui: { displayDialogAsync?: (url: string, options: object, cb: (r: Result) => void) => void };
  };
}

const ORIGIN = "https://addin.example.test";

function setup(options: { level?: string; dialogsAllowed?: boolean } = {}) {
  const clock = new ManualClock();
  const mailbox = new SimulatedMailbox({ clock, owner: { emailAddress: "a@contoso.com", displayName: "A" } });
  const simulated = createSimulatedOffice(mailbox, {
    addinId: "addin",
    origin: ORIGIN,
    ...(options.level !== undefined && { mailboxLevel: options.level }),
    ...(options.dialogsAllowed !== undefined && { dialogsAllowed: options.dialogsAllowed }),
  });
  const pages: DialogPage[] = [];
  simulated.onDialogOpened((page) => pages.push(page));
  const office = simulated.office as Twin;
  const open = (url: string) =>
    new Promise<Result>((resolve) => office.context.ui.displayDialogAsync?.(url, { height: 50 }, resolve));
  return { clock, simulated, office, pages, open };
}

describe("simulated Office dialog API", () => {
  it("refuses what Office refuses: http (12005), another domain (12004), a refused window (12009)", async () => {
    const { open, simulated } = setup();
    assert.equal((await open("http://addin.example.test/d.html")).error?.code, 12005);
    assert.equal((await open("https://evil.example.test/d.html")).error?.code, 12004);
    simulated.dispose();
    const refused = setup({ dialogsAllowed: false });
    const result = await refused.open(`${ORIGIN}/d.html`);
    assert.equal(result.status, "failed");
    assert.equal(result.error?.code, 12009);
    assert.deepEqual(refused.pages, []);
    refused.simulated.dispose();
  });

  it("delivers messageParent to DialogMessageReceived, allows one dialog per window, and closes asynchronously", async () => {
    const { open, office, pages, clock, simulated } = setup();
    const opened = await open(`${ORIGIN}/d.html?x=1`);
    assert.equal(opened.status, "succeeded");
    const dialog = opened.value as Dialog;
    const received: Record<string, unknown>[] = [];
    dialog.addEventHandler(office.EventType["DialogMessageReceived"] ?? "", (arg) => received.push(arg));
    await settle();
    const page = pages[0] as DialogPage;
    assert.match(page.url, /x=1&_host_info=/);
    (page.office as { context: { ui: { messageParent(m: string): void } } }).context.ui.messageParent("hi");
    await settle();
    assert.deepEqual(received, [{ type: "dialogMessageReceived", message: "hi", origin: ORIGIN }]);
    assert.equal((await open(`${ORIGIN}/d.html`)).error?.code, 12007, "one dialog per host window");
    dialog.close();
    assert.equal((await open(`${ORIGIN}/d.html`)).error?.code, 12007, "close has not finished yet");
    clock.advance(DIALOG_CLOSE_MS);
    assert.equal((await open(`${ORIGIN}/d.html`)).status, "succeeded");
    simulated.dispose();
  });

  it("raises DialogEventReceived: 12006 when the user closes it, 12002 and 12003 when its page fails", async () => {
    const { open, office, pages, clock, simulated } = setup();
    const events: unknown[] = [];
    for (const play of [
      (p: DialogPage) => p.navigate("https://login.example.test/missing", false),
      (p: DialogPage) => p.navigate("http://login.example.test/"),
      (p: DialogPage) => p.closeByUser(),
    ]) {
      const dialog = (await open(`${ORIGIN}/d.html`)).value as Dialog;
      dialog.addEventHandler(office.EventType["DialogEventReceived"] ?? "", (arg) =>
        events.push(arg["error"]),
      );
      await settle();
      play(pages[pages.length - 1] as DialogPage);
      await settle();
      if (events.length < 3) {
        assert.equal(pages[pages.length - 1]?.closed, false, "a failed page stays open until closed");
        dialog.close();
        clock.advance(DIALOG_CLOSE_MS);
      }
    }
    assert.deepEqual(events, [12002, 12003, 12006]);
    assert.equal(pages[2]?.closed, true);
    assert.equal((await open(`${ORIGIN}/d.html`)).status, "succeeded", "a dialog the user closed is gone");
    simulated.dispose();
  });

  it("plays the client's level: no displayDialogAsync below Mailbox 1.4; DialogApi and NestedAppAuth answer truthfully", () => {
    const old = setup({ level: "1.3" });
    assert.equal(old.office.context.ui.displayDialogAsync, undefined);
    assert.equal(old.office.context.requirements.isSetSupported("DialogApi", "1.1"), false);
    assert.equal(old.office.context.requirements.isSetSupported("NestedAppAuth", "1.1"), false);
    old.simulated.dispose();
    const mid = setup({ level: "1.8" });
    assert.equal(mid.office.context.requirements.isSetSupported("DialogApi", "1.1"), true);
    assert.equal(mid.office.context.requirements.isSetSupported("DialogApi", "1.2"), false);
    assert.equal(mid.office.context.requirements.isSetSupported("NestedAppAuth", "1.1"), false);
    mid.simulated.dispose();
    const web = setup();
    assert.equal(web.office.context.requirements.isSetSupported("DialogApi", "1.2"), true);
    assert.equal(web.office.context.requirements.isSetSupported("NestedAppAuth", "1.1"), true);
    assert.equal(web.office.context.requirements.isSetSupported("NestedAppAuth", "1.2"), false);
    web.simulated.dispose();
  });
});
