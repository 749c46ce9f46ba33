import assert from "node:assert/strict";
import { runInNewContext } from "node:vm";
import {
  BugError,
  ERROR_TABLE,
  invariant,
  isSyncError,
  SyncError,
  type ErrorCode,
} from "../../src/core/errors";

describe("errors", () => {
  it("every code has a message and an action for the user", () => {
    for (const [code, entry] of Object.entries(ERROR_TABLE)) {
      assert.ok(entry.message.length > 0 && entry.action.length > 0, code);
    }
  });

  it("a SyncError carries its code, details, cause and is expected by default", () => {
    const cause = new Error("socket hang up");
    const error = new SyncError("network", { details: "GET /sync", cause });
    assert.equal(error.name, "SyncError");
    assert.equal(error.code, "network");
    assert.equal(error.expected, true);
    assert.equal(error.cause, cause);
    assert.equal(error.message, `${ERROR_TABLE.network.message} GET /sync`);
    assert.deepEqual(error.userText, {
      message: ERROR_TABLE.network.message,
      action: ERROR_TABLE.network.action,
      details: "GET /sync",
    });
  });

  it("a SyncError without details uses the table's message and can be marked unexpected", () => {
    const code: ErrorCode = "serverError";
    const error = new SyncError(code, { expected: false });
    assert.equal(error.message, ERROR_TABLE.serverError.message);
    assert.equal(error.details, undefined);
    assert.equal(error.expected, false);
    assert.equal(new SyncError("conflict").userText.details, undefined);
  });

  it("isSyncError knows a SyncError of another realm by its brand, and nothing else", () => {
    const foreign: unknown = runInNewContext(
      'var e = new Error("x"); e[Symbol.for("outlook-crm-sync.SyncError")] = true; e',
    );
    assert.equal(foreign instanceof SyncError, false);
    assert.equal(isSyncError(foreign), true);
    assert.equal(isSyncError(new SyncError("rateLimited")), true);
    for (const other of [
      new Error("x"),
      runInNewContext("new Error('x')"),
      null,
      "SyncError",
      { name: "SyncError" },
    ])
      assert.equal(isSyncError(other), false);
  });

  it("invariant passes a true condition and throws a BugError otherwise", () => {
    assert.doesNotThrow(() => invariant(true, "never"));
    assert.throws(
      () => invariant(0, "broken rule"),
      (error: unknown) =>
        error instanceof BugError && error.name === "BugError" && error.message === "broken rule",
    );
  });
});
