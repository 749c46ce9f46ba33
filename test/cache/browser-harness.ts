/**
 * Puts TypeScript into a Chromium page: bundles an entry with esbuild (node:assert/strict mapped to the
 * browser shim) and serves it from a throwaway HTTP server on 127.0.0.1, on a port the OS picks.
 * Shared by the Chromium contract test and the cache benchmark.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const SHIM = fileURLToPath(new URL("./browser/assert-shim.ts", import.meta.url));

/** Bundles `entry` (a path) into one browser script. */
export async function bundleForBrowser(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: "iife",
    platform: "browser",
    target: "chrome120",
    sourcemap: "inline",
    logLevel: "silent",
    plugins: [
      {
        name: "assert-shim",
        setup(plugin) {
          plugin.onResolve({ filter: /^node:assert\/strict$/ }, () => ({ path: SHIM }));
        },
      },
    ],
  });
  const output = result.outputFiles[0];
  if (!output) throw new Error(`esbuild produced nothing for ${entry}`);
  return output.text;
}

/** A page that loads `script`, served until `close()`. */
export async function servePage(script: string): Promise<{ readonly url: string; close(): Promise<void> }> {
  const html = '<!doctype html><meta charset="utf-8"><title>cache</title><script src="/bundle.js"></script>';
  const server = createServer((request, response) => {
    if (request.url === "/bundle.js") {
      response.writeHead(200, { "content-type": "text/javascript; charset=utf-8" }).end(script);
    } else if (request.url === "/") {
      response.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(html);
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
