/**
 * The partial match of ../shared/scenarios/README.md: every key the expected value names must be present
 * with that value; keys it does not name may hold anything. Arrays and scalars must be equal as a whole.
 */

/** The path of the first mismatch (e.g. `outlook.k1.fields.firstName`) with both values, or null on a match. */
export function firstMismatch(actual: unknown, expected: unknown, path = "$"): string | null {
  if (expected !== null && typeof expected === "object" && !Array.isArray(expected)) {
    if (actual === null || typeof actual !== "object" || Array.isArray(actual)) {
      return `${path}: expected an object, got ${JSON.stringify(actual)}`;
    }
    for (const [key, value] of Object.entries(expected)) {
      if (!Object.hasOwn(actual, key)) return `${path}.${key}: missing (expected ${JSON.stringify(value)})`;
      const problem = firstMismatch((actual as Record<string, unknown>)[key], value, `${path}.${key}`);
      if (problem !== null) return problem;
    }
    return null;
  }
  return JSON.stringify(actual) === JSON.stringify(expected)
    ? null
    : `${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
}
