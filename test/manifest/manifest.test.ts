import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import {
  associatedFunctionNames,
  elementOrderProblems,
  manifestFunctionNames,
  manifestUrls,
  misplacedPinning,
  nonHttpsUrls,
  parseManifest,
  unregisteredFunctions,
  unresolvedResids,
  walk,
  type XmlElement,
} from "./manifest-checks";
import { productionBuild, runProductionWebpack, TEST_BASE_URL } from "./production-build";

const root = path.resolve(import.meta.dirname, "../..");
const sourceXml = readFileSync(path.join(root, "manifest.xml"), "utf8");
const OFFICE_JS_CDN = "https://appsforoffice.microsoft.com/lib/1/hosted/office.js";
const COMMAND_SURFACES = [
  "MessageReadCommandSurface",
  "MessageComposeCommandSurface",
  "AppointmentOrganizerCommandSurface",
  "AppointmentAttendeeCommandSurface",
];

function child(element: XmlElement, name: string): XmlElement {
  const found = element.children.find((c) => c.name === name);
  assert.ok(found, `<${element.name}> has no <${name}>`);
  return found;
}

function versionOverrides(manifest: XmlElement): { v10: XmlElement; v11: XmlElement } {
  const v10 = child(manifest, "VersionOverrides");
  const v11 = child(v10, "VersionOverrides");
  return { v10, v11 };
}

function resource(scope: XmlElement, id: string): string {
  for (const { element } of walk(child(scope, "Resources"))) {
    if (element.attrs["id"] === id) return element.attrs["DefaultValue"] ?? "";
  }
  assert.fail(`no resource "${id}"`);
}

