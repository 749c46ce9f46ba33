import assert from "node:assert/strict";
import type { Configuration, IPublicClientApplication } from "@azure/msal-browser";
import { SyncError } from "../../src/core/errors";
import { MsalSignIn, type SignInHost } from "../../src/adapters/msal/msal-sign-in";
import { ManualClock } from "../support/manual-clock";

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

function world(options: {
  naa: boolean;
  app: IPublicClientApplication;
  dialog?: (url: string) => Promise<string>;
}) {
  const made: string[] = [];
  const configs: Configuration[] = [];
  const dialogs: string[] = [];
  const host: SignInHost = {
    // The twin's answer to Office.context.requirements.isSetSupported("NestedAppAuth", "1.1").
    isSetSupported: (name, version) => options.naa && name === "NestedAppAuth" && version === "1.1",
    dialogMessage: (url) => {
      dialogs.push(url);
      return (options.dialog ?? (() => Promise.reject(Object.assign(new Error("x"), { code: 12006 }))))(url);
    },
  };
  const clock = new ManualClock();
  const signIn = new MsalSignIn({
    clientId: "client-1",
    dialogUrl: "https://addin.example.test/auth-dialog.html",
    host,
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
  return { signIn, made, configs, dialogs, clock };
}

async function rejectsWith(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof SyncError, `a SyncError, got ${String(error)}`);
    assert.equal(error.code, "unauthorized");
    assert.match(error.details ?? "", pattern);
    return true;
  });
}

describe("MsalSignIn", () => {
  it("uses nested app authentication when NestedAppAuth 1.1 is supported, one app for every scope set", async () => {
    const app = fakeApp({ silent: () => Promise.resolve("naa-token") });
    const w = world({ naa: true, app });
    assert.equal(w.signIn.mode(), "nestedAppAuth");
    assert.equal(await w.signIn.tokens(["Mail.ReadWrite"]).getToken(), "naa-token");
    assert.equal(await w.signIn.tokens(["api://crm/sync"]).getToken(), "naa-token");
    assert.deepEqual(w.made, ["nestable"], "one MSAL application");
    assert.deepEqual(w.dialogs, []);
  });

  it("falls back to a popup under NAA when interaction is required, and names consent_required", async () => {
    const app = fakeApp({
      silent: () => Promise.reject(interaction("consent_required", "AADSTS65001: consent")),
      popup: () => Promise.reject(interaction("consent_required", "AADSTS65001: consent")),
    });
    const w = world({ naa: true, app });
    await rejectsWith(w.signIn.tokens(["Mail.ReadWrite"]).getToken(), /consent_required.*administrator/);
    assert.deepEqual(app.calls, ["silent", "popup"]);
  });

  it("without NAA signs in through the Office dialog page and reuses its token until near expiry", async () => {
    const app = fakeApp({ accounts: 0, silent: () => Promise.reject(new Error("unused")) });
    const w = world({ naa: false, app });
    const expiresOn = w.clock.now() + 3_600_000;
    const dialog = (url: string) =>
      Promise.resolve(
        JSON.stringify({
          ok: true,
          accessToken: `dialog:${new URL(url).searchParams.get("scopes")}`,
          expiresOn,
        }),
      );
    const fallback = world({ naa: false, app, dialog });
    assert.equal(fallback.signIn.mode(), "officeDialog");
    const tokens = fallback.signIn.tokens(["Mail.ReadWrite", "Tasks.ReadWrite"]);
    assert.equal(await tokens.getToken(), "dialog:Mail.ReadWrite Tasks.ReadWrite");
    assert.equal(await tokens.getToken(), "dialog:Mail.ReadWrite Tasks.ReadWrite");
    assert.equal(fallback.dialogs.length, 1, "the second call used the kept token");
    assert.ok(fallback.dialogs[0]?.startsWith("https://addin.example.test/auth-dialog.html?scopes="));
    assert.deepEqual(fallback.made, ["standard"]);
    assert.deepEqual(app.calls, [], "no NAA popup was tried");
    fallback.clock.advance(3_600_000);
    await tokens.getToken();
    assert.equal(fallback.dialogs.length, 2, "an expiring token is not reused");
    assert.equal(w.made.length, 0);
  });

  it("says why the dialog failed: closed, blocked, or a conditional-access block reported by the page", async () => {
    const app = fakeApp({ accounts: 0, silent: () => Promise.reject(new Error("unused")) });
    await rejectsWith(
      world({ naa: false, app }).signIn.tokens(["a"]).getToken(),
      /closed before it finished/,
    );
    const blocked = world({
      naa: false,
      app,
      dialog: () => Promise.reject(Object.assign(new Error("x"), { code: 12009 })),
    });
    await rejectsWith(blocked.signIn.tokens(["a"]).getToken(), /not allowed to open/);
    const conditional = world({
      naa: false,
      app,
      dialog: () =>
        Promise.resolve(
          JSON.stringify({
            ok: false,
            errorCode: "access_denied",
            errorMessage: "AADSTS53003: Access has been blocked by Conditional Access policies.",
          }),
        ),
    });
    await rejectsWith(conditional.signIn.tokens(["a"]).getToken(), /conditional access policy.*AADSTS53003/);
    const broken = world({ naa: false, app, dialog: () => Promise.resolve("<html>") });
    await rejectsWith(broken.signIn.tokens(["a"]).getToken(), /bad_dialog_answer/);
  });

  it("with an account and no NAA, silent first; interaction_required (MFA) opens the dialog", async () => {
    const app = fakeApp({ silent: () => Promise.reject(interaction("interaction_required", "AADSTS50076")) });
    const w = world({
      naa: false,
      app,
      dialog: () =>
        Promise.resolve(
          JSON.stringify({ ok: false, errorCode: "interaction_required", errorMessage: "AADSTS50076: MFA" }),
        ),
    });
    await rejectsWith(w.signIn.tokens(["a"]).getToken(), /interaction_required, AADSTS50076/);
    assert.deepEqual(app.calls, ["silent"]);
    assert.equal(w.dialogs.length, 1);
  });

  it("shares one dialog between callers of the same scopes", async () => {
    const app = fakeApp({ accounts: 0, silent: () => Promise.reject(new Error("unused")) });
    let answer: (text: string) => void = () => undefined;
    const w = world({ naa: false, app, dialog: () => new Promise((resolve) => (answer = resolve)) });
    const a = w.signIn.tokens(["x"]).getToken();
    const b = w.signIn.tokens(["x"]).getToken();
    await new Promise((resolve) => setImmediate(resolve));
    answer(JSON.stringify({ ok: true, accessToken: "t", expiresOn: w.clock.now() + 3_600_000 }));
    assert.deepEqual(await Promise.all([a, b]), ["t", "t"]);
    assert.equal(w.dialogs.length, 1);
  });
});
