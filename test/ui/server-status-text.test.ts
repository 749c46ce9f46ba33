// The task pane's text for a mailbox the server synchronizes (docs/SPEC.md "A mailbox has one synchronizer"):
// the last run at a local HH:MM, its outcome and errors, and the wait for a run asked for.
import assert from "node:assert/strict";
import { serverModel } from "../../src/entry/taskpane/taskpane-controller";

const at = Date.parse("2026-03-02T09:41:00Z");
const localTime = new Date(at).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });

describe("task pane: synced by the server", () => {
  it("names the last run's local time, outcome, changes and errors", () => {
    const model = serverModel({
      lastRun: {
        startedAt: at,
        durationMs: 900,
        outcome: "failed",
        changes: 1,
        errors: ["m1: Graph said 403"],
      },
      nextRunAt: at + 900_000,
      runPending: false,
    });
    assert.deepEqual(model, {
      headline: `Synced by the server, last run ${localTime}`,
      outcome: "Failed, 1 change.",
      errors: ["m1: Graph said 403"],
      waiting: null,
    });
  });

  it("says it waits for the server while a run asked for has not started, and when it never ran", () => {
    const model = serverModel({ lastRun: null, nextRunAt: null, runPending: true });
    assert.equal(model.headline, "Synced by the server; it has not run yet");
    assert.equal(model.outcome, "");
    assert.equal(model.waiting, "Waiting for the server to run…");
    const done = serverModel({
      lastRun: { startedAt: at, durationMs: 10, outcome: "ok", changes: 2, errors: [] },
      nextRunAt: null,
      runPending: false,
    });
    assert.equal(done.outcome, "Completed, 2 changes.");
    assert.equal(done.waiting, null);
  });
});
