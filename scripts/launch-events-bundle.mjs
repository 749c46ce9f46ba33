// Builds launch-events.js, the one small file Outlook runs for OnMessageSend and OnAppointmentSend, with
// esbuild: one IIFE, no imports left, nothing of the DOM, syntax no newer than ECMAScript 2016 (the level the
// oldest classic Outlook on Windows runtime parses; see "Troubleshoot event-based and spam-reporting add-ins").
// Its configuration is injected here at build time. webpack.config.js emits it through LaunchEventsPlugin.
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** The launch-event file's name in the build output. */
export const LAUNCH_EVENTS_FILE = "launch-events.js";
/** The longest a launch-event handler waits for Office and storage before it completes anyway (ms). */
export const LAUNCH_COMPLETE_WITHIN_MS = 3000;

/** Bundles src/entry/launch-events; resolves to the code and the source files it read. */
export async function buildLaunchEvents({ production }) {
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: ["src/entry/launch-events/index.ts"],
    bundle: true,
    write: false,
    format: "iife",
    platform: "neutral",
    target: "es2016",
    minify: false,
    legalComments: "none",
    metafile: true,
    define: {
      LAUNCH_EVENTS_CONFIG: JSON.stringify({ completeWithinMs: LAUNCH_COMPLETE_WITHIN_MS }),
    },
    banner: { js: `// CRM Sync launch events (${production ? "production" : "development"} build)` },
    logLevel: "silent",
  });
  const code = result.outputFiles[0]?.text ?? "";
  const inputs = Object.keys(result.metafile.inputs).filter((file) => !file.startsWith("<"));
  return { code, inputs: inputs.map((file) => path.join(root, file)) };
}

/** Where the well-known file goes in the build output (it must be served at the origin's root). */
export const OFFICE_ADDINS_ALLOWED_FILE = ".well-known/microsoft-officeaddins-allowed.json";

/**
 * The well-known file that lets the launch-event script use SSO and CORS ("Use single sign-on (SSO) or
 * cross-origin resource sharing (CORS) in your event-based or spam-reporting Office Add-in"): the `allowed`
 * array names launch-events.js under `baseUrl`.
 */
export function officeAddinsAllowed(baseUrl) {
  return `${JSON.stringify({ allowed: [new URL(LAUNCH_EVENTS_FILE, baseUrl).href] }, null, 2)}\n`;
}

/**
 * A webpack plugin that adds launch-events.js and the well-known file to the build output, and watches the
 * launch events' sources.
 */
export class LaunchEventsPlugin {
  constructor({ production, baseUrl }) {
    this.production = production;
    this.baseUrl = baseUrl;
  }

  apply(compiler) {
    const { Compilation, sources } = compiler.webpack;
    compiler.hooks.thisCompilation.tap("LaunchEventsPlugin", (compilation) => {
      compilation.hooks.processAssets.tapPromise(
        { name: "LaunchEventsPlugin", stage: Compilation.PROCESS_ASSETS_STAGE_ADDITIONAL },
        async () => {
          const { code, inputs } = await buildLaunchEvents({ production: this.production });
          for (const input of inputs) compilation.fileDependencies.add(input);
          compilation.emitAsset(LAUNCH_EVENTS_FILE, new sources.RawSource(code));
          compilation.emitAsset(
            OFFICE_ADDINS_ALLOWED_FILE,
            new sources.RawSource(officeAddinsAllowed(this.baseUrl)),
          );
        },
      );
    });
  }
}
