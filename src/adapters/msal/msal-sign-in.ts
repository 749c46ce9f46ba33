/**
 * Sign-in to Microsoft Entra ID for one add-in page: one MSAL application, used for every scope set (Graph and
 * the CRM's API). Nested app authentication where the host supports it (`NestedAppAuth` 1.1); elsewhere the
 * Office dialog API with the build's redirect page (`auth-dialog.html`), which signs in with MSAL's redirect
 * flow and hands the token back with `messageParent`. Failures are SyncError("unauthorized") naming the cause:
 * consent missing, interaction needed, a conditional-access block, the dialog closed or blocked.
 */
import type { Configuration, IPublicClientApplication } from "@azure/msal-browser";
import { SyncError } from "../../core/errors";
import type { Clock } from "../../ports/clock";
import type { TokenProvider } from "../graph/token-provider";

/** What sign-in needs from Office. */
export interface SignInHost {
  /** `Office.context.requirements.isSetSupported`. */
  isSetSupported(name: string, version: string): boolean;
  /**
   * Opens `url` in an Office dialog (`displayDialogAsync`) and resolves with the first message the page sends
   * (`messageParent`), closing the dialog; rejects with an error carrying the Office error `code`.
   */
  dialogMessage(url: string): Promise<string>;
}

/** How MSAL applications are made (the real factories in production, fakes in tests). */
export interface MsalFactory {
  nestable(configuration: Configuration): Promise<IPublicClientApplication>;
  standard(configuration: Configuration): Promise<IPublicClientApplication>;
}

export interface SignInOptions {
  readonly clientId: string;
  readonly authority?: string;
  /** The absolute URL of the build's auth-dialog.html. */
  readonly dialogUrl: string;
  readonly host: SignInHost;
  readonly msal: MsalFactory;
  readonly clock: Clock;
}

/** What auth-dialog.html sends back through messageParent. */
export type DialogAnswer =
  | { readonly ok: true; readonly accessToken: string; readonly expiresOn: number }
  | { readonly ok: false; readonly errorCode: string; readonly errorMessage: string };

export type SignInMode = "nestedAppAuth" | "officeDialog";

/** Entra error numbers of conditional-access blocks ("AADSTS53000"–"AADSTS53003": device or location policy). */
const CONDITIONAL_ACCESS = /AADSTS5300[0-3]\d?/;
/** Office dialog errors ("Handle errors and events in the Office dialog box"). */
const DIALOG_ERRORS: Readonly<Record<number, string>> = {
  12002: "the sign-in page could not be found or loaded",
  12003: "the sign-in window was sent to a page that is not served over https",
  12004: "the dialog's page is not on the add-in's domain",
  12005: "the dialog's page is not served over https",
  12006: "the sign-in window was closed before it finished",
  12007: "another dialog of the add-in is already open",
  12009: "the sign-in window was not allowed to open",
  12011: "the browser blocked the sign-in window (pop-ups)",
};

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

/** The SyncError for an MSAL failure (or the dialog's report of one), naming what the user can do. */
export function signInError(error: unknown): SyncError {
  const e = (typeof error === "object" && error !== null ? error : {}) as Record<string, unknown>;
  const code = text(e["errorCode"]);
  const message = `${text(e["errorMessage"])} ${text(e["message"])} ${text(e["subError"])}`;
  const aadsts = /AADSTS\d+/.exec(message)?.[0];
  let details: string;
  if (CONDITIONAL_ACCESS.test(message)) {
    details = `Your organization's conditional access policy blocked the sign-in (${aadsts ?? "AADSTS53003"}). Sign in from a device and network your organization allows, or ask your IT administrator.`;
  } else if (code === "consent_required" || /AADSTS65001/.test(message)) {
    details =
      "CRM Sync has no consent for the permissions it needs (consent_required). Ask an administrator to grant consent for the app in the Entra admin center, or sign in again and accept.";
  } else if (code === "interaction_required" || code === "login_required") {
    details = `Sign-in needs you to act (${code}${aadsts === undefined ? "" : `, ${aadsts}`}), for example multi-factor authentication. Open the CRM pane and sign in again.`;
  } else if (code === "user_cancelled") {
    details = "The sign-in was cancelled.";
  } else {
    details = `Sign-in failed (${code || aadsts || "unknown error"}).`;
  }
  return new SyncError("unauthorized", { details, cause: error });
}

/** The SyncError for a dialog that could not run (a SyncError the host raised stays as it is). */
export function dialogError(error: unknown): SyncError {
  if (error instanceof SyncError) return error;
  const code = Number((error as { code?: unknown } | null)?.code);
  const why = DIALOG_ERRORS[code] ?? `the Office dialog failed (${Number.isNaN(code) ? "no code" : code})`;
  return new SyncError("unauthorized", { details: `Sign-in could not finish: ${why}.`, cause: error });
}

