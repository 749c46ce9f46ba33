/** Validation of service input with the protocol's schemas, turning the first problem into an {@link InputError}. */
import type { z } from "zod";
import { InputError } from "./service-errors";

/** The dotted path of a zod issue, prefixed with `root`. */
export function issuePath(root: string, issue: z.core.$ZodIssue): string {
  const keys = issue.code === "unrecognized_keys" ? [...issue.path, issue.keys[0] ?? ""] : issue.path;
  return [root, ...keys.map(String)].filter((part) => part !== "").join(".");
}

/** Parses `value` with `schema` or throws an InputError naming the first offending field under `root`. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, root: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new InputError(issue ? issuePath(root, issue) : root, issue?.message ?? "invalid");
}
