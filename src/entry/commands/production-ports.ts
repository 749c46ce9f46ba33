/**
 * The adapters of the add-in inside Outlook: OfficeJsOutlookHost over office.js, GraphMailboxStore with MSAL
 * tokens (nested app authentication, or the Office dialog where the host has no NAA), HttpCrmClient to the sync
 * server, the IndexedDB cache. MSAL itself is loaded lazily, in its own chunk, the first time a token is
 * needed, so the task pane's script stays small.
 * The Azure AD app and the CRM API scope come from the page's meta tags (set at build time from
 * ADDIN_AAD_CLIENT_ID and ADDIN_CRM_SCOPE).
 */
import { SyncError } from "../../core/errors";
import { GraphMailboxStore } from "../../adapters/graph/graph-mailbox-store";
import type { TokenProvider } from "../../adapters/graph/token-provider";
import { HttpCrmClient } from "../../adapters/http/http-crm-client";
import { openLocalCache } from "../../adapters/idb/open-local-cache";
import { MsalSignIn } from "../../adapters/msal/msal-sign-in";
import { officeSignInHost } from "../../adapters/msal/office-sign-in-host";
import { OfficeJsOutlookHost } from "../../adapters/officejs/officejs-outlook-host";
import { DEFAULT_SETTINGS } from "../../ports/settings";
import { pickRequestStore, type KeyValueStore } from "../launch-events/launch-requests";
import { ADDIN_ID, browserClientId, type AddinPorts } from "./addin-runtime";
import { BROWSER_CLOCK } from "./browser-clock";
import { CONSOLE_LOGGER, createCacheLogger } from "./cache-logger";
import type { LockManagerLike } from "./sync-owner";

function meta(name: string): string {
  return document.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content.trim() ?? "";
}

/** The Graph permissions the add-in asks for (the Entra app registration lists the same). */
export const GRAPH_SCOPES = [
  "Contacts.ReadWrite",
  "Calendars.ReadWrite",
  "Tasks.ReadWrite",
  "Mail.ReadWrite",
];

/** The page's one sign-in: MSAL is loaded on the first token request, then shared by every scope set. */
export interface PageSignIn {
  tokens(scopes: readonly string[]): TokenProvider;
}

/** Sign-in for this page from its meta tags; an unconfigured build fails every token request clearly. */
export function pageSignIn(): PageSignIn {
  let signIn: Promise<MsalSignIn> | undefined;
  const load = (): Promise<MsalSignIn> =>
    (signIn ??= import(/* webpackChunkName: "msal" */ "../../adapters/msal/msal-factory").then(
      (m) =>
        new MsalSignIn({
          clientId: meta("crm-sync-aad-client-id"),
          dialogUrl: new URL("auth-dialog.html", window.location.href).href,
          host: officeSignInHost(Office, BROWSER_CLOCK),
          msal: m.MSAL_FACTORY,
          clock: BROWSER_CLOCK,
        }),
    ));
  return {
    tokens: (scopes) => ({
      getToken: () => {
        if (meta("crm-sync-aad-client-id") === "" || scopes.some((scope) => scope === "")) {
          return Promise.reject(
            new SyncError("unauthorized", {
              details: "This build has no Entra app: build with ADDIN_AAD_CLIENT_ID and ADDIN_CRM_SCOPE.",
            }),
          );
        }
        return load().then((s) => s.tokens(scopes).getToken());
      },
    }),
  };
}

/** The Outlook host over office.js, translating ids through the Graph mailbox store it comes with. */
export function productionHost(signIn: PageSignIn): {
  readonly host: OfficeJsOutlookHost;
  readonly mailbox: GraphMailboxStore;
} {
  const mailbox = new GraphMailboxStore({
    fetch: (input, init) => fetch(input, init),
    tokens: signIn.tokens(GRAPH_SCOPES),
    clock: BROWSER_CLOCK,
    addinId: ADDIN_ID,
  });
  return { host: new OfficeJsOutlookHost(Office, { itemIds: mailbox }), mailbox };
}

/**
 * Builds the ports over office.js; call after Office.onReady. The login options are the ones last saved in
 * the task pane (the cache's settings mirror), else this origin's server and the mailbox owner; a new server
 * URL takes effect when the pane is reopened.
 */
export async function productionPorts(signIn: PageSignIn): Promise<AddinPorts> {
  const { host, mailbox } = productionHost(signIn);
  const user = host.mailboxUser();
  const opened = await openLocalCache({
    name: `outlook-crm-sync:${user.emailAddress}`,
    logger: CONSOLE_LOGGER,
    clock: BROWSER_CLOCK,
  });
  const saved = await opened.cache.getSettings();
  const settings = saved ?? {
    ...DEFAULT_SETTINGS,
    serverUrl: window.location.origin,
    userId: user.emailAddress,
  };
  const crmTokens = signIn.tokens([meta("crm-sync-crm-scope")]);
  return {
    host,
    mailbox,
    crm: new HttpCrmClient({
      baseUrl: settings.serverUrl,
      getToken: () => crmTokens.getToken(),
      clock: BROWSER_CLOCK,
    }),
    cache: opened.cache,
    clock: BROWSER_CLOCK,
    logger: createCacheLogger(opened.cache, BROWSER_CLOCK),
    clientId: browserClientId(),
    settings,
    storageWarning: opened.warning,
  };
}

/**
 * The page's Web Locks. A webview without them (older Safari and WebKit) gets locks that are always granted:
 * the page then runs as if it were the only runtime, as the add-in did before the owner rule.
 */
export function browserLocks(): LockManagerLike {
  if (typeof navigator !== "undefined" && "locks" in navigator) return navigator.locks;
  return { request: (name, _options, callback) => Promise.resolve(callback({ name })) };
}

/** The request queue's store in this page: OfficeRuntime.storage where office.js has it, else localStorage. */
export function browserRequestStore(): KeyValueStore {
  const runtime = (globalThis as { OfficeRuntime?: { storage?: KeyValueStore } }).OfficeRuntime;
  let local: Storage | undefined;
  try {
    local = window.localStorage;
  } catch {
    local = undefined;
  }
  const store = pickRequestStore(runtime?.storage, local);
  if (store === null)
    throw new SyncError("storageUnavailable", { details: "No storage for the request queue." });
  return store;
}