/** Reads a DialogAnswer; anything else is a broken dialog page. */
export function parseDialogAnswer(message: string): DialogAnswer {
  let value: unknown;
  try {
    value = JSON.parse(message);
  } catch {
    value = null;
  }
  const v = (typeof value === "object" && value !== null ? value : {}) as Record<string, unknown>;
  if (v["ok"] === true && typeof v["accessToken"] === "string" && typeof v["expiresOn"] === "number") {
    return { ok: true, accessToken: v["accessToken"], expiresOn: v["expiresOn"] };
  }
  if (v["ok"] === false) {
    return { ok: false, errorCode: text(v["errorCode"]), errorMessage: text(v["errorMessage"]) };
  }
  return { ok: false, errorCode: "bad_dialog_answer", errorMessage: "the sign-in page sent no token" };
}

function interactionNeeded(error: unknown): boolean {
  const e = (typeof error === "object" && error !== null ? error : {}) as Record<string, unknown>;
  const code = text(e["errorCode"]);
  return (
    text(e["name"]) === "InteractionRequiredAuthError" ||
    ["interaction_required", "consent_required", "login_required", "no_account_error"].includes(code)
  );
}

/** A token is reused from the dialog until this long before it expires (ms). */
const EXPIRY_MARGIN_MS = 5 * 60_000;

/** One MSAL application for the page, and a TokenProvider per scope set over it. */
export class MsalSignIn {
  private app: Promise<IPublicClientApplication> | undefined;
  private readonly dialogTokens = new Map<string, { token: string; expiresOn: number }>();
  private readonly dialogs = new Map<string, Promise<string>>();
  private dialogTurn: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: SignInOptions) {}

  /** Nested app authentication when the host supports it ("Have a fallback when NAA isn't supported"). */
  mode(): SignInMode {
    return this.options.host.isSetSupported("NestedAppAuth", "1.1") ? "nestedAppAuth" : "officeDialog";
  }

  tokens(scopes: readonly string[]): TokenProvider {
    return { getToken: () => this.token(scopes) };
  }

  private application(): Promise<IPublicClientApplication> {
    const { clientId, authority, msal } = this.options;
    const auth = { clientId, authority: authority ?? "https://login.microsoftonline.com/common" };
    this.app ??= (
      this.mode() === "nestedAppAuth"
        ? msal.nestable({ auth })
        : msal.standard({ auth, cache: { cacheLocation: "localStorage" } })
    ).catch((error: unknown) => {
      this.app = undefined;
      throw signInError(error);
    });
    return this.app;
  }

  private async token(scopes: readonly string[]): Promise<string> {
    const key = [...scopes].sort().join(" ");
    const kept = this.dialogTokens.get(key);
    if (kept !== undefined && kept.expiresOn - EXPIRY_MARGIN_MS > this.options.clock.now()) return kept.token;
    const app = await this.application();
    const account = app.getActiveAccount() ?? app.getAllAccounts()[0];
    const request = { scopes: [...scopes], ...(account !== undefined && { account }) };
    try {
      if (account === undefined && this.mode() === "officeDialog") {
        throw Object.assign(new Error("no signed-in account"), { errorCode: "no_account_error" });
      }
      return (await app.acquireTokenSilent(request)).accessToken;
    } catch (error) {
      if (!interactionNeeded(error)) throw signInError(error);
    }
    if (this.mode() === "nestedAppAuth") {
      try {
        return (await app.acquireTokenPopup(request)).accessToken;
      } catch (error) {
        throw signInError(error);
      }
    }
    return this.viaDialog(key, scopes);
  }

  /**
   * Signs in through auth-dialog.html. Callers for the same scopes share one dialog; dialogs for other scopes
   * wait their turn (Office allows one dialog per host window).
   */
  private async viaDialog(key: string, scopes: readonly string[]): Promise<string> {
    const url = new URL(this.options.dialogUrl);
    url.searchParams.set("scopes", scopes.join(" "));
    let pending = this.dialogs.get(key);
    if (pending === undefined) {
      pending = this.dialogTurn
        .then(() => this.options.host.dialogMessage(url.href))
        .finally(() => this.dialogs.delete(key));
      this.dialogs.set(key, pending);
      this.dialogTurn = pending.catch(() => undefined);
    }
    let message: string;
    try {
      message = await pending;
    } catch (error) {
      throw dialogError(error);
    }
    const answer = parseDialogAnswer(message);
    if (!answer.ok) throw signInError(answer);
    this.dialogTokens.set(key, { token: answer.accessToken, expiresOn: answer.expiresOn });
    return answer.accessToken;
  }
}
