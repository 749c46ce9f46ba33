import assert from "node:assert/strict";
import { SyncError } from "../../../src/core/errors";
import { validateScenario } from "../../../src/sim/scenario/validate-scenario";

/** The details of the invalidScenario error for `base` with `change` applied, or "valid". */
export function scenarioProblem(base: Record<string, unknown>, change: Record<string, unknown>): string {
  try {
    validateScenario(JSON.stringify({ ...base, ...change }));
  } catch (error) {
    assert.ok(error instanceof SyncError && error.code === "invalidScenario", String(error));
    return error.details ?? "";
  }
  return "valid";
}
