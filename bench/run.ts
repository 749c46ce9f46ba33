/**
 * `npm run bench`: runs every `bench/<area>/<name>-bench.ts` one after another, each in its own Node process
 * (so one benchmark's heap and timers never colour another's), and prints each one's JSON result.
 * `npm run bench -- cache` runs only the areas named.
 */
import { spawn } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const benchDir = fileURLToPath(new URL(".", import.meta.url));
const only = process.argv.slice(2);

const files = readdirSync(benchDir)
  .filter(
    (area) => statSync(join(benchDir, area)).isDirectory() && (only.length === 0 || only.includes(area)),
  )
  .sort()
  .flatMap((area) =>
    readdirSync(join(benchDir, area))
      .filter((name) => name.endsWith("-bench.ts"))
      .sort()
      .map((name) => join(benchDir, area, name)),
  );

if (files.length === 0) {
  console.error(`bench: no *-bench.ts files found${only.length > 0 ? ` for ${only.join(", ")}` : ""}`);
  process.exit(1);
}

let failed = 0;
for (const file of files) {
  const name = relative(benchDir, file);
  console.log(`\n== ${name}`);
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", file], { stdio: "inherit" });
    child.on("close", (exitCode) => resolve(exitCode ?? 1));
  });
  if (code !== 0) {
    failed += 1;
    console.error(`bench: ${name} exited with ${code}`);
  }
}
process.exit(failed === 0 ? 0 : 1);
