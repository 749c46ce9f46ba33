/**
 * The partial match of docs/SCENARIOS.md "Expected files": every key the expected value names must be present
 * with that value; keys it does not name may hold anything. An array must have as many elements as expected, and
 * each expected element must match a distinct element of it, in any order (so an expected error may leave out its
 * message).
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
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) {
      return `${path}: expected ${expected.length} entries, got ${JSON.stringify(actual)}`;
    }
    const unmatched = unmatchedElement(actual as unknown[], expected as unknown[]);
    return unmatched === null
      ? null
      : `${path}: no distinct element matches ${JSON.stringify(expected[unmatched])} (got ${JSON.stringify(actual)})`;
  }
  return JSON.stringify(actual) === JSON.stringify(expected)
    ? null
    : `${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
}

/**
 * The index of an expected element that cannot be given a distinct matching actual element, or null when every
 * one can (a bipartite matching by augmenting paths, so the order of either list does not matter).
 */
function unmatchedElement(actual: readonly unknown[], expected: readonly unknown[]): number | null {
  const fits = expected.map((want) => actual.map((got) => firstMismatch(got, want) === null));
  const owner = new Array<number>(actual.length).fill(-1);
  const assign = (index: number, seen: boolean[]): boolean => {
    for (let candidate = 0; candidate < actual.length; candidate += 1) {
      if (!fits[index]?.[candidate] || seen[candidate]) continue;
      seen[candidate] = true;
      const holder = owner[candidate] ?? -1;
      if (holder === -1 || assign(holder, seen)) {
        owner[candidate] = index;
        return true;
      }
    }
    return false;
  };
  for (let index = 0; index < expected.length; index += 1) {
    if (!assign(index, new Array<boolean>(actual.length).fill(false))) return index;
  }
  return null;
}

/** The dotted paths (e.g. `crm.m2`) that name something present in `actual`. */
export function presentPaths(actual: unknown, paths: readonly string[]): string[] {
  return paths.filter((path) => {
    let node: unknown = actual;
    for (const key of path.split(".")) {
      if (node === null || typeof node !== "object" || !Object.hasOwn(node, key)) return false;
      node = (node as Record<string, unknown>)[key];
    }
    return true;
  });
}

/** Refs the simulator made up (`<type>#<n>`): objects sync created without a ref of their own. */
export function generatedRefs(output: { crm: object; outlook: object }): string[] {
  return [
    ...Object.keys(output.crm).map((ref) => `crm.${ref}`),
    ...Object.keys(output.outlook).map((ref) => `outlook.${ref}`),
  ].filter((path) => path.includes("#"));
}
