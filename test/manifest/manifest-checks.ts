/**
 * Offline checks of an add-in only manifest (Microsoft's validator needs the network). Each check returns the
 * problems it finds as sentences naming the element, attribute or id at fault; an empty list means it passed.
 */
import { XMLParser, XMLValidator } from "fast-xml-parser";

/** One parsed element: its qualified name, attributes, child elements and own text. */
export interface XmlElement {
  readonly name: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: readonly XmlElement[];
  readonly text: string;
}

type RawNode = Record<string, unknown>;

function toElement(node: RawNode): XmlElement | null {
  const name = Object.keys(node).find((key) => key !== ":@");
  if (name === undefined || name.startsWith("#") || name.startsWith("?")) return null;
  const rawChildren = (node[name] ?? []) as RawNode[];
  const attrs = (node[":@"] ?? {}) as Record<string, string>;
  const text = rawChildren
    .map((child) => child["#text"])
    .filter((value): value is string | number => typeof value === "string" || typeof value === "number")
    .map(String)
    .join("")
    .trim();
  const children = rawChildren.map(toElement).filter((child): child is XmlElement => child !== null);
  return { name, attrs, children, text };
}

/** Parses the manifest, throwing an error that names the line and column when the XML is not well formed. */
export function parseManifest(xml: string): XmlElement {
  const verdict = XMLValidator.validate(xml);
  if (verdict !== true) {
    throw new Error(
      `manifest is not well-formed XML: ${verdict.err.msg} (line ${verdict.err.line}, col ${verdict.err.col})`,
    );
  }
  const parser = new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: "",
    parseAttributeValue: false,
    parseTagValue: false,
    trimValues: false,
  });
  const roots = (parser.parse(xml) as RawNode[]).map(toElement).filter((e): e is XmlElement => e !== null);
  const root = roots[0];
  if (roots.length !== 1 || root === undefined)
    throw new Error("manifest must have exactly one root element");
  return root;
}

/** Every element of the tree, depth first, with its ancestors (nearest last). */
export function* walk(
  element: XmlElement,
  ancestors: readonly XmlElement[] = [],
): Generator<{ element: XmlElement; ancestors: readonly XmlElement[] }> {
  yield { element, ancestors };
  for (const child of element.children) yield* walk(child, [...ancestors, element]);
}

/** An element's key in the order table: its name, with its xsi:type in brackets when it has one. */
function orderKey(element: XmlElement): string {
  const type = element.attrs["xsi:type"];
  return type === undefined ? element.name : `${element.name}[${type}]`;
}

const COMMAND_SURFACES = [
  "MessageReadCommandSurface",
  "MessageComposeCommandSurface",
  "AppointmentOrganizerCommandSurface",
  "AppointmentAttendeeCommandSurface",
];
const BUTTON = ["Label", "Supertip", "Icon", "Action"];

/**
 * The child order Microsoft documents for mail add-ins ("How to find the proper order of manifest elements",
 * learn.microsoft.com/office/dev/add-ins/develop/manifest-element-ordering), for every element that has
 * children. Keys are element names, with the xsi:type in brackets where the type changes the children.
 */
export const DOCUMENTED_ORDER: Readonly<Record<string, readonly string[]>> = {
  "OfficeApp[MailApp]": [
    "Id",
    "AlternateId",
    "Version",
    "ProviderName",
    "DefaultLocale",
    "DisplayName",
    "Description",
    "IconUrl",
    "HighResolutionIconUrl",
    "SupportUrl",
    "AppDomains",
    "Hosts",
    "Requirements",
    "FormSettings",
    "Permissions",
    "Rule",
    "DisableEntityHighlighting",
    "VersionOverrides",
    "ExtendedOverrides",
  ],
  AppDomains: ["AppDomain"],
  Hosts: ["Host"],
  Requirements: ["Sets", "bt:Sets"],
  Sets: ["Set"],
  "bt:Sets": ["bt:Set"],
  FormSettings: ["Form"],
  "Form[ItemRead]": ["DesktopSettings", "TabletSettings", "PhoneSettings"],
  "Form[ItemEdit]": ["DesktopSettings", "TabletSettings", "PhoneSettings"],
  DesktopSettings: ["SourceLocation", "RequestedHeight"],
  "Rule[RuleCollection]": ["Rule"],
  "VersionOverrides[VersionOverridesV1_0]": [
    "Description",
    "Requirements",
    "Hosts",
    "Resources",
    "VersionOverrides",
  ],
  "VersionOverrides[VersionOverridesV1_1]": [
    "Description",
    "Requirements",
    "Hosts",
    "Resources",
    "WebApplicationInfo",
    "ExtendedPermissions",
  ],
  "Host[MailHost]": ["Runtimes", "DesktopFormFactor", "MobileFormFactor"],
  Runtimes: ["Runtime"],
  Runtime: ["Override"],
  DesktopFormFactor: ["SupportsSharedFolders", "FunctionFile", "ExtensionPoint"],
  ...Object.fromEntries(
    COMMAND_SURFACES.map((surface) => [`ExtensionPoint[${surface}]`, ["OfficeTab", "CustomTab"]]),
  ),
  "ExtensionPoint[LaunchEvent]": ["LaunchEvents", "SourceLocation"],
  LaunchEvents: ["LaunchEvent"],
  OfficeTab: ["Group"],
  Group: ["Label", "Control"],
  "Control[Button]": BUTTON,
  Supertip: ["Title", "Description"],
  Icon: ["bt:Image"],
  "Action[ExecuteFunction]": ["FunctionName"],
  "Action[ShowTaskpane]": ["TaskpaneId", "SourceLocation", "SupportsPinning"],
  Resources: ["bt:Images", "bt:Urls", "bt:ShortStrings", "bt:LongStrings"],
  "bt:Images": ["bt:Image"],
  "bt:Urls": ["bt:Url"],
  "bt:ShortStrings": ["bt:String"],
  "bt:LongStrings": ["bt:String"],
};

