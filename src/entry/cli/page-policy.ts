/**
 * The Content-Security-Policy of every page the product serves, by page file name. `npm start`'s page server
 * sends it as a header (`sendPagePolicies`); webpack.config.js writes the add-in pages' policy into their
 * `<meta http-equiv>` as well, for the static host that serves them in production. No page may run inline
 * script or eval: the pages' scripts set zod to jitless first (src/entry/commands/zod-without-eval.ts).
 * Styles come from the pages' own CSS files only; scripts that style elements do it through the CSSOM, which
 * `style-src` does not restrict. A policy in a meta tag cannot hold `frame-ancestors`, so the add-in pages' policy
 * has none (Outlook frames them from its own origins); the simulator pages, served only by `npm start`, have it.
 */
import type { Server } from "node:http";

/** Where office.js and the files it loads come from: the Office CDN (Microsoft: "Referencing the Office JavaScript API library"). */
export const OFFICE_CDN = "https://appsforoffice.microsoft.com";
/** Microsoft Entra's sign-in and token endpoints, which MSAL calls (its default authority). */
export const MICROSOFT_SIGN_IN = "https://login.microsoftonline.com";
/** Microsoft Graph, where GraphMailboxStore reads and writes the mailbox. */
export const GRAPH = "https://graph.microsoft.com";

/** The pages of the add-in inside Outlook, built from the templates under taskpane/ and src/entry. */
export const ADDIN_PAGES = [
  "taskpane.html",
  "commands.html",
  "launch-events.html",
  "auth-dialog.html",
] as const;
/** The simulator's pages, which load only this origin's files. */
export const SIMULATOR_PAGES = [
  "sim.html",
  "sim-taskpane.html",
  "sim-commands.html",
  "sim-launch-events.html",
] as const;

type Directives = Readonly<Record<string, readonly string[]>>;

/** What every page shares: nothing by default, no plugins, no `<base>` or form posts elsewhere. */
const BASE: Directives = {
  "default-src": ["'none'"],
  "object-src": ["'none'"],
  "base-uri": ["'self'"],
  "form-action": ["'self'"],
  "img-src": ["'self'"],
  "style-src": ["'self'"],
};

/**
 * The add-in pages: office.js from the CDN, which also fetches its host files and may frame its trust check
 * from there (node_modules/@microsoft/office-js: `xhrGet`, `AgaveErrorUX/index.html`); MSAL's token calls and
 * silent-sign-in frame at Entra; Graph; and the sync server, on this origin unless `crmOrigins` names others.
 */
function addinDirectives(crmOrigins: readonly string[]): Directives {
  return {
    ...BASE,
    "script-src": ["'self'", OFFICE_CDN],
    "connect-src": ["'self'", OFFICE_CDN, MICROSOFT_SIGN_IN, GRAPH, ...crmOrigins],
    "frame-src": [OFFICE_CDN, MICROSOFT_SIGN_IN],
  };
}

/** The simulator pages: this origin only; sim.html frames the others, and only this origin may frame them. */
const SIMULATOR: Directives = {
  ...BASE,
  "script-src": ["'self'"],
  "connect-src": ["'self'"],
  "frame-src": ["'self'"],
  "frame-ancestors": ["'self'"],
};

/** Any other answer of the page server (support.html, images, JSON): loads nothing, framed by nobody. */
const OTHER: Directives = { ...BASE, "frame-ancestors": ["'none'"] };

function serialize(directives: Directives): string {
  return Object.entries(directives)
    .map(([name, sources]) => `${name} ${sources.join(" ")}`)
    .join("; ");
}

/** An origin the add-in pages may also call: `https://host[:port]`, nothing more. */
export function checkCrmOrigin(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(
      `a CRM server origin must be an absolute URL such as https://crm.example.com, got "${value}"`,
    );
  }
  if (url.protocol !== "https:" || url.origin !== value.replace(/\/$/, "")) {
    throw new Error(`a CRM server origin must be https://host[:port] with no path, got "${value}"`);
  }
  return url.origin;
}

/** The add-in pages' policy; `crmOrigins` are sync servers on other origins than the pages'. */
export function addinPagePolicy(crmOrigins: readonly string[] = []): string {
  return serialize(addinDirectives(crmOrigins.map(checkCrmOrigin)));
}

/** The policy of the page at `urlPath` as `npm start` serves it (`/` is sim.html). */
export function pagePolicy(urlPath: string): string {
  const name = urlPath === "/" ? "sim.html" : (urlPath.split("/").pop() ?? "");
  if ((ADDIN_PAGES as readonly string[]).includes(name)) return addinPagePolicy();
  if ((SIMULATOR_PAGES as readonly string[]).includes(name)) return serialize(SIMULATOR);
  return serialize(OTHER);
}

/** Sets each answer's Content-Security-Policy from its path, before any other listener sees the request. */
export function sendPagePolicies(server: Server): void {
  server.prependListener("request", (request, response) => {
    response.setHeader("Content-Security-Policy", pagePolicy((request.url ?? "/").split(/[?#]/)[0] ?? "/"));
  });
}