function pngSize(file: string): { width: number; height: number } {
  const bytes = readFileSync(file);
  assert.equal(bytes.subarray(1, 4).toString("ascii"), "PNG", `${file} is not a PNG`);
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

describe("manifest.xml", () => {
  const manifest = parseManifest(sourceXml);

  it("is well-formed XML, and a broken copy is reported with its position", () => {
    assert.equal(manifest.name, "OfficeApp");
    assert.equal(manifest.attrs["xsi:type"], "MailApp");
    const broken = sourceXml.replace(
      "<Permissions>ReadWriteMailbox</Permissions>",
      "<Permissions>ReadWriteMailbox",
    );
    assert.throws(() => parseManifest(broken), /not well-formed XML: .*line \d+, col \d+/);
  });

  it("keeps every element in the order Microsoft documents, and a swapped copy fails", () => {
    assert.deepEqual(elementOrderProblems(manifest), []);
    const { v10, v11 } = versionOverrides(manifest);
    assert.equal(v10.attrs["xsi:type"], "VersionOverridesV1_0");
    assert.equal(v11.attrs["xsi:type"], "VersionOverridesV1_1");
    assert.equal(v10.children.at(-1), v11, "VersionOverridesV1_1 is nested last");

    const swapped = sourceXml
      .replace("  <Permissions>ReadWriteMailbox</Permissions>\n", "")
      .replace("  <FormSettings>", "  <Permissions>ReadWriteMailbox</Permissions>\n  <FormSettings>");
    assert.deepEqual(elementOrderProblems(parseManifest(swapped)), [
      "<FormSettings> must come before <Permissions> in <OfficeApp[MailApp]>",
    ]);
    const unknown = sourceXml.replace("<DisableEntityHighlighting>", "<Bogus/><DisableEntityHighlighting>");
    assert.deepEqual(elementOrderProblems(parseManifest(unknown)), [
      "<Bogus> is not a documented child of <OfficeApp[MailApp]>",
    ]);
  });

  it("resolves every resid in its own VersionOverrides, and a broken resid is reported", () => {
    assert.deepEqual(unresolvedResids(manifest), []);
    const broken = sourceXml.replace(
      '<SourceLocation resid="Taskpane.Url"/>',
      '<SourceLocation resid="Taskpane.Typo"/>',
    );
    assert.deepEqual(unresolvedResids(parseManifest(broken)), [
      'resid "Taskpane.Typo" in VersionOverridesV1_0 names no resource',
    ]);
    const { v11 } = versionOverrides(manifest);
    const withoutRuntimeUrl = sourceXml.replace(/\s*<bt:Url id="JSRuntime.Url"[^>]*\/>/, "");
    assert.notEqual(withoutRuntimeUrl, sourceXml);
    assert.deepEqual(unresolvedResids(parseManifest(withoutRuntimeUrl)), [
      'resid "JSRuntime.Url" in VersionOverridesV1_1 names no resource',
    ]);
    assert.ok(resource(v11, "JSRuntime.Url").endsWith("/launch-events.js"));
    assert.ok(resource(v11, "WebViewRuntime.Url").endsWith("/launch-events.html"));
  });

  it("puts the CRM group with its four commands on all four command surfaces", () => {
    const { v10, v11 } = versionOverrides(manifest);
    for (const [scope, pinnable] of [
      [v10, false],
      [v11, true],
    ] as const) {
      const form = child(child(child(scope, "Hosts"), "Host"), "DesktopFormFactor");
      assert.equal(child(form, "FunctionFile").attrs["resid"], "Commands.Url");
      const surfaces = form.children.filter(
        (c) => c.name === "ExtensionPoint" && c.attrs["xsi:type"] !== "LaunchEvent",
      );
      assert.deepEqual(
        surfaces.map((s) => s.attrs["xsi:type"]),
        COMMAND_SURFACES,
      );
      for (const surface of surfaces) {
        const group = child(child(surface, "OfficeTab"), "Group");
        assert.equal(resourceText(scope, child(group, "Label").attrs["resid"]), "CRM");
        const controls = group.children.filter((c) => c.name === "Control");
        const described = controls.map((control) => {
          const action = child(control, "Action");
          const label = resourceText(scope, child(control, "Label").attrs["resid"]);
          return action.attrs["xsi:type"] === "ExecuteFunction"
            ? `${label}: ${child(action, "FunctionName").text}`
            : `${label}: ${action.attrs["xsi:type"]} pinning=${action.children.some((c) => c.name === "SupportsPinning" && c.text === "true")}`;
        });
        assert.deepEqual(described, [
          "Track in CRM: trackInCrm",
          "Untrack: untrackFromCrm",
          "Sync now: syncNow",
          `CRM pane: ShowTaskpane pinning=${pinnable && surface.attrs["xsi:type"]?.startsWith("Message") === true}`,
        ]);
        for (const control of controls) {
          assert.deepEqual(
            child(control, "Icon").children.map((image) => image.attrs["size"]),
            ["16", "32", "80"],
          );
        }
      }
    }
  });

  it("offers pinning on message surfaces only, and a pinnable appointment pane is reported", () => {
    assert.deepEqual(misplacedPinning(manifest), []);
    const broken = sourceXml.replace(
      /(<ExtensionPoint xsi:type="AppointmentAttendeeCommandSurface">[\s\S]*?<SourceLocation resid="Taskpane.Url"\/>)/,
      "$1<SupportsPinning>true</SupportsPinning>",
    );
    assert.notEqual(broken, sourceXml);
    assert.deepEqual(misplacedPinning(parseManifest(broken)), [
      "SupportsPinning on AppointmentAttendeeCommandSurface: Outlook cannot pin it there",
    ]);
  });

  it("activates on send with PromptUser through the event runtime, never blocking without a prompt", () => {
    const { v11 } = versionOverrides(manifest);
    const host = child(child(v11, "Hosts"), "Host");
    const runtime = child(child(host, "Runtimes"), "Runtime");
    assert.equal(runtime.attrs["resid"], "WebViewRuntime.Url");
    assert.equal(child(runtime, "Override").attrs["type"], "javascript");
    const launch = child(host, "DesktopFormFactor").children.find(
      (c) => c.attrs["xsi:type"] === "LaunchEvent",
    );
    assert.ok(launch);
    assert.equal(child(launch, "SourceLocation").attrs["resid"], "WebViewRuntime.Url");
    assert.deepEqual(
      child(launch, "LaunchEvents").children.map((e) => [
        e.attrs["Type"],
        e.attrs["FunctionName"],
        e.attrs["SendMode"],
      ]),
      [
        ["OnMessageSend", "onMessageSendHandler", "PromptUser"],
        ["OnAppointmentSend", "onAppointmentSendHandler", "PromptUser"],
      ],
    );
  });

  it("asks for ReadWriteMailbox and requirement sets no higher than each feature needs", () => {
    assert.equal(child(manifest, "Permissions").text, "ReadWriteMailbox");
    const base = child(child(child(manifest, "Requirements"), "Sets"), "Set");
    assert.deepEqual([base.attrs["Name"], base.attrs["MinVersion"]], ["Mailbox", "1.3"]);
    const { v10, v11 } = versionOverrides(manifest);
    const minVersion = (scope: XmlElement): string | undefined =>
      child(child(scope, "Requirements"), "bt:Sets").attrs["DefaultMinVersion"];
    assert.equal(minVersion(v10), "1.3", "add-in commands need Mailbox 1.3");
    assert.equal(minVersion(v11), "1.5", "pinning needs Mailbox 1.5");
  });

  it("stays under 256 KB", () => {
    assert.ok(Buffer.byteLength(sourceXml) < 256 * 1024);
  });

  function resourceText(scope: XmlElement, id: string | undefined): string {
    assert.ok(id);
    return resource(scope, id);
  }
});

describe("production build", function () {
  this.timeout(180_000);
  let dist = "";
  let built: XmlElement;

  before(async () => {
    dist = await productionBuild();
    built = parseManifest(readFileSync(path.join(dist, "manifest.xml"), "utf8"));
  });

  it("registers every FunctionName with Office.actions.associate in the commands and launch-event files", () => {
    const launchEvents = readFileSync(path.join(dist, "launch-events.js"), "utf8");
    assert.deepEqual(associatedFunctionNames(launchEvents), [
      "onAppointmentSendHandler",
      "onMessageSendHandler",
    ]);
    const bundle = readFileSync(path.join(dist, "commands.js"), "utf8") + launchEvents;
    assert.deepEqual(manifestFunctionNames(built), [
      "onAppointmentSendHandler",
      "onMessageSendHandler",
      "syncNow",
      "trackInCrm",
      "untrackFromCrm",
    ]);
    assert.deepEqual(unregisteredFunctions(built, bundle), []);

    const withoutSync = bundle.replace(/\bactions\.associate\(\s*"syncNow"/, 'actions.toString("syncNow"');
    assert.notEqual(withoutSync, bundle);
    assert.ok(
      withoutSync.includes('"syncNow"'),
      "the broken copy still holds the name, just not its registration",
    );
    assert.ok(!associatedFunctionNames(withoutSync).includes("syncNow"));
    assert.deepEqual(unregisteredFunctions(built, withoutSync), [
      'FunctionName "syncNow" is not registered with Office.actions.associate',
    ]);
  });

  it("ships no source maps: no .map file and no sourceMappingURL comment", () => {
    const files = readdirSync(dist, { recursive: true, encoding: "utf8" });
    assert.deepEqual(
      files.filter((file) => file.endsWith(".map")),
      [],
    );
    for (const file of files.filter((name) => /\.(js|css|html)$/.test(name))) {
      assert.ok(!readFileSync(path.join(dist, file), "utf8").includes("sourceMappingURL"), file);
    }
  });

  it("rewrites every URL to ADDIN_BASE_URL and uses https only", () => {
    assert.deepEqual(nonHttpsUrls(built), []);
    const urls = manifestUrls(built).map(({ url }) => url);
    assert.ok(urls.length > 10);
    const outside = urls.filter((url) => !url.startsWith(TEST_BASE_URL));
    assert.deepEqual([...new Set(outside)], ["https://login.microsoftonline.com"]);
    assert.ok(!readFileSync(path.join(dist, "manifest.xml"), "utf8").includes("localhost"));

    const plain = sourceXml.replace(
      'DefaultValue="https://localhost:3000/support.html"',
      'DefaultValue="http://x.test/"',
    );
    assert.deepEqual(nonHttpsUrls(parseManifest(plain)), ["<SupportUrl> uses http://x.test/, not https"]);
  });

  it("ships every file the manifest points at, with icons of the sizes their ids name", () => {
    for (const { where, url } of manifestUrls(built)) {
      if (!url.startsWith(TEST_BASE_URL)) continue;
      const file = path.join(dist, url.slice(TEST_BASE_URL.length));
      assert.ok(existsSync(file), `${where} points at ${url}, which the build does not contain`);
    }
    const { v10, v11 } = versionOverrides(built);
    for (const scope of [v10, v11]) {
      for (const size of [16, 32, 80]) {
        const url = resource(scope, `Icon.${size}x${size}`);
        assert.deepEqual(pngSize(path.join(dist, url.slice(TEST_BASE_URL.length))), {
          width: size,
          height: size,
        });
      }
    }
    assert.deepEqual(pngSize(path.join(dist, "assets/icon-64.png")), { width: 64, height: 64 });
    assert.deepEqual(pngSize(path.join(dist, "assets/icon-128.png")), { width: 128, height: 128 });
  });

  it("ships the well-known file that allows launch-events.js SSO and CORS", () => {
    const allowed = JSON.parse(
      readFileSync(path.join(dist, ".well-known/microsoft-officeaddins-allowed.json"), "utf8"),
    ) as unknown;
    assert.deepEqual(allowed, { allowed: [`${TEST_BASE_URL}launch-events.js`] });
  });

  it("keeps the built manifest under 256 KB", () => {
    const bytes = statSync(path.join(dist, "manifest.xml")).size;
    assert.ok(bytes > 0 && bytes < 256 * 1024, `manifest is ${bytes} bytes`);
  });

  it("loads office.js from Microsoft's CDN in the add-in pages and never in the simulator page", () => {
    const scripts = (file: string): string[] =>
      [...readFileSync(path.join(dist, file), "utf8").matchAll(/<script[^>]*src=["']?([^"' >]+)/g)].map(
        (m) => m[1] ?? "",
      );
    assert.deepEqual(scripts("taskpane.html"), [OFFICE_JS_CDN, "taskpane.js"]);
    assert.deepEqual(scripts("commands.html"), [OFFICE_JS_CDN, "commands.js"]);
    assert.deepEqual(scripts("launch-events.html"), [OFFICE_JS_CDN, "launch-events.js"]);
    assert.deepEqual(scripts("auth-dialog.html"), [OFFICE_JS_CDN, "auth-dialog.js"]);
    assert.ok(
      !scripts("sim.html").some((src) => src.includes("office")),
      "the simulator supplies Office itself",
    );
  });

  it("refuses a base URL that is not https, naming ADDIN_BASE_URL", async () => {
    const outputPath = await mkdtemp(path.join(tmpdir(), "crm-addin-bad-"));
    await assert.rejects(
      runProductionWebpack(outputPath, { ADDIN_BASE_URL: "http://crm.example.test/" }),
      /ADDIN_BASE_URL must use https/,
    );
  });
});