/** Children out of the documented order, or elements with children whose order is not documented here. */
export function elementOrderProblems(root: XmlElement): string[] {
  const problems: string[] = [];
  for (const { element } of walk(root)) {
    if (element.children.length === 0) continue;
    const key = orderKey(element);
    const order = DOCUMENTED_ORDER[key];
    if (order === undefined) {
      problems.push(`<${key}> has children but no documented order`);
      continue;
    }
    let last = -1;
    let lastName = "";
    for (const child of element.children) {
      const index = order.indexOf(child.name);
      if (index === -1) problems.push(`<${child.name}> is not a documented child of <${key}>`);
      else if (index < last) problems.push(`<${child.name}> must come before <${lastName}> in <${key}>`);
      else {
        last = index;
        lastName = child.name;
      }
    }
  }
  return problems;
}

/**
 * `resid` values that name no resource. Each VersionOverrides resolves against its own Resources (a nested
 * VersionOverrides does not inherit its parent's), so every scope is checked separately.
 */
export function unresolvedResids(root: XmlElement): string[] {
  const problems: string[] = [];
  for (const { element } of walk(root)) {
    if (element.name !== "VersionOverrides") continue;
    const ids = new Set<string>();
    const uses: string[] = [];
    const visit = (node: XmlElement): void => {
      for (const child of node.children) {
        if (child.name === "VersionOverrides") continue;
        if (child.name === "Resources") {
          for (const { element: resource } of walk(child)) {
            const id = resource.attrs["id"];
            if (id !== undefined) ids.add(id);
          }
          continue;
        }
        const resid = child.attrs["resid"];
        if (resid !== undefined) uses.push(resid);
        visit(child);
      }
    };
    visit(element);
    const scope = element.attrs["xsi:type"] ?? "VersionOverrides";
    for (const resid of uses)
      if (!ids.has(resid)) problems.push(`resid "${resid}" in ${scope} names no resource`);
  }
  return problems;
}

/** Every FunctionName the manifest invokes: ExecuteFunction actions and LaunchEvent handlers. */
export function manifestFunctionNames(root: XmlElement): string[] {
  const names = new Set<string>();
  for (const { element } of walk(root)) {
    if (element.name === "FunctionName") names.add(element.text);
    const handler = element.name === "LaunchEvent" ? element.attrs["FunctionName"] : undefined;
    if (handler !== undefined) names.add(handler);
  }
  return [...names].sort();
}

/** Names registered with `Office.actions.associate("<name>", …)` (or `office.actions…`) in the bundled commands code. */
export function associatedFunctionNames(code: string): string[] {
  const names = new Set<string>();
  for (const match of code.matchAll(/\bactions\.associate\(\s*["'`]([^"'`]+)["'`]/g)) {
    if (match[1] !== undefined) names.add(match[1]);
  }
  return [...names].sort();
}

/** FunctionNames of the manifest that the commands code never registers. */
export function unregisteredFunctions(root: XmlElement, commandsCode: string): string[] {
  const registered = new Set(associatedFunctionNames(commandsCode));
  return manifestFunctionNames(root)
    .filter((name) => !registered.has(name))
    .map((name) => `FunctionName "${name}" is not registered with Office.actions.associate`);
}

/** Every URL in the manifest, with where it stands. */
export function manifestUrls(root: XmlElement): { where: string; url: string }[] {
  const urls: { where: string; url: string }[] = [];
  for (const { element } of walk(root)) {
    const value = element.attrs["DefaultValue"];
    if (value !== undefined && /^[a-z][a-z0-9+.-]*:/i.test(value)) {
      urls.push({
        where: `<${element.name}${element.attrs["id"] ? ` id="${element.attrs["id"]}"` : ""}>`,
        url: value,
      });
    }
    if (element.name === "AppDomain") urls.push({ where: "<AppDomain>", url: element.text });
  }
  return urls;
}

/** URLs that are not https. */
export function nonHttpsUrls(root: XmlElement): string[] {
  return manifestUrls(root)
    .filter(({ url }) => !url.startsWith("https://"))
    .map(({ where, url }) => `${where} uses ${url}, not https`);
}

/** The surfaces where Outlook offers a pinnable task pane (pinnable-taskpane: message read and compose only). */
const PINNABLE_SURFACES = new Set(["MessageReadCommandSurface", "MessageComposeCommandSurface"]);

/**
 * SupportsPinning outside a message surface: "Pinnable task panes aren't available for Appointments/Meetings"
 * ("Implement a pinnable task pane in Outlook").
 */
export function misplacedPinning(root: XmlElement): string[] {
  const problems: string[] = [];
  for (const { element, ancestors } of walk(root)) {
    if (element.name !== "SupportsPinning") continue;
    const surface = [...ancestors].reverse().find((a) => a.name === "ExtensionPoint");
    const type = surface?.attrs["xsi:type"] ?? "(no ExtensionPoint)";
    if (!PINNABLE_SURFACES.has(type))
      problems.push(`SupportsPinning on ${type}: Outlook cannot pin it there`);
  }
  return problems;
}
