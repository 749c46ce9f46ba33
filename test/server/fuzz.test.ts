/**
 * Sends random and malformed requests to every operation of /openapi.json and asserts that no answer is a 5xx:
 * a server error is never caused by input.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { startTestServer, type TestServer } from "./support/test-server";

interface OperationDoc {
  operationId: string;
  parameters?: { name: string; in: "path" | "query" }[];
  requestBody?: { content: { "application/json": { schema: { properties?: Record<string, unknown> } } } };
  responses: Record<string, { content?: Record<string, unknown> }>;
}

const RUNS = 40;

const fieldsLike = fc.dictionary(
  fc.oneof(
    fc.constantFrom("firstname", "parentaccount", "regardingobjectid", "organizer", "requiredattendees"),
    fc.string(),
  ),
  fc.oneof(fc.jsonValue(), fc.string({ unit: "binary" }), fc.uuid()),
);

/** A value that is sometimes right for a property and often wrong. */
const propertyValue = fc.oneof(
  fc.jsonValue(),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.uuid(),
  fc.integer(),
  fc.constantFrom("contact", "task", "desk", "key-00000001", 1e300, -1, "", null),
  fieldsLike,
  fc.array(fc.oneof(fc.uuid(), fc.string())),
);

const text = fc.oneof(
  fc.string({ unit: "binary", maxLength: 30 }),
  fc.uuid(),
  fc.integer().map(String),
  fc.constant("desk"),
);

describe("CRM server fuzzing", function () {
  this.timeout(120_000);
  let t: TestServer;
  let token: string;
  let operations: { method: string; path: string; doc: OperationDoc }[];

  before(async () => {
    t = await startTestServer();
    token = await t.user("fuzzer");
    await t.server.service.clients.register("fuzzer", "desk");
    const document = (await (await fetch(`${t.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, OperationDoc>>;
    };
    operations = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([, doc]) => !doc.responses["200"]?.content?.["text/event-stream"])
        .map(([method, doc]) => ({ method: method.toUpperCase(), path, doc })),
    );
    assert.ok(operations.length >= 14, "every operation is documented");
  });
  after(() => t.dispose());

  async function send(
    operation: { method: string; path: string; doc: OperationDoc },
    pathValues: string[],
    query: [string, string][],
    body: string | undefined,
    contentType: string,
  ): Promise<number> {
    let index = 0;
    const path = operation.path.replace(/\{\w+\}/g, () => encodeURIComponent(pathValues[index++] ?? "x"));
    const url = new URL(path, t.url);
    for (const [key, value] of query) url.searchParams.append(key, value);
    const response = await fetch(url, {
      method: operation.method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "content-type": contentType }),
      },
      ...(body === undefined || operation.method === "GET" ? {} : { body }),
    });
    await response.arrayBuffer();
    return response.status;
  }

  it("never answers 5xx to random, wrongly typed or malformed input on any operation", async () => {
    const statuses = new Map<number, number>();
    for (const operation of operations) {
      const properties = Object.keys(
        operation.doc.requestBody?.content["application/json"].schema.properties ?? {},
      );
      const queryNames = (operation.doc.parameters ?? []).filter((p) => p.in === "query").map((p) => p.name);
      const body = fc.oneof(
        fc.jsonValue().map((value) => JSON.stringify(value)),
        fc
          .record(Object.fromEntries(properties.map((name) => [name, propertyValue])), { requiredKeys: [] })
          .map((v) => JSON.stringify(v)),
        fc.string({ unit: "binary", maxLength: 60 }),
        fc.constantFrom("{", "[]", "null", '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}', ""),
      );
      await fc.assert(
        fc.asyncProperty(
          fc.array(text, { minLength: 1, maxLength: 2 }),
          fc.array(fc.tuple(fc.oneof(fc.constantFrom(...queryNames, "x"), fc.string()), text), {
            maxLength: 4,
          }),
          fc.option(body, { nil: undefined }),
          fc.constantFrom(
            "application/json",
            "text/plain",
            "application/x-www-form-urlencoded",
            "application/json; charset=latin1",
          ),
          async (pathValues, query, payload, contentType) => {
            const status = await send(operation, pathValues, query, payload, contentType);
            statuses.set(status, (statuses.get(status) ?? 0) + 1);
            assert.ok(status < 500, `${operation.doc.operationId} answered ${status}`);
          },
        ),
        { numRuns: RUNS },
      );
    }
    assert.ok((statuses.get(400) ?? 0) > 0, "the fuzzer reached validation");
  });

  it("never answers 5xx to oversized bodies and long field values", async () => {
    const create = operations.find((op) => op.doc.operationId === "createRecord");
    assert.ok(create);
    const huge = JSON.stringify({
      idempotencyKey: "key-huge-0001",
      type: "contact",
      fields: { firstname: "x".repeat(2_000_000) },
    });
    assert.equal(await send(create, [], [], huge, "application/json"), 413);
    const long = JSON.stringify({
      idempotencyKey: "key-long-0001",
      type: "appointment",
      fields: { organizer: "o".repeat(90_000), requiredattendees: ["a".repeat(320)], subject: "\u0000" },
    });
    assert.equal(await send(create, [], [], long, "application/json"), 400);
    const stored = JSON.stringify({
      idempotencyKey: "key-long-0002",
      type: "contact",
      fields: { firstname: "n".repeat(90_000), organizer: "o".repeat(90_000) },
    });
    assert.equal(await send(create, [], [], stored, "application/json"), 201);
  });
});
