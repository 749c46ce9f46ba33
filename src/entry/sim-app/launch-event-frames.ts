/**
 * The simulator page's launch-event runtime. Outlook on the web loads launch-events.html (and with it the
 * built launch-events.js) in a runtime of its own for each OnMessageSend and OnAppointmentSend; here each event
 * loads sim-launch-events.html in a hidden frame. That page's first script (sim-launch-events.ts) installs only
 * the event's `Office` and `OfficeRuntime.storage` and takes away what the file must not rely on; then the page
 * loads the same, unchanged launch-events.js. Once the frame has loaded, the handler the file associated is
 * called; the frame is removed when it calls `event.completed`, or after LAUNCH_EVENT_LIMIT_MS. A handler that
 * is missing, throws or does not complete in time is logged and the send goes ahead.
 */
import { invariant } from "../../core/errors";
import type { Disposable } from "../../ports/clock";
import type { Logger } from "../../ports/logger";
import type { OfficeRuntimeStorageApi } from "../../sim/office/office-runtime-storage";
import type { CompletedEvent, LaunchEventRunner, LaunchHandler } from "../../sim/office/simulated-office";

/** The page each launch event's frame loads (webpack.config.js builds it). */
export const LAUNCH_EVENT_PAGE = "sim-launch-events.html";

// "If the add-in runs for more than five seconds ... the user is alerted that the add-in is taking longer than
// expected ... If the prompt user option is used, the user can choose Send Anyway" (Handle OnMessageSend and
// OnAppointmentSend events in your Outlook add-in with Smart Alerts, Long-running add-in operations). The
// manifest's SendMode is PromptUser, and the simulated user sends anyway at that prompt.
export const LAUNCH_EVENT_LIMIT_MS = 5_000;

/**
 * What the frame's first script takes away before launch-events.js runs. The same file runs in classic
 * Outlook's JavaScript-only runtime, which "doesn't support cookies or local storage" (Runtimes in Office
 * Add-ins), and needs no network; `parent`, `opener` and `frameElement` would reach the simulator page.
 * (`top` cannot be taken away: the platform makes it unforgeable.)
 */
export const REMOVED_GLOBALS: readonly string[] = [
  "localStorage",
  "sessionStorage",
  "indexedDB",
  "caches",
  "fetch",
  "XMLHttpRequest",
  "WebSocket",
  "EventSource",
  "parent",
  "opener",
  "frameElement",
];

/** What a launch event's frame installs: its `Office` and `OfficeRuntime.storage`, nothing else. */
export interface LaunchEventGlobals {
  readonly Office: object;
  readonly OfficeRuntime: { readonly storage: OfficeRuntimeStorageApi };
}

/** The hidden frames of the launch events under way on one page. Dispose to end them all. */
export class LaunchEventFrames implements Disposable {
  private readonly waiting = new Map<string, LaunchEventGlobals>();
  private readonly running = new Set<() => void>();
  private count = 0;

  constructor(
    private readonly deps: {
      readonly document: Document;
      /** The add-in domain's `OfficeRuntime.storage`, shared with the page's runtime (the request queue). */
      readonly storage: OfficeRuntimeStorageApi;
      readonly logger: Logger;
      readonly limitMs?: number;
    },
  ) {}

  /** The globals of the frame named `frameName`; its first script asks once, before launch-events.js runs. */
  globalsFor(frameName: string): LaunchEventGlobals {
    const globals = this.waiting.get(frameName);
    invariant(globals !== undefined, `no launch event is waiting for the frame "${frameName}"`);
    this.waiting.delete(frameName);
    return globals;
  }

  /** Runs one launch event in a frame of its own (the simulated Office's LaunchEventRunner). */
  readonly run: LaunchEventRunner = (name, officeFor) =>
    new Promise<CompletedEvent | undefined>((resolve) => {
      const { document, logger } = this.deps;
      this.count += 1;
      const frameName = `crm-launch-event-${this.count}`;
      const handlers = new Map<string, LaunchHandler>();
      const frame = document.createElement("iframe");
      let done = false;
      const finish = (completion: CompletedEvent | undefined, problem: string | null): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.waiting.delete(frameName);
        this.running.delete(stop);
        frame.remove();
        if (problem !== null) logger.warn(`${name}: ${problem}; the send goes ahead`, { frame: frameName });
        resolve(completion);
      };
      const stop = (): void => finish(undefined, "the page closed");
      const limitMs = this.deps.limitMs ?? LAUNCH_EVENT_LIMIT_MS;
      const timer = setTimeout(
        () => finish(undefined, `the handler did not call event.completed within ${limitMs} ms`),
        limitMs,
      );
      this.waiting.set(frameName, {
        Office: officeFor((handlerName, handler) => void handlers.set(handlerName, handler)),
        OfficeRuntime: { storage: this.deps.storage },
      });
      frame.addEventListener(
        "load",
        () => {
          const handler = handlers.get(name);
          if (handler === undefined) {
            finish(undefined, `${LAUNCH_EVENT_PAGE} registered no handler "${name}"`);
            return;
          }
          try {
            handler({
              source: { id: name },
              // The options come from the frame's realm; the send gets a plain copy.
              completed: (options?: CompletedEvent) =>
                finish(options === undefined ? undefined : { ...options }, null),
            });
          } catch (error) {
            finish(undefined, `the handler threw: ${String(error)}`);
          }
        },
        { once: true },
      );
      this.running.add(stop);
      frame.name = frameName;
      frame.title = `Launch event ${name}`;
      frame.hidden = true;
      frame.src = LAUNCH_EVENT_PAGE;
      document.body.append(frame);
    });

  dispose(): void {
    for (const stop of [...this.running]) stop();
  }
}
