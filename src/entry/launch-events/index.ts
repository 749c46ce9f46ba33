/**
 * launch-events.js: the file manifest.xml names for OnMessageSend and OnAppointmentSend (the JavaScript-only
 * runtime's Override and the browser runtime's launch-events.html). Registers at the top level and reads its
 * configuration from the build (scripts/launch-events-bundle.mjs defines LAUNCH_EVENTS_CONFIG).
 */
import { pickRequestStore, type KeyValueStore, type SyncStringStore } from "./launch-requests";
import { registerLaunchEvents, type LaunchOffice } from "./launch-events";

declare const LAUNCH_EVENTS_CONFIG: { readonly completeWithinMs: number };
// What a launch-event runtime may offer besides ECMAScript (Runtimes in Office Add-ins): timers, storage, and
// localStorage only in a browser runtime.
declare function setTimeout(callback: () => void, ms: number): unknown;
declare const OfficeRuntime: { readonly storage?: KeyValueStore } | undefined;
declare const localStorage: SyncStringStore | undefined;

function officeRuntimeStorage(): KeyValueStore | undefined {
  if (typeof OfficeRuntime !== "object" || OfficeRuntime === null) return undefined;
  return OfficeRuntime.storage;
}

function browserStorage(): SyncStringStore | undefined {
  try {
    if (typeof localStorage === "object" && localStorage !== null) return localStorage;
  } catch {
    // A browser that refuses storage to the add-in's frame throws on access.
  }
  return undefined;
}

registerLaunchEvents({
  office: Office as unknown as LaunchOffice,
  storage: pickRequestStore(officeRuntimeStorage(), browserStorage()),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  now: () => Date.now(),
  random: () => Math.random(),
  completeWithinMs: LAUNCH_EVENTS_CONFIG.completeWithinMs,
});
