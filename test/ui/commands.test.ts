import assert from "node:assert/strict";
import path from "node:path";
import sinon from "sinon";
import { SyncError } from "../../src/core/errors";
import type { HostNotice } from "../../src/ports/outlook-host";
import type { CommandServices } from "../../src/entry/commands/command-services";
import { registerCommands, type ActionRegistry } from "../../src/entry/commands/register-commands";
import { staticFile } from "../../src/entry/cli/start";
import { commandText } from "../../src/entry/commands/action-text";

type Handler = (event: Office.AddinCommands.Event) => void;

function registry(withItem = true): {
  office: ActionRegistry;
  handlers: Map<string, Handler>;
  shown: { key: string; type: string; message: string }[];
} {
  const handlers = new Map<string, Handler>();
  const shown: { key: string; type: string; message: string }[] = [];
  const item = {
    notificationMessages: {
      replaceAsync: (key: string, details: { type: string; message: string }, callback: () => void) => {
        shown.push({ key, ...details });
        setTimeout(callback, 0);
      },
    },
  };
  return {
    office: {
      actions: { associate: (name, action) => void handlers.set(name, action) },
      context: { mailbox: { item: withItem ? item : null } },
    },
    handlers,
    shown,
  };
}

/** Fires a registered function like Outlook does and resolves with what it passed to `completed`. */
function fire(handlers: Map<string, Handler>, name: string): Promise<{ calls: number; options: unknown }> {
  const handler = handlers.get(name);
  assert.ok(handler, `${name} is registered`);
  return new Promise((resolve) => {
    let calls = 0;
    const event = {
      completed: (options?: unknown) => {
        calls += 1;
        setTimeout(() => resolve({ calls, options }), 20);
      },
    } as unknown as Office.AddinCommands.Event;
    handler(event);
  });
}

function services(overrides: Partial<CommandServices> = {}): CommandServices & { notices: HostNotice[] } {
  const notices: HostNotice[] = [];
  return {
    notices,
    logger: { debug: sinon.fake(), info: sinon.fake(), warn: sinon.fake(), error: sinon.fake() },
    notify: (notice) => {
      notices.push(notice);
      return Promise.resolve();
    },
    track: () => Promise.resolve("Tracked in CRM."),
    untrack: () => Promise.resolve("Untracked."),
    syncNow: () => Promise.resolve("Synchronized."),
    ...overrides,
  };
}

describe("ribbon commands and send events (registerCommands)", () => {
  it("registers the three ribbon commands (the send events are in launch-events.js)", () => {
    const { office, handlers } = registry();
    registerCommands(office, () => Promise.resolve(services()));
    assert.deepEqual([...handlers.keys()].sort(), ["syncNow", "trackInCrm", "untrackFromCrm"]);
  });

  it("shows progress then the result in the notification bar and completes the event once", async () => {
    const { office, handlers } = registry();
    const s = services();
    registerCommands(office, () => Promise.resolve(s));
    const done = await fire(handlers, "trackInCrm");
    assert.equal(done.calls, 1);
    assert.deepEqual(
      s.notices.map((n) => [n.kind, n.text]),
      [
        ["progress", "Tracking in CRM…"],
        ["info", "Tracked in CRM."],
      ],
    );
  });

  it("shows a failure's message and action, and still completes the event", async () => {
    const { office, handlers } = registry();
    const s = services({ syncNow: () => Promise.reject(new SyncError("network")) });
    registerCommands(office, () => Promise.resolve(s));
    assert.equal((await fire(handlers, "syncNow")).calls, 1);
    const last = s.notices.at(-1);
    assert.equal(last?.kind, "error");
    assert.match(last?.text ?? "", /could not be reached\. Check your connection/);
  });

  it("completes the event when even the notification bar fails, or the add-in cannot start", async () => {
    const broken = registry();
    registerCommands(broken.office, () =>
      Promise.resolve(services({ notify: () => Promise.reject(new Error("no item")) })),
    );
    assert.equal((await fire(broken.handlers, "untrackFromCrm")).calls, 1);

    const offline = registry(false);
    registerCommands(offline.office, () => Promise.reject(new SyncError("storageUnavailable")));
    assert.equal((await fire(offline.handlers, "trackInCrm")).calls, 1);
  });

  it("says why in the notification bar when the add-in cannot start, within the 150-character limit", async () => {
    const { office, handlers, shown } = registry();
    registerCommands(office, () =>
      Promise.reject(new SyncError("unauthorized", { details: "x".repeat(300) })),
    );
    assert.equal((await fire(handlers, "syncNow")).calls, 1);
    assert.equal(shown.length, 1);
    assert.equal(shown[0]?.type, "errorMessage");
    assert.match(shown[0]?.message ?? "", /^CRM Sync could not start\. Your sign-in to the CRM has expired/);
    assert.ok((shown[0]?.message.length ?? 0) <= 150);
  });
});

describe("the sentence after Track and Untrack (commandText)", () => {
  it("is true on an item that is not tracked, already tracked, or not taken by the CRM yet", () => {
    const none = { stampBefore: null, stillPending: false };
    assert.equal(
      commandText("untrack", { timing: "immediate", mapId: null }, none),
      "This item is not tracked in CRM: there was nothing to untrack.",
    );
    assert.equal(commandText("untrack", { timing: "immediate", mapId: "m" }, none), "Untracked.");
    assert.equal(
      commandText(
        "track",
        { timing: "immediate", mapId: null },
        { stampBefore: "tracked", stillPending: false },
      ),
      "This item is already tracked in CRM.",
    );
    assert.match(
      commandText("track", { timing: "immediate", mapId: "m" }, { stampBefore: null, stillPending: true }),
      /did not take it yet/,
    );
    assert.equal(commandText("track", { timing: "immediate", mapId: "m" }, none), "Tracked in CRM.");
  });
});

describe("npm start's file server (staticFile)", () => {
  const root = path.resolve("/srv/dist");

  it("serves the simulator at / and files inside the build", () => {
    assert.equal(staticFile(root, "/"), path.join(root, "sim.html"));
    assert.equal(staticFile(root, "/assets/icon-16.png"), path.join(root, "assets/icon-16.png"));
  });

  it("refuses paths that leave the build, encoded or not, and malformed escapes", () => {
    assert.equal(staticFile(root, "/../etc/passwd"), null);
    assert.equal(staticFile(root, "/..%2f..%2fetc/passwd"), null);
    assert.equal(staticFile(root, "/%E0%A4%A"), null);
  });
});
