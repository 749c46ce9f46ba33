/**
 * The JavaScript-only runtime of classic Outlook on Windows, as a Node `vm` context, for launch-event code:
 * a JavaScript engine with `Office`, `OfficeRuntime.storage` and timers, and nothing of a browser. Each event
 * starts a fresh runtime that loads the file anew; the runtime ends when the handler calls `event.completed`,
 * and anything the file scheduled is then dropped. Node only.
 */
import vm from "node:vm";
import type { SimulatedMailbox } from "../mailbox/simulated-mailbox";
import { launchEventOffice, type CompletedEvent, type LaunchHandler } from "./simulated-office";
import { DEFAULT_MAILBOX_LEVEL } from "./requirement-level";
import { createSimulatedItem, type ComposeSession } from "./simulated-item";
import type { OfficeRuntimeStorageApi } from "./office-runtime-storage";

/** How long a handler may take before the harness calls it hung (the add-in's own bound, far below Outlook's). */
export const DEFAULT_COMPLETE_WITHIN_MS = 5_000;

export interface LaunchEventRun {
  /** What the handler passed to `event.completed`. */
  readonly completion: CompletedEvent | undefined;
  /** Calls into Office, storage or timers that arrived after `completed` and were dropped. */
  readonly droppedAfterCompletion: number;
}

export interface JavaScriptOnlyRuntimeOptions {
  /** The built launch-event file. */
  readonly code: string;
  readonly filename: string;
  /** The simulator's `Office` object (createSimulatedOffice(...).office): its enums and mailbox are reused. */
  readonly office: object;
  readonly mailbox: SimulatedMailbox;
  readonly addinId: string;
  readonly storage: OfficeRuntimeStorageApi;
  readonly completeWithinMs?: number;
  /** The state of the compose form (saved or not, properties not yet in the store); default: saved. */
  readonly composeSession?: ComposeSession;
}

/** Wraps a value so that every call through it, and every callback it makes, is dropped once `ended()`. */
function freezable(value: unknown, ended: () => boolean, dropped: () => void): unknown {
  if (typeof value === "function") {
    const fn = value as (...args: unknown[]) => unknown;
    return function guarded(...args: unknown[]): unknown {
      if (ended()) {
        dropped();
        return undefined;
      }
      const wrapped = args.map((arg) =>
        typeof arg === "function"
          ? (...inner: unknown[]): unknown => {
              if (ended()) {
                dropped();
                return undefined;
              }
              return (arg as (...a: unknown[]) => unknown)(...inner);
            }
          : arg,
      );
      const result = fn(...wrapped);
      if (result instanceof Promise) {
        return new Promise((resolve, reject) => {
          result.then(
            (v: unknown) => {
              if (ended()) dropped();
              else resolve(freezable(v, ended, dropped));
            },
            (e: unknown) => {
              if (ended()) dropped();
              else reject(e instanceof Error ? e : new Error(String(e)));
            },
          );
        });
      }
      return freezable(result, ended, dropped);
    };
  }
  if (typeof value !== "object" || value === null || value instanceof Date) return value;
  return new Proxy(value, {
    get: (target, property) => {
      const member: unknown = Reflect.get(target, property, target);
      // Methods run on the real object, so its internals (Maps, private state) are never seen through a proxy.
      const bound = typeof member === "function" ? (member as () => unknown).bind(target) : member;
      return freezable(bound, ended, dropped);
    },
  });
}

/**
 * Loads the launch-event file into a fresh JavaScript-only runtime for one event on the compose item
 * `itemId`, runs the handler registered as `name`, and resolves once it calls `event.completed`. Rejects
 * when the file registers no such handler, throws, or does not complete within the bound.
 */
export function fireLaunchEvent(
  options: JavaScriptOnlyRuntimeOptions,
  name: string,
  itemId: string,
): Promise<LaunchEventRun> {
  let ended = false;
  let droppedCount = 0;
  const isEnded = (): boolean => ended;
  const drop = (): void => {
    droppedCount += 1;
  };
  const handlers = new Map<string, LaunchHandler>();
  const timers = new Set<NodeJS.Timeout>();
  // The compose form the event is about; by default one that was saved before (its stamp is in the store).
  const session: ComposeSession = options.composeSession ?? { saved: true, pendingProperties: null };
  const item = createSimulatedItem(
    options.mailbox,
    options.addinId,
    { itemId, mode: "compose" },
    session,
    DEFAULT_MAILBOX_LEVEL,
  );
  const office = {
    // "Verify that your event-handling JavaScript file calls Office.actions.associate" (Troubleshoot
    // event-based and spam-reporting add-ins); during a launch event, mailbox.item is the item the event is
    // about (Event-based activation).
    ...launchEventOffice(
      options.office,
      item,
      (handlerName, handler) => void handlers.set(handlerName, handler),
    ),
    // "code in Office.onReady() and Office.initialize isn't run" (Event-based activation, limitations in
    // classic Outlook on Windows): onReady never settles.
    onReady: () => new Promise(() => undefined),
  };
  const sandbox = {
    // "a JavaScript engine supplemented with support for WebSockets, Full CORS, and OfficeRuntime.storage. It
    // doesn't have a rendering engine, and it doesn't support cookies or local storage" (Runtimes in Office
    // Add-ins, JavaScript-only runtime): no window, document, localStorage or indexedDB. The launch events
    // need no network, so fetch and WebSocket are left out as well: a file that reaches for them fails here.
    Office: freezable(office, isEnded, drop),
    OfficeRuntime: { storage: freezable(options.storage, isEnded, drop) },
    // Timers of the React Native engine the runtime is built on (Runtimes in Office Add-ins).
    setTimeout: (callback: () => void, ms: number): NodeJS.Timeout => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (ended) drop();
        else callback();
      }, ms);
      timers.add(timer);
      return timer;
    },
    clearTimeout: (timer: NodeJS.Timeout): void => {
      timers.delete(timer);
      clearTimeout(timer);
    },
    console,
  };
  const context = vm.createContext(sandbox);
  // No importModuleDynamically: import() rejects, as "Imports aren't supported in the JavaScript file where
  // you implement the handling for event-based activation" (Event-based activation, limitations).
  new vm.Script(options.code, { filename: options.filename }).runInContext(context);
  const handler = handlers.get(name);
  if (handler === undefined) {
    return Promise.reject(new Error(`${options.filename} registers no handler "${name}"`));
  }
  const bound = options.completeWithinMs ?? DEFAULT_COMPLETE_WITHIN_MS;
  return new Promise<LaunchEventRun>((resolve, reject) => {
    const hung = setTimeout(() => {
      ended = true;
      for (const timer of timers) clearTimeout(timer);
      reject(new Error(`"${name}" did not call event.completed within ${bound} ms`));
    }, bound);
    const finish = (completion: CompletedEvent | undefined): void => {
      // "The runtime ... ends when ... the event handler calls the completed method" (Runtimes in Office
      // Add-ins): later callbacks and timers are dropped.
      ended = true;
      clearTimeout(hung);
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      // The completion object comes from the runtime's realm; the caller gets a plain copy.
      const copy = completion === undefined ? undefined : { ...completion };
      setTimeout(() => resolve({ completion: copy, droppedAfterCompletion: droppedCount }), 20);
    };
    const event = {
      source: { id: name },
      completed: (completion?: CompletedEvent) => {
        if (!ended) finish(completion);
      },
    };
    try {
      handler(event);
    } catch (error) {
      ended = true;
      clearTimeout(hung);
      reject(error instanceof Error ? error : new Error(String(error)));
    }
  });
}
