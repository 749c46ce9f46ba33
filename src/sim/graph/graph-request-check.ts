import type { GraphMetadata, TypeRef } from "./graph-metadata";

/**
 * Checks a Graph request against the v1.0 metadata before the twin acts on it: the URL path segment by segment
 * (singletons, navigation properties, keys, bound functions and actions), the OData query options ($select,
 * $expand, $filter, $orderby and the system option names) and every property of a JSON body, nested complex
 * and entity values included. A name the metadata does not declare is refused as Graph refuses it: 400 with
 * `{ error: { code, message } }` (graph/errors: "Microsoft Graph error responses and resource types").
 */

export interface CheckFailure {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

/** A resolved path: what it addresses, and a shape with `{id}` for keys that names the route. */
export interface ResolvedPath {
  /** e.g. "me/contactFolders/{id}/contacts", "me/calendarView/delta". */
  readonly shape: string;
  /** The key segments in order (URL-decoded). */
  readonly keys: readonly string[];
  /** The type the path addresses (a function's or action's return type), or null for an action returning nothing. */
  readonly target: TypeRef | null;
  /** The entity type whose instance or collection the last non-operation segment addresses. */
  readonly resource: TypeRef;
}

const SYSTEM_OPTIONS = new Set([
  "$select",
  "$expand",
  "$filter",
  "$orderby",
  "$top",
  "$skip",
  "$count",
  "$search",
  "$skiptoken",
  "$deltatoken",
  "$format",
]);

const notFoundSegment = (segment: string): CheckFailure => ({
  status: 400,
  code: "BadRequest",
  message: `Resource not found for the segment '${segment}'.`,
});

const noProperty = (name: string, type: string): CheckFailure => ({
  status: 400,
  code: "BadRequest",
  message: `Could not find a property named '${name}' on type '${type}'.`,
});

/** Resolves `/me/...` path segments (after the version) through the metadata. */
export function resolvePath(
  metadata: GraphMetadata,
  segments: readonly string[],
): ResolvedPath | CheckFailure {
  const [first, ...rest] = segments;
  const root = first === undefined ? undefined : metadata.singleton(first);
  if (first === undefined || root === undefined) return notFoundSegment(first ?? "");
  let current: TypeRef | null = root;
  let resource: TypeRef = root;
  const shape = [first];
  const keys: string[] = [];
  let operation = false;
  for (const raw of rest) {
    const segment = decodeURIComponent(raw);
    if (current === null || operation) return notFoundSegment(segment);
    const bound = metadata.boundOperation(current, segment);
    if (bound !== undefined) {
      current = bound;
      operation = true;
      shape.push(segment);
      continue;
    }
    if (current.collection) {
      // OData URL conventions: a segment after a collection of entities is the key of one of them.
      current = { name: current.name, collection: false };
      resource = current;
      keys.push(segment);
      shape.push("{id}");
      continue;
    }
    const member = metadata.member(current.name, segment);
    if (member === undefined) return notFoundSegment(segment);
    current = member.type;
    if (member.kind === "navigation") resource = member.type;
    shape.push(segment);
  }
  return { shape: shape.join("/"), keys, target: current, resource };
}

/** Splits at top-level commas (outside parentheses and string literals). */
export function splitTop(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i];
    if (ch === "'") quoted = !quoted;
    else if (!quoted && ch === "(") depth += 1;
    else if (!quoted && ch === ")") depth -= 1;
    else if (!quoted && depth === 0 && ch === ",") {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((part) => part.trim()).filter((part) => part !== "");
}

/** Resolves a `/`-separated property path on `typeName`; returns the last segment's type. */
function resolveMemberPath(
  metadata: GraphMetadata,
  typeName: string,
  path: readonly string[],
): TypeRef | CheckFailure {
  let type: TypeRef = { name: typeName, collection: false };
  for (const name of path) {
    const member = metadata.member(type.name, name);
    if (member === undefined) {
      // A type cast segment (OData URL conventions 4.11) names a derived type.
      if (metadata.type(name) !== undefined && metadata.derivesFrom(name, type.name)) {
        type = { name, collection: type.collection };
        continue;
      }
      return noProperty(name, type.name);
    }
    type = member.type;
  }
  return type;
}

const FILTER_WORDS = new Set([
  "and",
  "or",
  "not",
  "eq",
  "ne",
  "gt",
  "ge",
  "lt",
  "le",
  "has",
  "in",
  "null",
  "true",
  "false",
  "asc",
  "desc",
]);

/**
 * Checks the property paths of a $filter expression (OData URL conventions 5.1.1): every identifier path
 * outside string literals is a property of the type, of a lambda variable's element type (`any`/`all`),
 * or a built-in function name.
 */
export function checkFilter(metadata: GraphMetadata, typeName: string, filter: string): CheckFailure | null {
  const text = filter.replace(/'(?:[^']|'')*'/g, "''");
  const token = /([A-Za-z_][\w.]*(?:\/[A-Za-z_][\w.]*)*)(\s*\()?|(\d[\w:.+-]*)|(\()|(\))|(:)/g;
  const scopes: { variable: string | null; element: string | null }[] = [];
  const variables = new Map<string, string>();
  let pendingLambda: string | null = null;
  let lastVariable: string | null = null;
  for (let match = token.exec(text); match !== null; match = token.exec(text)) {
    const [, path, call, , open, close, colon] = match;
    if (open !== undefined) {
      scopes.push({ variable: null, element: null });
      continue;
    }
    if (close !== undefined) {
      const scope = scopes.pop();
      if (scope?.variable) variables.delete(scope.variable);
      continue;
    }
    if (colon !== undefined) {
      const scope = scopes[scopes.length - 1];
      if (scope && lastVariable !== null && pendingLambda !== null) {
        scope.variable = lastVariable;
        variables.set(lastVariable, pendingLambda);
      }
      pendingLambda = null;
      continue;
    }
    if (path === undefined) continue;
    const segments = path.split("/");
    const last = segments[segments.length - 1] ?? "";
    if (call !== undefined) scopes.push({ variable: null, element: null });
    if (call !== undefined && segments.length === 1) {
      lastVariable = null;
      continue; // a built-in function: contains(...), startswith(...)
    }
    if (segments.length === 1 && FILTER_WORDS.has(path.toLowerCase())) continue;
    if (segments.length === 1 && pendingLambda !== null) {
      lastVariable = path; // the lambda variable before ':'
      continue;
    }
    const lambda = call !== undefined && /^(any|all)$/i.test(last);
    const propertyPath = lambda ? segments.slice(0, -1) : segments;
    const [head, ...tail] = propertyPath;
    const base = head !== undefined && variables.has(head) ? variables.get(head) : undefined;
    const resolved =
      base !== undefined
        ? resolveMemberPath(metadata, base, tail)
        : resolveMemberPath(metadata, typeName, propertyPath);
    if ("status" in resolved) return resolved;
    if (lambda) pendingLambda = resolved.name;
  }
  return null;
}

/** Checks $select, $expand (with nested $select/$filter), $filter and $orderby against `typeName`. */
export function checkQuery(
  metadata: GraphMetadata,
  typeName: string,
  query: URLSearchParams,
): CheckFailure | null {
  for (const name of query.keys()) {
    if (name.startsWith("$") && !SYSTEM_OPTIONS.has(name))
      return { status: 400, code: "BadRequest", message: `Query option '${name}' is not supported.` };
  }
  return checkOptions(metadata, typeName, {
    select: query.get("$select"),
    expand: query.get("$expand"),
    filter: query.get("$filter"),
    orderby: query.get("$orderby"),
  });
}

function checkOptions(
  metadata: GraphMetadata,
  typeName: string,
  options: {
    select: string | null;
    expand: string | null;
    filter: string | null;
    orderby: string | null;
  },
): CheckFailure | null {
  for (const name of splitTop(options.select ?? "")) {
    if (name === "*") continue;
    const resolved = resolveMemberPath(metadata, typeName, name.split("/"));
    if ("status" in resolved) return resolved;
  }
  for (const item of splitTop(options.expand ?? "")) {
    const match = /^([\w./]+)\s*(?:\((.*)\))?$/s.exec(item);
    if (match === null)
      return { status: 400, code: "BadRequest", message: `Invalid $expand item '${item}'.` };
    const name = match[1] ?? "";
    const member = metadata.member(typeName, name);
    if (member?.kind !== "navigation") return noProperty(name, typeName);
    const nested: Record<string, string | null> = { select: null, expand: null, filter: null, orderby: null };
    for (const option of (match[2] ?? "").split(";").filter((part) => part.trim() !== "")) {
      const pair = /^\s*\$(select|expand|filter|orderby|top|skip|count)\s*=(.*)$/s.exec(option);
      if (pair === null)
        return { status: 400, code: "BadRequest", message: `Invalid $expand option '${option}'.` };
      if ((pair[1] ?? "") in nested) nested[pair[1] ?? ""] = pair[2] ?? "";
    }
    const failure = checkOptions(metadata, member.type.name, {
      select: nested.select ?? null,
      expand: nested.expand ?? null,
      filter: nested.filter ?? null,
      orderby: nested.orderby ?? null,
    });
    if (failure) return failure;
  }
  if (options.filter !== null) {
    const failure = checkFilter(metadata, typeName, options.filter);
    if (failure) return failure;
  }
  for (const item of splitTop(options.orderby ?? "")) {
    const [path = ""] = item.split(/\s+/);
    const resolved = resolveMemberPath(metadata, typeName, path.split("/"));
    if ("status" in resolved) return resolved;
  }
  return null;
}

const PRIMITIVE_CHECKS: Readonly<Record<string, (value: unknown) => boolean>> = {
  "Edm.String": (value) => typeof value === "string",
  "Edm.Boolean": (value) => typeof value === "boolean",
  "Edm.Int32": (value) => Number.isInteger(value),
  "Edm.Int64": (value) => Number.isInteger(value),
  "Edm.Double": (value) => typeof value === "number",
  "Edm.DateTimeOffset": (value) => typeof value === "string" && !Number.isNaN(Date.parse(value)),
  "Edm.Date": (value) => typeof value === "string" && /^\d{4}-\d{2}-\d{2}$/.test(value),
};

/**
 * Checks a JSON request body for an instance of `typeName`: every key is a declared property or navigation
 * property (instance annotations such as `@odata.type` aside), values have the declared shape, enum values
 * are members. Only types derived from `graph.extension` take undeclared (dynamic) properties: an open
 * extension's data ("Add custom data to resources using open extensions").
 */
export function checkBody(metadata: GraphMetadata, typeName: string, body: unknown): CheckFailure | null {
  const problem = checkValue(metadata, { name: typeName, collection: false }, body, "");
  return problem === null ? null : { status: 400, code: "RequestBodyRead", message: problem };
}

function checkValue(metadata: GraphMetadata, type: TypeRef, value: unknown, where: string): string | null {
  if (value === null) return null;
  if (type.collection) {
    if (!Array.isArray(value)) return `The value of '${where}' must be an array (${type.name} collection).`;
    for (const [i, entry] of value.entries()) {
      const problem = checkValue(metadata, { name: type.name, collection: false }, entry, `${where}[${i}]`);
      if (problem) return problem;
    }
    return null;
  }
  const primitive = PRIMITIVE_CHECKS[type.name];
  if (primitive) return primitive(value) ? null : `The value of '${where}' is not a valid ${type.name}.`;
  const members = metadata.enumMembers(type.name);
  if (members) {
    const ok = typeof value === "string" && value.split(",").every((part) => members.has(part.trim()));
    return ok ? null : `The value ${JSON.stringify(value)} of '${where}' is not a member of ${type.name}.`;
  }
  let structured = metadata.type(type.name);
  if (structured === undefined) return null;
  if (typeof value !== "object" || Array.isArray(value))
    return `The value of '${where}' must be an object (${type.name}).`;
  const record = value as Record<string, unknown>;
  const cast = record["@odata.type"];
  if (typeof cast === "string") {
    const name = cast.replace(/^#/, "");
    if (!metadata.derivesFrom(name, type.name))
      return `The type '${name}' at '${where}' is not ${type.name} or derived from it.`;
    structured = metadata.type(name) ?? structured;
  }
  const open = metadata.derivesFrom(structured.name, "microsoft.graph.extension");
  for (const [key, entry] of Object.entries(record)) {
    if (key.includes("@")) continue; // instance and property annotations (OData JSON format 4.5, 4.6)
    const member = metadata.member(structured.name, key);
    const at = where === "" ? key : `${where}.${key}`;
    if (member === undefined) {
      if (open) continue;
      return `The property '${key}' does not exist on type '${structured.name}'. Make sure to only use property names that are defined by the type.`;
    }
    const problem = checkValue(metadata, member.type, entry, at);
    if (problem) return problem;
  }
  return null;
}
