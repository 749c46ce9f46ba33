// Builds the add-in: the task pane, the ribbon commands (FunctionFile), the launch events (launch-events.js, built
// by esbuild as one small DOM-free ES2016 file, see scripts/launch-events-bundle.mjs), and the simulator page.
// `webpack --mode production` (npm run build) writes dist/ with the manifest rewritten from the dev base URL to
// ADDIN_BASE_URL, the way the official Office templates swap urlDev for urlProd, and pages that load office.js
// from Microsoft's CDN (required for Marketplace add-ins). `webpack --mode development` keeps https://localhost:3000/
// and serves the local @microsoft/office-js copy, so nothing needs the internet. The simulator pages never load
// office.js: the simulator supplies `Office`. `--env outputPath=DIR` builds somewhere other than dist/.
// ADDIN_AAD_CLIENT_ID and ADDIN_CRM_SCOPE (the Azure AD app and the sync server's API scope) go into the pages'
// meta tags for MSAL; without them the add-in in Outlook reports that no app is configured.
// The add-in pages also get their Content-Security-Policy (src/entry/cli/page-policy.ts) as a meta tag.
import path from "node:path";
import { fileURLToPath } from "node:url";
import HtmlWebpackPlugin from "html-webpack-plugin";
import CopyWebpackPlugin from "copy-webpack-plugin";
import { tsImport } from "tsx/esm/api";
import { LaunchEventsPlugin } from "./scripts/launch-events-bundle.mjs";

/** The pages' Content-Security-Policy table, shared with npm start's page server. */
const { addinPagePolicy } = await tsImport("./src/entry/cli/page-policy.ts", import.meta.url);

const root = path.dirname(fileURLToPath(import.meta.url));

/** The base URL manifest.xml is written with; the production build replaces every occurrence. */
export const DEV_BASE_URL = "https://localhost:3000/";
/** Where production pages load office.js from. */
export const OFFICE_JS_CDN = "https://appsforoffice.microsoft.com/lib/1/hosted/office.js";
const OFFICE_JS_LOCAL = "office-js/office.js";

/**
 * The production base URL from ADDIN_BASE_URL: an absolute https URL, normalised to end with "/".
 * Unset means the dev base, so `npm start` can serve a production build locally.
 */
export function productionBaseUrl(value) {
  if (value === undefined || value === "") return DEV_BASE_URL;
  let url;
  try {
    url = new URL(value);
  } catch {
    throw new Error(
      `ADDIN_BASE_URL must be an absolute URL such as https://addin.example.com/, got "${value}"`,
    );
  }
  if (url.protocol !== "https:") {
    throw new Error(`ADDIN_BASE_URL must use https (Office loads add-ins only over https), got "${value}"`);
  }
  if (url.search || url.hash)
    throw new Error(`ADDIN_BASE_URL must not have a query or fragment, got "${value}"`);
  return url.href.endsWith("/") ? url.href : `${url.href}/`;
}

/** Rewrites every dev-base URL in the manifest to `baseUrl`. */
export function rewriteManifest(xml, baseUrl) {
  return xml.split(DEV_BASE_URL).join(baseUrl);
}

export default function config(env = {}, argv = {}) {
  const production = argv.mode === "production";
  const baseUrl = production ? productionBaseUrl(process.env.ADDIN_BASE_URL) : DEV_BASE_URL;
  const officeJs = production ? OFFICE_JS_CDN : OFFICE_JS_LOCAL;
  // The add-in pages carry their policy in a meta tag too, for whatever static host serves them;
  // ADDIN_CRM_ORIGINS (space-separated https origins) names sync servers not on the pages' own origin.
  const addinPolicy = addinPagePolicy((process.env.ADDIN_CRM_ORIGINS ?? "").split(/\s+/).filter(Boolean));
  const page = (filename, template, chunks, addinPage, loading = {}) =>
    new HtmlWebpackPlugin({
      filename,
      template,
      chunks,
      ...loading,
      templateParameters: {
        officeJs: addinPage ? officeJs : null,
        contentSecurityPolicy: addinPage ? addinPolicy : null,
        aadClientId: process.env.ADDIN_AAD_CLIENT_ID ?? "",
        crmScope: process.env.ADDIN_CRM_SCOPE ?? "",
      },
    });

  return {
    mode: production ? "production" : "development",
    context: root,
    // Production builds ship no source maps unless SOURCE_MAPS=1 asks for them.
    devtool: production && process.env.SOURCE_MAPS !== "1" ? false : "source-map",
    entry: {
      taskpane: "./src/entry/taskpane/index.ts",
      commands: "./src/entry/commands/index.ts",
      "auth-dialog": "./src/entry/auth-dialog/index.ts",
      "sim-app": "./src/entry/sim-app/index.ts",
      "sim-taskpane": "./src/entry/sim-app/sim-taskpane.ts",
      "sim-commands": "./src/entry/sim-app/sim-commands.ts",
      "sim-launch-events": "./src/entry/sim-app/sim-launch-events.ts",
    },
    output: {
      path: env.outputPath ? path.resolve(env.outputPath) : path.join(root, "dist"),
      filename: "[name].js",
      chunkFilename: "chunks/[name].[contenthash:8].js",
      clean: true,
    },
    resolve: { extensions: [".ts", ".js"] },
    module: {
      rules: [
        {
          test: /\.ts$/,
          exclude: /node_modules/,
          use: {
            loader: "ts-loader",
            // Types are checked by `npm run typecheck`; the bundle only needs the transpiled code.
            options: {
              configFile: path.join(root, "tsconfig.browser.json"),
              transpileOnly: true,
              compilerOptions: { noEmit: false },
            },
          },
        },
      ],
    },
    plugins: [
      page("taskpane.html", "./taskpane/taskpane.html", ["taskpane"], true),
      page("commands.html", "./src/entry/commands/commands.html", ["commands"], true),
      page("auth-dialog.html", "./src/entry/auth-dialog/auth-dialog.html", ["auth-dialog"], true),
      page("launch-events.html", "./src/entry/launch-events/launch-events.html", [], true),
      new LaunchEventsPlugin({ production, baseUrl }),
      page("sim.html", "./src/entry/sim-app/sim.html", ["sim-app"], false),
      // The same pages for the simulator's frames: same view and registrations, the simulator's `Office`.
      page("sim-taskpane.html", "./taskpane/taskpane.html", ["sim-taskpane"], false),
      page("sim-commands.html", "./src/entry/commands/commands.html", ["sim-commands"], false),
      // A launch event's frame: its script must run before the page's launch-events.js, so it blocks in the head.
      page(
        "sim-launch-events.html",
        "./src/entry/sim-app/sim-launch-events.html",
        ["sim-launch-events"],
        false,
        {
          inject: "head",
          scriptLoading: "blocking",
        },
      ),
      new CopyWebpackPlugin({
        patterns: [
          {
            from: "manifest.xml",
            to: "manifest.xml",
            transform: (content) => (production ? rewriteManifest(content.toString(), baseUrl) : content),
          },
          { from: "assets/*.png", to: "assets/[name][ext]" },
          { from: "taskpane/*.css", to: "[name][ext]" },
          { from: "src/entry/sim-app/sim.css", to: "sim.css" },
          { from: "taskpane/support.html", to: "support.html" },
          ...(production ? [] : [{ from: "node_modules/@microsoft/office-js/dist", to: "office-js" }]),
        ],
      }),
    ],
    // The task pane's size budget is enforced by a test against the production build (test/ui).
    performance: { hints: false },
  };
}
