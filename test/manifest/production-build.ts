/**
 * One production build per test run, shared by the manifest and browser suites: `webpack --mode production`
 * into a temporary directory, with ADDIN_BASE_URL set so the manifest rewrite is exercised.
 */
import { execFile } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

/** The base URL the test build is made for. */
export const TEST_BASE_URL = "https://crm-addin.example.test/outlook/";

const root = path.resolve(import.meta.dirname, "../..");
const webpackCli = path.join(root, "node_modules/webpack-cli/bin/cli.js");
let build: Promise<string> | undefined;

/** Runs webpack's CLI in production mode with `env` added; resolves to its output, rejects with its stderr. */
export async function runProductionWebpack(outputPath: string, env: Record<string, string>): Promise<string> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [webpackCli, "--mode", "production", "--env", `outputPath=${outputPath}`],
    { cwd: root, env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024 },
  );
  return stdout;
}

/** The directory holding this run's production build; the first call builds it, later calls reuse it. */
export function productionBuild(): Promise<string> {
  build ??= (async () => {
    const outputPath = await mkdtemp(path.join(tmpdir(), "crm-addin-build-"));
    await runProductionWebpack(outputPath, { ADDIN_BASE_URL: TEST_BASE_URL, SOURCE_MAPS: "" });
    return outputPath;
  })();
  return build;
}
