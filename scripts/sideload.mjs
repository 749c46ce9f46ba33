// `npm run sideload`: sideloads manifest.xml into Outlook on the web with office-addin-debugging. That package is
// not in the lockfile (its dependency tree builds a native keychain module, which fails without a compiler or the
// registry), so this runs the installed copy when there is one and `npx office-addin-debugging@6` otherwise.
// Whatever fails, it says what failed and prints the manual steps, and exits non-zero: it never fails silently.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const manifest = path.join(root, "manifest.xml");
const local = path.join(root, "node_modules", ".bin", "office-addin-debugging");

const MANUAL = `
To sideload by hand:
  1. Start the add-in: npm start (it serves https://localhost:3000 once "npx office-addin-dev-certs install" made the certificates).
  2. Open https://aka.ms/olksideload in Outlook on the web (it opens My add-ins).
  3. Choose "Add a custom add-in" > "Add from file" and pick ${manifest}.
  4. Open a message: the CRM group is on its ribbon (Track in CRM, CRM pane).`;

function fail(what) {
  console.error(`npm run sideload: ${what}`);
  console.error(MANUAL);
  process.exit(1);
}

if (!existsSync(manifest)) fail(`${manifest} does not exist.`);
const [command, args] = existsSync(local)
  ? [local, ["start", manifest, "web"]]
  : ["npx", ["--yes", "office-addin-debugging@6", "start", manifest, "web"]];
const run = spawnSync(command, args, { stdio: "inherit", cwd: root, shell: process.platform === "win32" });
if (run.error) fail(`could not run ${command}: ${run.error.message}.`);
if (run.signal) fail(`${path.basename(command)} was stopped by ${run.signal}.`);
if (run.status !== 0) {
  fail(
    `${path.basename(command)} ${args.join(" ")} exited with ${run.status}. Its own message is above; without the ` +
      "registry, npx cannot fetch office-addin-debugging, and installing it builds a native keychain module that needs a C++ compiler.",
  );
}
