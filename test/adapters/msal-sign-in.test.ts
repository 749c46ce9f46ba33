import assert from "node:assert/strict";
import type { Configuration, IPublicClientApplication } from "@azure/msal-browser";
import { SyncError } from "../../src/core/errors";
import { MsalSignIn } from "../../src/adapters/msal/msal-sign-in";
import { officeSignInHost } from "../../src/adapters/msal/office-sign-in-host";
import { SimulatedMailbox } from "../../src/sim/mailbox/simulated-mailbox";
import type { DialogPage } from "../../src/sim/office/simulated-dialog";
import { createSimulatedOffice } from "../../src/sim/office/simulated-office";
import { ManualClock, settle } from "../support/manual-clock";

/** A fake MSAL application: silent answers from `silent`, popups from `popup`; calls are recorded. */
function fakeApp(behaviour: {
  accounts?: number;
  silent: () => Promise<string>;
  popup?: () => Promise<string>;
}): IPublicClientApplication & { calls: string[] } {
  const calls: string[] = [];
  const account = { homeAccountId: "a", username: "alice@contoso.com" };
  return {
    calls,
    getActiveAccount: () => null,
    getAllAccounts: () => Array.from({ length: behaviour.accounts ?? 1 }, () => account),
    acquireTokenSilent: async () => {
      calls.push("silent");
      return { accessToken: await behaviour.silent() };
    },
    acquireTokenPopup: async () => {
      calls.push("popup");
      return { accessToken: await (behaviour.popup ?? (() => Promise.reject(new Error("no popup"))))() };
    },
  } as unknown as IPublicClientApplication & { calls: string[] };
}

function interaction(errorCode: string, errorMessage = ""): Error {
  return Object.assign(new Error(errorMessage), {
    name: "InteractionRequiredAuthError",
    errorCode,
    errorMessage,
  });
}

const ORIGIN = "https://addin.example.test";

/** What the dialog's page sends with `Office.context.ui.messageParent`. */
function messageParent(page: DialogPage, message: string): void {
  (page.office as { context: { ui: { messageParent(m: string): void } } }).context.ui.messageParent(message);
}

/** The page auth-dialog.html plays: a token for the scopes in its URL, good for an hour. */
function tokenPage(clock: ManualClock) {
  return (page: DialogPage) =>
    messageParent(
      page,
      JSON.stringify({
        ok: true,
        accessToken: `dialog:${new URL(page.url).searchParams.get("scopes")}`,
        expiresOn: clock.now() + 3_600_000,
      }),
    );
}

/**
 * MsalSignIn over officeSignInHost on the Office twin of a client at `level`, with or without nested app
 * authentication; `page` plays each dialog's page and its user.
 */
function world(options: {
  naa: boolean;
  app: IPublicClientApplication;
  level?: string;
  dialogsAllowed?: boolean;
  page?: (page: DialogPage, clock: ManualClock) => void;
}) {
  const clock = new ManualClock();
  const mailbox = new SimulatedMailbox({
    clock,
    owner: { emailAddress: "alice@contoso.com", displayName: "Alice" },
  });
  const simulated = createSimulatedOffice(mailbox, {
    addinId: "addin",
    mailboxLevel: options.level ?? "1.14",
    nestedAppAuth: options.naa,
    origin: ORIGIN,
    ...(options.dialogsAllowed !== undefined && { dialogsAllowed: options.dialogsAllowed }),
  });
  const dialogs: DialogPage[] = [];
  simulated.onDialogOpened((page) => {
    dialogs.push(page);
    (options.page ?? ((p) => p.closeByUser()))(page, clock);
  });
  const made: string[] = [];
  const configs: Configuration[] = [];
  const signIn = new MsalSignIn({
    clientId: "client-1",
    dialogUrl: `${ORIGIN}/auth-dialog.html`,
    host: officeSignInHost(simulated.office as typeof Office, clock),
    clock,
    msal: {
      nestable: (c) => {
        made.push("nestable");
        configs.push(c);
        return Promise.resolve(options.app);
      },
      standard: (c) => {
        made.push("standard");
        configs.push(c);
        return Promise.resolve(options.app);
      },
    },
  });
  /** Waits for `promise`, moving the clock on while it waits (dialog closes, retries). */
  const run = async <T>(promise: Promise<T>): Promise<T> => {
    let done = false;
    const watched = promise.finally(() => {
      done = true;
    });
    watched.catch(() => undefined);
    for (let step = 0; step < 100 && !done; step += 1) {
      await settle();
      clock.advance(50);
    }
    return watched;
  };
  return { signIn, made, configs, dialogs, clock, simulated, run };
}

