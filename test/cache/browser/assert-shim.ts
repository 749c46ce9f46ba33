/**
 * The part of node:assert/strict that the contract cases use, for the Chromium bundle (esbuild maps
 * `node:assert/strict` here). Same meaning as Node's: strict equality, deep strict equality (own enumerable
 * keys, prototypes, array order), `rejects` with a validation function or a RegExp.
 */
class AssertionError extends Error {
  override readonly name = "AssertionError";
}

function isDeepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.length !== keysB.length) return false;
  return keysA.every(
    (key) =>
      Object.prototype.hasOwnProperty.call(b, key) &&
      isDeepEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]),
  );
}

const show = (value: unknown): string => {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
};

function fail(message: string | undefined, fallback: string): never {
  throw new AssertionError(message ?? fallback);
}

function ok(value: unknown, message?: string): asserts value {
  if (!value) fail(message, `expected a truthy value, got ${show(value)}`);
}

function equal(actual: unknown, expected: unknown, message?: string): void {
  if (!Object.is(actual, expected)) fail(message, `${show(actual)} !== ${show(expected)}`);
}

function deepEqual(actual: unknown, expected: unknown, message?: string): void {
  if (!isDeepEqual(actual, expected)) fail(message, `not deep-equal:\n${show(actual)}\n${show(expected)}`);
}

function match(value: string, pattern: RegExp, message?: string): void {
  if (!pattern.test(value)) fail(message, `${show(value)} does not match ${String(pattern)}`);
}

async function rejects(
  promise: Promise<unknown>,
  check?: RegExp | ((error: unknown) => boolean),
  message?: string,
): Promise<void> {
  try {
    await promise;
  } catch (error) {
    if (check === undefined) return;
    const passed = check instanceof RegExp ? check.test(String(error)) : check(error);
    if (!passed) fail(message, `the rejection did not pass the check: ${String(error)}`);
    return;
  }
  fail(message, "expected a rejection");
}

const assert = Object.assign(ok, { ok, equal, deepEqual, match, rejects, AssertionError });
export default assert;
