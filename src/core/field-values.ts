/**
 * Reading and comparing field values. One rule for "no value" everywhere in the core:
 * a missing key and `null` are the same thing.
 */
import type { FieldValue, Fields } from "./types";

/** The value of `key` in `fields`, or `null` when the key is missing or `fields` is null. Never `undefined`. */
export function readValue(fields: Fields | null, key: string): FieldValue {
  if (fields === null || !Object.hasOwn(fields, key)) return null;
  return fields[key] ?? null;
}

/** The values of `keys` in order, each read with {@link readValue}. */
export function readValues(fields: Fields | null, keys: readonly string[]): FieldValue[] {
  return keys.map((key) => readValue(fields, key));
}

/** True when two values are equal: same primitive, or lists with equal items in the same order. */
export function sameValue(a: FieldValue, b: FieldValue): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, index) => item === b[index]);
  }
  return a === b;
}

/** True when two value lists have the same length and are pairwise {@link sameValue}. */
export function sameValues(a: readonly FieldValue[], b: readonly FieldValue[]): boolean {
  return a.length === b.length && a.every((value, index) => sameValue(value, b[index] ?? null));
}

/** A copy of `fields` restricted to `keys`, leaving out keys without a value. */
export function pickWithValues(fields: Fields, keys: Iterable<string>): Record<string, FieldValue> {
  const picked: Record<string, FieldValue> = {};
  for (const key of keys) {
    const value = readValue(fields, key);
    if (value !== null) picked[key] = value;
  }
  return picked;
}

/** A readable rendering of a value for error details: strings quoted, lists bracketed, null as `null`. */
export function describeValue(value: FieldValue): string {
  return JSON.stringify(value);
}
