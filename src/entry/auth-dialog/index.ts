/**
 * auth-dialog.html: opened by MsalSignIn with `displayDialogAsync` where nested app authentication is not
 * available ("Authenticate and authorize with the Office dialog API"). The first load starts MSAL's redirect
 * sign-in for the scopes in the query; the redirect back lands here again, and the page sends the token (or
 * the error) to the task pane or command with `messageParent`. Its URL is an SPA redirect URI of the app
 * registration (README "Entra app registration").
 */
import { createStandardPublicClientApplication } from "@azure/msal-browser";
import type { DialogAnswer } from "../../adapters/msal/msal-sign-in";

function send(answer: DialogAnswer): void {
  Office.context.ui.messageParent(JSON.stringify(answer));
}

async function signIn(): Promise<void> {
  const clientId =
    document.querySelector<HTMLMetaElement>('meta[name="crm-sync-aad-client-id"]')?.content.trim() ?? "";
  const redirectUri = `${window.location.origin}${window.location.pathname}`;
  const app = await createStandardPublicClientApplication({
    auth: { clientId, authority: "https://login.microsoftonline.com/common", redirectUri },
    cache: { cacheLocation: "localStorage" },
  });
  const result = await app.handleRedirectPromise();
  if (result !== null) {
    send({
      ok: true,
      accessToken: result.accessToken,
      expiresOn: result.expiresOn?.getTime() ?? Date.now() + 3_600_000,
    });
    return;
  }
  const scopes = new URLSearchParams(window.location.search).get("scopes") ?? "";
  await app.acquireTokenRedirect({ scopes: scopes.split(" ").filter((s) => s !== "") });
}

void Office.onReady(() =>
  signIn().catch((error: unknown) => {
    const e = (error ?? {}) as { errorCode?: unknown; errorMessage?: unknown; message?: unknown };
    send({
      ok: false,
      errorCode: typeof e.errorCode === "string" ? e.errorCode : "unknown",
      errorMessage: typeof e.errorMessage === "string" ? e.errorMessage : String(e.message ?? error),
    });
  }),
);
