import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { MEMBER_API_SETS } from "../../src/sim/office/requirement-level";
import { parseManifest } from "./manifest-checks";
import {
  addinSourceFiles,
  declaredMailboxMinimum,
  mailboxMemberUses,
  uncoveredUses,
} from "./requirement-sets";

const root = path.resolve(import.meta.dirname, "../..");
const typeRoots = path.join(root, "node_modules/@types");
const addinFiles = addinSourceFiles(root);
const declaredMinimum = (xml: string) => declaredMailboxMinimum(parseManifest(xml));

function inTempDir<T>(files: Record<string, string>, run: (paths: string[]) => T): T {
  const dir = mkdtempSync(path.join(tmpdir(), "requirement-sets-"));
  try {
    const paths = Object.entries(files).map(([name, text]) => {
      const file = path.join(dir, name);
      writeFileSync(file, text);
      return file;
    });
    return run(paths);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("Mailbox requirement sets (from the remarks of @types/office-js)", function () {
  // Each check compiles a program with the TypeScript compiler: seconds each on a loaded machine.
  this.timeout(120_000);
  const manifestXml = readFileSync(path.join(root, "manifest.xml"), "utf8");
  const uses = mailboxMemberUses(addinFiles, { typeRoots });

  it("finds the add-in's Office.js calls with the Api set each needs", () => {
    const needs = new Map(uses.map((use) => [use.member, use.needs]));
    assert.equal(needs.get("MessageRead.categories") ?? needs.get("AppointmentRead.categories"), "1.8");
    assert.equal(needs.get("Mailbox.convertToRestId"), "1.3");
    assert.equal(needs.get("Mailbox.addHandlerAsync"), "1.5");
    assert.equal(needs.get("MessageCompose.getItemIdAsync"), "1.8");
    assert.equal(needs.get("UI.displayDialogAsync"), "1.4", "a Mailbox set named in a Requirement sets list");
    assert.equal(needs.get("EventCompletedOptions.allowEvent"), "1.8", "a property of an options object");
  });

  it("covers every call by the manifest's declared minimum or an isSetSupported guard", () => {
    assert.deepEqual(uncoveredUses(uses, declaredMinimum(manifestXml)), []);
  });

  it("fails on a broken copy: guards removed from the host, or a manifest declaring too little", () => {
    const host = readFileSync(path.join(root, "src/adapters/officejs/officejs-outlook-host.ts"), "utf8");
    const unguarded = host.replace(/this\.requirements\.isSetSupported\("Mailbox", "1\.8"\)/g, "true");
    assert.notEqual(unguarded, host);
    const unguardedSend = host.replace(
      /this\.requirements\.isSetSupported\("Mailbox", "1\.8"\) \? \{ allowEvent: allow \} : undefined/,
      "{ allowEvent: allow }",
    );
    assert.notEqual(unguardedSend, host);
    const problems = inTempDir({ "host-copy.ts": unguarded, "send-copy.ts": unguardedSend }, (files) =>
      uncoveredUses(mailboxMemberUses(files, { typeRoots }), declaredMinimum(manifestXml)),
    );
    assert.ok(
      problems.some((p) => /host-copy.*categories needs Mailbox 1\.8.*no isSetSupported guard/.test(p)),
      problems.join("\n"),
    );
    assert.deepEqual(
      problems.filter((p) => p.includes("send-copy")).map((p) => p.replace(/^.*send-copy\.ts:\d+: /, "")),
      [
        "EventCompletedOptions.allowEvent needs Mailbox 1.8, above the manifest's 1.3, with no isSetSupported guard",
      ],
    );
    const lowered = manifestXml.replace(/(<Sets>\s*<Set Name="Mailbox" MinVersion=")[0-9.]+"/, '$11.1"');
    assert.notEqual(lowered, manifestXml);
    assert.ok(
      uncoveredUses(uses, declaredMinimum(lowered)).some((p) => /convertToRestId needs Mailbox 1\.3/.test(p)),
    );
  });

  it("reads the properties of options objects, also spread or chosen by a condition, and their guards", () => {
    const snippet = [
      "declare const send: Office.MailboxEvent;",
      "declare const command: Office.AddinCommands.Event;",
      "declare const errorMessage: string | undefined;",
      "send.completed({ allowEvent: false, ...(errorMessage !== undefined && { errorMessage }) });",
      'command.completed(Office.context.requirements.isSetSupported("Mailbox", "1.8") ? { allowEvent: true } : undefined);',
      "export {};",
    ].join("\n");
    const problems = inTempDir({ "options.ts": snippet }, (files) =>
      uncoveredUses(mailboxMemberUses(files, { typeRoots }), "1.10"),
    );
    assert.deepEqual(
      problems.map((p) => p.replace(/^.*options\.ts:/, "")),
      [
        "4: SmartAlertsEventCompletedOptions.allowEvent needs Mailbox 1.12, above the manifest's 1.10, with no isSetSupported guard",
        "4: SmartAlertsEventCompletedOptions.errorMessage needs Mailbox 1.12, above the manifest's 1.10, with no isSetSupported guard",
      ],
    );
  });

  it("the Office twin gates each member at the Api set its remarks name", () => {
    const lines = Object.entries(MEMBER_API_SETS).flatMap(([owner, members], i) =>
      Object.keys(members).map((member) =>
        owner === "MailboxEnums"
          ? `Office.MailboxEnums.${member};`
          : `declare const v${i}_${member}: Office.${owner}; v${i}_${member}.${member};`,
      ),
    );
    const found = inTempDir({ "twin-members.ts": `${lines.join("\n")}\nexport {};\n` }, (files) =>
      mailboxMemberUses(files, { typeRoots }),
    );
    const expected = Object.entries(MEMBER_API_SETS).flatMap(([owner, members]) =>
      Object.entries(members).map(([member, version]) => `${owner}.${member} ${version}`),
    );
    assert.deepEqual(
      found.map((use) => `${use.member} ${use.needs}`),
      expected,
    );
  });
});
