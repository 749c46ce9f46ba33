/**
 * Reads the ribbon out of manifest.xml, the way Outlook does: the add-in's groups and buttons per command
 * surface, from the newest VersionOverrides the simulator supports (V1_1, falling back to V1_0), with labels,
 * tooltips and icons resolved through that VersionOverrides' Resources.
 */
import { SyncError } from "../../core/errors";

/** The command surfaces a mail add-in can put buttons on. */
export type CommandSurface =
  | "MessageReadCommandSurface"
  | "MessageComposeCommandSurface"
  | "AppointmentOrganizerCommandSurface"
  | "AppointmentAttendeeCommandSurface";

export type RibbonAction =
  | { readonly kind: "executeFunction"; readonly functionName: string }
  | { readonly kind: "showTaskpane"; readonly url: string; readonly pinnable: boolean };

export interface RibbonButton {
  readonly id: string;
  readonly label: string;
  readonly tooltip: string;
  readonly iconUrl: string;
  readonly action: RibbonAction;
}

export interface RibbonGroup {
  readonly id: string;
  readonly label: string;
  readonly buttons: readonly RibbonButton[];
}

/** Every surface's groups, as the manifest declares them, and the add-in's base URL (the FunctionFile's folder). */
export interface Ribbon {
  readonly baseUrl: string;
  readonly surfaces: Readonly<Partial<Record<CommandSurface, readonly RibbonGroup[]>>>;
}

const XSI = "http://www.w3.org/2001/XMLSchema-instance";

function xsiType(element: Element): string | null {
  return element.getAttributeNS(XSI, "type") ?? element.getAttribute("xsi:type");
}

function children(element: Element, localName: string): Element[] {
  return [...element.children].filter((child) => child.localName === localName);
}

function only(element: Element, localName: string): Element {
  const found = children(element, localName)[0];
  if (found === undefined) {
    throw new SyncError("invalidInput", {
      details: `manifest: <${element.localName}> has no <${localName}>`,
    });
  }
  return found;
}

/** Parses manifest XML text into the ribbon; a malformed manifest fails with a SyncError naming the problem. */
export function ribbonFromManifest(xml: string): Ribbon {
  const doc = new DOMParser().parseFromString(xml, "application/xml");
  const error = doc.querySelector("parsererror");
  if (error !== null)
    throw new SyncError("invalidInput", { details: `manifest: ${error.textContent ?? "bad XML"}` });
  const outer = children(doc.documentElement, "VersionOverrides")[0];
  if (outer === undefined) throw new SyncError("invalidInput", { details: "manifest: no VersionOverrides" });
  const scope = children(outer, "VersionOverrides")[0] ?? outer;

  const resources = new Map<string, string>();
  for (const resource of only(scope, "Resources").querySelectorAll("[id]")) {
    resources.set(resource.getAttribute("id") ?? "", resource.getAttribute("DefaultValue") ?? "");
  }
  const resolve = (element: Element, name: string): string => {
    const resid = only(element, name).getAttribute("resid") ?? "";
    const value = resources.get(resid);
    if (value === undefined)
      throw new SyncError("invalidInput", { details: `manifest: resid "${resid}" is unknown` });
    return value;
  };

  const surfaces: Partial<Record<CommandSurface, RibbonGroup[]>> = {};
  const form = only(only(only(scope, "Hosts"), "Host"), "DesktopFormFactor");
  const functionFile = resolve(form, "FunctionFile");
  for (const point of children(form, "ExtensionPoint")) {
    const surface = xsiType(point) as CommandSurface | null;
    if (surface === null || !surface.endsWith("CommandSurface")) continue;
    surfaces[surface] = children(point, "OfficeTab").flatMap((tab) =>
      children(tab, "Group").map((group) => ({
        id: group.getAttribute("id") ?? "",
        label: resolve(group, "Label"),
        buttons: children(group, "Control").map((control) => {
          const action = only(control, "Action");
          const supertip = only(control, "Supertip");
          const icon = children(only(control, "Icon"), "Image").find(
            (image) => image.getAttribute("size") === "16",
          );
          return {
            id: control.getAttribute("id") ?? "",
            label: resolve(control, "Label"),
            tooltip: resolve(supertip, "Description"),
            iconUrl: icon ? (resources.get(icon.getAttribute("resid") ?? "") ?? "") : "",
            action:
              xsiType(action) === "ExecuteFunction"
                ? {
                    kind: "executeFunction",
                    functionName: only(action, "FunctionName").textContent?.trim() ?? "",
                  }
                : {
                    kind: "showTaskpane",
                    url: resolve(action, "SourceLocation"),
                    pinnable: children(action, "SupportsPinning")[0]?.textContent?.trim() === "true",
                  },
          } satisfies RibbonButton;
        }),
      })),
    );
  }
  return { baseUrl: functionFile.slice(0, functionFile.lastIndexOf("/") + 1), surfaces };
}
