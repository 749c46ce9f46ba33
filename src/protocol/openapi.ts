/**
 * Builds the OpenAPI 3.1 document of the protocol from {@link OPERATIONS}, with the same zod schemas
 * that validate requests. The document is data: the server serves it at `/openapi.json`.
 */
import { z } from "zod";
import { ErrorBodySchema } from "./errors";
import { OPERATIONS, type OperationSpec } from "./operations";
import { HealthSchema } from "./sync";

type JsonSchema = Record<string, unknown>;

const toSchema = (schema: z.ZodType): JsonSchema => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" });
  return rest;
};

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: "Invalid input; `error.field` names the offending field.",
  401: "Missing or invalid bearer token.",
  403: "The caller lacks the privilege.",
  404: "Not found, or not visible to the caller.",
  409: "Version conflict, or (backgroundSyncOff) background sync of the mailbox is not enabled.",
  410: "The cursor is older than the tombstone retention: resync required.",
  429: "Rate limited; retry after the `retry-after` header.",
};

function parameters(spec: OperationSpec): JsonSchema[] {
  const list: JsonSchema[] = [];
  for (const [location, schema] of [
    ["path", spec.params],
    ["query", spec.query],
  ] as const) {
    if (!schema) continue;
    const objectSchema = toSchema(schema);
    const properties = (objectSchema["properties"] ?? {}) as Record<string, JsonSchema>;
    const required = new Set((objectSchema["required"] ?? []) as string[]);
    for (const [name, property] of Object.entries(properties)) {
      list.push({
        name,
        in: location,
        required: location === "path" || required.has(name),
        schema: property,
      });
    }
  }
  return list;
}

function successResponse(spec: OperationSpec): [string, JsonSchema] {
  const response = spec.response;
  switch (response.kind) {
    case "json":
      return [
        String(response.status),
        {
          description: response.status === 202 ? "Accepted" : "OK",
          content: { "application/json": { schema: toSchema(response.schema) } },
        },
      ];
    case "zip":
      return [
        "200",
        {
          description:
            "The package zip; its version is in the `x-package-version` header, its role in `x-package-role` " +
            "and its entity tag in `ETag`. 304 (no body) when If-None-Match names the current package.",
          content: { "application/zip": { schema: { type: "string", contentMediaType: "application/zip" } } },
        },
      ];
    case "eventStream":
      return [
        "200",
        {
          description: `Server-Sent Events; each \`${response.event}\` event's data is JSON: ${JSON.stringify(toSchema(response.schema))}`,
          content: { "text/event-stream": { schema: { type: "string" } } },
        },
      ];
  }
}

function operationObject(operationId: string, spec: OperationSpec): JsonSchema {
  const errorContent = { "application/json": { schema: toSchema(ErrorBodySchema) } };
  const responses: Record<string, JsonSchema> = Object.fromEntries([successResponse(spec)]);
  if (spec.response.kind === "zip")
    responses["304"] = { description: "Not modified: If-None-Match names the current package." };
  for (const status of [400, 401, 429, ...spec.errors]) {
    responses[String(status)] = { description: STATUS_TEXT[status] ?? "Error", content: errorContent };
  }
  for (const [status, schema] of Object.entries(spec.extraResponses ?? {})) {
    responses[status] = {
      description: STATUS_TEXT[Number(status)] ?? "Error",
      content: { "application/json": { schema: toSchema(schema) } },
    };
  }
  return {
    operationId,
    summary: spec.summary,
    parameters: parameters(spec),
    ...(spec.body
      ? { requestBody: { required: true, content: { "application/json": { schema: toSchema(spec.body) } } } }
      : {}),
    responses,
    security: [{ bearer: [] }],
  };
}

/** The OpenAPI document: one path item per operation path, plus the unauthenticated health check. */
export function buildOpenApiDocument(productVersion: string): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {
    "/health": {
      get: {
        operationId: "health",
        summary: "Liveness and database reachability. No token needed.",
        security: [],
        responses: {
          "200": { description: "OK", content: { "application/json": { schema: toSchema(HealthSchema) } } },
        },
      },
    },
  };
  for (const [operationId, spec] of Object.entries(OPERATIONS) as [string, OperationSpec][]) {
    const item = (paths[spec.path] ??= {});
    item[spec.method.toLowerCase()] = operationObject(operationId, spec);
  }
  return {
    openapi: "3.1.0",
    info: { title: "outlook-crm-sync CRM sync protocol", version: productVersion },
    servers: [{ url: "/" }],
    paths,
    components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
  };
}