async function rejectsWith(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof SyncError, `a SyncError, got ${String(error)}`);
    assert.equal(error.code, "unauthorized");
    assert.match(error.details ?? "", pattern);
    return true;
  });
}

describe("MsalSignIn on the Office twin", () => {
  it("uses nested app authentication when NestedAppAuth 1.1 is supported, one app for every scope set", async () => {
    const app = fakeApp({ silent: () => Promise.resolve("naa-token") });
    const w = world({ naa: true, app });
    assert.equal(w.signIn.mode(), "nestedAppAuth");
    assert.equal(await w.signIn.tokens(["Mail.ReadWrite"]).getToken(), "naa-token");
    assert.equal(await w.signIn.tokens(["api://crm/sync"]).getToken(), "naa-token");
    assert.deepEqual(w.made, ["nestable"], "one MSAL application");
    assert.deepEqual(w.dialogs, []);
    w.simulated.dispose();
  });

  it("the twin's NestedAppAuth follows the client: from Mailbox 1.14 by default, never on an older one", () => {
    const app = fakeApp({ silent: () => Promise.resolve("t") });
    const clock = new ManualClock();
    const mailbox = new SimulatedMailbox({ clock, owner: { emailAddress: "a@b.c", displayName: "A" } });
    const modeAt = (level: string, nestedAppAuth?: boolean): string => {
      const simulated = createSimulatedOffice(mailbox, {
        addinId: "addin",
        mailboxLevel: level,
        ...(nestedAppAuth !== undefined && { nestedAppAuth }),
      });
      const mode = new MsalSignIn({
        clientId: "c",
        dialogUrl: `${ORIGIN}/auth-dialog.html`,
        host: officeSignInHost(simulated.office as typeof Office, clock),
        clock,
        msal: { nestable: () => Promise.resolve(app), standard: () => Promise.resolve(app) },
      }).mode();
      simulated.dispose();
      return mode;
    };
    assert.equal(modeAt("1.14"), "nestedAppAuth");
    assert.equal(modeAt("1.14", false), "officeDialog", "e.g. an Outlook.com mailbox");
    assert.equal(modeAt("1.8"), "officeDialog");
  });

  it("falls back to a popup under NAA when interaction is required, and names consent_required", async () => {
    const app = fakeApp({
      silent: () => Promise.reject(interaction("consent_required", "AADSTS65001: consent")),
      popup: () => Promise.reject(interaction("consent_required", "AADSTS65001: consent")),
    });
    const w = world({ naa: true, app });
    await rejectsWith(w.signIn.tokens(["Mail.ReadWrite"]).getToken(), /consent_required.*administrator/);
    assert.deepEqual(app.calls, ["silent", "popup"]);
    w.simulated.dispose();
  });

  it("without NAA signs in through the Office dialog page and reuses its token until near expiry", async () => {
    const app = fakeApp({ accounts: 0, silent: () => Promise.reject(new Error("unused")) });
    const w = world({ naa: false, app, page: (page, clock) => tokenPage(clock)(page) });
    assert.equal(w.signIn.mode(), "officeDialog");
    const tokens = w.signIn.tokens(["Mail.ReadWrite", "Tasks.ReadWrite"]);
    assert.equal(await w.run(tokens.getToken()), "dialog:Mail.ReadWrite Tasks.ReadWrite");
    assert.equal(await w.run(tokens.getToken()), "dialog:Mail.ReadWrite Tasks.ReadWrite");
    assert.equal(w.dialogs.length, 1, "the second call used the kept token");
    const opened = new URL(w.dialogs[0]?.url ?? "");
    assert.equal(`${opened.origin}${opened.pathname}`, `${ORIGIN}/auth-dialog.html`);
    assert.ok(opened.searchParams.has("_host_info"), "Office adds _host_info to the dialog's URL");
    assert.ok(w.dialogs[0]?.closed, "the add-in closed the dialog once it had the answer");
    assert.deepEqual(w.made, ["standard"]);
    assert.deepEqual(app.calls, [], "no NAA popup was tried");
    w.clock.advance(3_600_000);
    await w.run(tokens.getToken());
    assert.equal(w.dialogs.length, 2, "an expiring token is not reused");
    w.simulated.dispose();
  });

  it("says why the dialog failed: closed by the user, refused, or a conditional-access block from the page", async () => {
    const app = fakeApp({ accounts: 0, silent: () => Promise.reject(new Error("unused")) });
    const closed = world({ naa: false, app, page: (page) => page.closeByUser() });
    await rejectsWith(closed.run(closed.signIn.tokens(["a"]).getToken()), /closed before it finished/);
    const refused = world({ naa: false, app, dialogsAllowed: false });
    await rejectsWith(refused.run(refused.signIn.tokens(["a"]).getToken()), /not allowed to open/);
    assert.equal(refused.dialogs.length, 0);
    const conditional = world({
      naa: false,
      app,
      page: (page) =>
        messageParent(
          page,
          JSON.stringify({
            ok: false,
            errorCode: "access_denied",
            errorMessage: "AADSTS53003: Access has been blocked by Conditional Access policies.",
          }),
        ),
    });
    await rejectsWith(
      conditional.run(conditional.signIn.tokens(["a"]).getToken()),
      /conditional access policy.*AADSTS53003/,
    );
    const broken = world({ naa: false, app, page: (page) => messageParent(page, "<html>") });
    await rejectsWith(broken.run(broken.signIn.tokens(["a"]).getToken()), /bad_dialog_answer/);
    for (const w of [closed, refused, conditional, broken]) w.simulated.dispose();
  });

  it("closes a dialog whose page could not load (12002), so the next sign-in can open one", async () => {
    const app = fakeApp({ accounts: 0, silent: () => Promise.reject(new Error("unused")) });
    let attempt = 0;
    const w = world({
      naa: false,
      app,
      page: (page, clock) => {
        attempt += 1;
        if (attempt === 1) page.navigate("https://login.microsoftonline.com/common/oauth2/authorize", false);
        else tokenPage(clock)(page);
      },
    });
    await rejectsWith(w.run(w.signIn.tokens(["a"]).getToken()), /could not be found or loaded/);
    assert.ok(w.dialogs[0]?.closed, "the failed dialog was closed");
    assert.equal(await w.run(w.signIn.tokens(["a"]).getToken()), "dialog:a");
    w.simulated.dispose();
  });

  it("opens the next scope set's dialog once the last one has finished closing (12007 is tried again)", async () => {
    const app = fakeApp({ accounts: 0, silent: () => Promise.reject(new Error("unused")) });
    const w = world({ naa: false, app, page: (page, clock) => tokenPage(clock)(page) });
    const both = Promise.all([w.signIn.tokens(["x"]).getToken(), w.signIn.tokens(["y"]).getToken()]);
    assert.deepEqual(await w.run(both), ["dialog:x", "dialog:y"]);
    assert.equal(w.dialogs.length, 2);
    w.simulated.dispose();
  });

  it("on a client below Mailbox 1.4 without NAA says that this Outlook cannot sign in", async () => {
    const app = fakeApp({ accounts: 0, silent: () => Promise.reject(new Error("unused")) });
    const w = world({ naa: false, app, level: "1.3" });
    await rejectsWith(w.run(w.signIn.tokens(["a"]).getToken()), /open a sign-in window \(Mailbox 1\.4\)/);
    assert.equal(w.dialogs.length, 0);
    w.simulated.dispose();
  });

  it("with an account and no NAA, silent first; interaction_required (MFA) opens the dialog", async () => {
    const app = fakeApp({ silent: () => Promise.reject(interaction("interaction_required", "AADSTS50076")) });
    const w = world({
      naa: false,
      app,
      page: (page) =>
        messageParent(
          page,
          JSON.stringify({ ok: false, errorCode: "interaction_required", errorMessage: "AADSTS50076: MFA" }),
        ),
    });
    await rejectsWith(w.run(w.signIn.tokens(["a"]).getToken()), /interaction_required, AADSTS50076/);
    assert.deepEqual(app.calls, ["silent"]);
    assert.equal(w.dialogs.length, 1);
    w.simulated.dispose();
  });

  it("shares one dialog between callers of the same scopes", async () => {
    const app = fakeApp({ accounts: 0, silent: () => Promise.reject(new Error("unused")) });
    const w = world({ naa: false, app, page: () => undefined });
    const a = w.signIn.tokens(["x"]).getToken();
    const b = w.signIn.tokens(["x"]).getToken();
    await settle();
    await settle();
    assert.equal(w.dialogs.length, 1);
    tokenPage(w.clock)(w.dialogs[0] as DialogPage);
    assert.deepEqual(await w.run(Promise.all([a, b])), ["dialog:x", "dialog:x"]);
    assert.equal(w.dialogs.length, 1);
    w.simulated.dispose();
  });
});
