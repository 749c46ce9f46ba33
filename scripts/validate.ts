/**
 * `npm run validate [-- --online]`: checks manifest.xml offline with the project's own checks (test/manifest)
 * and office-addin-manifest's offline reader, and says what only Microsoft's validation service can check.
 * With --online it also sends the manifest to that service (`office-addin-manifest validate`). Exit code 1 when
 * a check fails.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { OfficeAddinManifest, validateManifest } from "office-addin-manifest";
import {
  elementOrderProblems,
  misplacedPinning,
  nonHttpsUrls,
  parseManifest,
  unregisteredFunctions,
  unresolvedResids,
  type XmlElement,
} from "../test/manifest/manifest-checks";
import {
  addinSourceFiles,
  declaredMailboxMinimum,
  mailboxMemberUses,
  uncoveredUses,
} from "../test/manifest/requirement-sets";

const root = path.resolve(import.meta.dirname, "..");
const manifestPath = path.join(root, "manifest.xml");
const SIZE_LIMIT = 256 * 1024;

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : full.endsWith(".ts") ? [full] : [];
  });
}

interface Check {
  readonly name: string;
  run(manifest: XmlElement, xml: string): string[] | Promise<string[]>;
}

const CHECKS: readonly Check[] = [
  { name: "element order (manifest-element-ordering)", run: (m) => elementOrderProblems(m) },
  { name: "every resid names a resource in its VersionOverrides", run: (m) => unresolvedResids(m) },
  { name: "https URLs only", run: (m) => nonHttpsUrls(m) },
  { name: "pinning on message surfaces only (pinnable-taskpane)", run: (m) => misplacedPinning(m) },
  {
    name: "every FunctionName is registered with Office.actions.associate",
    run: (m) =>
      unregisteredFunctions(
        m,
        filesUnder(path.join(root, "src/entry"))
          .map((file) => readFileSync(file, "utf8"))
          .join("\n"),
      ),
  },
  {
    name: "every Office.js call is within the declared Mailbox minimum or behind isSetSupported",
    run: (m) =>
      uncoveredUses(
        mailboxMemberUses(addinSourceFiles(root), { typeRoots: path.join(root, "node_modules/@types") }),
        declaredMailboxMinimum(m),
      ),
  },
  {
    name: "size under 256 KB",
    run: (_m, xml) =>
      Buffer.byteLength(xml) > SIZE_LIMIT ? [`manifest.xml is ${Buffer.byteLength(xml)} bytes`] : [],
  },
  {
    name: "office-addin-manifest reads it (offline parser)",
    run: async () => {
      try {
        const info = await OfficeAddinManifest.readManifestFile(manifestPath);
        const missing = (["id", "version", "displayName", "defaultLocale"] as const).filter(
          (key) => info[key] === undefined || info[key] === "",
        );
        return missing.map((key) => `office-addin-manifest found no ${key}`);
      } catch (error) {
        return [error instanceof Error ? error.message : String(error)];
      }
    },
  },
];

async function main(): Promise<number> {
  const online = process.argv.includes("--online");
  const xml = readFileSync(manifestPath, "utf8");
  let failed = 0;
  let manifest: XmlElement;
  try {
    manifest = parseManifest(xml);
    console.log("ok    well-formed XML");
  } catch (error) {
    console.log(`FAIL  well-formed XML\n      ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  for (const check of CHECKS) {
    const problems = await check.run(manifest, xml);
    console.log(`${problems.length === 0 ? "ok  " : "FAIL"}  ${check.name}`);
    for (const problem of problems) console.log(`      ${problem}`);
    if (problems.length > 0) failed += 1;
  }
  if (online) {
    const validation = await validateManifest(manifestPath);
    const errors = validation.report?.errors ?? [];
    console.log(
      `${validation.isValid ? "ok  " : "FAIL"}  Microsoft's validation service (schema and store rules)`,
    );
    for (const error of errors) console.log(`      ${error.title ?? ""}: ${error.content ?? ""}`);
    if (!validation.isValid) failed += 1;
  } else {
    console.log(
      "skip  Microsoft's validation service (XML schema and store rules) needs the network: office-addin-manifest\n" +
        "      sends the file to an online service and has no offline schema check. Run `npm run validate -- --online`.",
    );
  }
  console.log(
    failed === 0 ? "manifest.xml: all offline checks passed" : `manifest.xml: ${failed} check(s) failed`,
  );
  return failed === 0 ? 0 : 1;
}

process.exitCode = await main();
