/**
 * Sends random and malformed requests to every operation of /openapi.json and asserts that no answer is a 5xx:
 * a server error is never caused by input. Then fuzzes the server's bounds (docs/SPEC.md "The sync server's
 * bounds and security"): a record's size under random patches, GetSpecificSyncData's answer cap and repeated
 * ids, event streams per token, and the rate limits by address. Every case runs on PGlite, and on PostgreSQL
 * too when DATABASE_URL is set. One file over 500 lines because every case shares one server and database per
 * backend (a PGlite start costs seconds), so the cases stay in the suite that starts it.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { createCrmServer, DEFAULT_STREAMS_PER_TOKEN, type CrmServer } from "../../src/server";
import {
  CrmRecordSchema,
  ErrorBodySchema,
  LIMITS,
  SpecificSyncDataSchema,
  type ErrorBody,
} from "../../src/protocol";
import { silentLogger, testBackends } from "./support/test-database";
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

const fieldsBytes = (fields: object): number => Buffer.byteLength(JSON.stringify(fields), "utf8");

/** A contact just under `LIMITS.recordBytes`: nine fields of 100,000 characters and one of 95,000. */
const nearCapFields = (name: string): Record<string, string> => ({
  lastname: name,
  ...Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`n${i}`, "x".repeat(100_000)])),
  n9: "y".repeat(95_000),
});

/** A patch of up to 12 fields, each set to up to 100,000 characters of 1-, 2- or 3-byte UTF-8, or cleared. */
const sizePatch = fc.dictionary(
  fc.constantFrom(...Array.from({ length: 10 }, (_, i) => `n${i}`), "extra0", "extra1", "extra2"),
  fc.oneof(
    { weight: 1, arbitrary: fc.constant(null) },
    {
      weight: 5,
      arbitrary: fc
        .tuple(fc.constantFrom("p", "é", "€"), fc.integer({ min: 0, max: LIMITS.fieldStringLength }))
        .map(([unit, length]) => unit.repeat(length)),
    },
  ),
  { minKeys: 1, maxKeys: 12 },
);

/** The server's merge: the patch over the fields, `null` clearing. */
const merged = (fields: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries({ ...fields, ...patch }).filter(([, value]) => value !== null));

/** A token that is not one: random printable text, opaque- or JWT-shaped. */
const garbageToken = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1 }),
  fc.stringMatching(/^ocs_[0-9a-f]{64}$/),
  fc.tuple(fc.base64String(), fc.base64String(), fc.base64String()).map((parts) => `eyJ${parts.join(".")}`),
);

async function errorOf(response: Response): Promise<ErrorBody["error"]> {
  return ErrorBodySchema.parse(await response.json()).error;
}

/** The bounds' cases, on the suite's server (`server()` once its `before` ran). */
function describeBoundsFuzzing(server: () => TestServer): void {
  describe("records' and answers' sizes", () => {
    let t: TestServer;
    let token: string;
    const bulky: { id: string; version: number; fields: Record<string, unknown> }[] = [];

    before(async () => {
      t = server();
      token = await t.user("sizer");
      for (let i = 0; i < 6; i += 1) {
        const { record } = await t.server.service.records.create({
          by: "sizer",
          type: "contact",
          fields: nearCapFields(`Bulky ${i}`),
        });
        bulky.push(record);
      }
    });

    const specific = async (ids: readonly string[]): Promise<{ bytes: number; data: unknown }> => {
      const response = await fetch(`${t.url}/v1/sync/records`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ ids }),
        signal: AbortSignal.timeout(10_000),
      });
      const text = await response.text();
      assert.equal(response.status, 200, text.slice(0, 300));
      return { bytes: Buffer.byteLength(text, "utf8"), data: JSON.parse(text) };
    };

    it("refuses every patch that passes the record or body limit, naming it, and keeps the record whole", async () => {
      const target = bulky[0];
      assert.ok(target);
      let current = { version: target.version, fields: target.fields };
      const outcomes = { updated: 0, tooLarge: 0, bodyTooLarge: 0 };
      await fc.assert(
        fc.asyncProperty(sizePatch, async (patch) => {
          const body = JSON.stringify({ expectedVersion: current.version, fields: patch });
          const response = await fetch(`${t.url}/v1/records/${target.id}`, {
            method: "PATCH",
            headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
            body,
          });
          const next = merged(current.fields, patch);
          if (Buffer.byteLength(body, "utf8") > LIMITS.bodyBytes) {
            assert.equal(response.status, 413);
            const error = await errorOf(response);
            assert.equal(error.field, "body");
            assert.ok(error.message.includes(String(LIMITS.bodyBytes)), error.message);
            outcomes.bodyTooLarge += 1;
          } else if (fieldsBytes(next) > LIMITS.recordBytes) {
            assert.equal(response.status, 400, `a merged record of ${fieldsBytes(next)} bytes is refused`);
            const error = await errorOf(response);
            assert.deepEqual([error.code, error.field], ["invalidInput", "fields"]);
            assert.ok(error.message.includes(`at most ${LIMITS.recordBytes}`), error.message);
            outcomes.tooLarge += 1;
          } else {
            assert.equal(response.status, 200, `a merged record of ${fieldsBytes(next)} bytes is stored`);
            const record = CrmRecordSchema.parse(await response.json());
            assert.deepEqual(record.fields, next);
            assert.ok(record.version > current.version);
            current = { version: record.version, fields: record.fields };
            outcomes.updated += 1;
          }
          const stored = await t.server.service.records.get(target.id);
          assert.equal(stored?.version, current.version, "a refused patch wrote nothing");
          assert.deepEqual(stored.fields, current.fields, "the record holds the last accepted patch, whole");
        }),
        { numRuns: 30, endOnFailure: true },
      );
      assert.ok(outcomes.tooLarge > 0 && outcomes.updated > 0, JSON.stringify(outcomes));
    });

    it("bounds GetSpecificSyncData's answer over the five untouched records and defers the rest, in order", async () => {
      const untouched = bulky.slice(1);
      await fc.assert(
        fc.asyncProperty(fc.shuffledSubarray(untouched, { minLength: untouched.length }), async (order) => {
          const asked = order.map((r) => r.id);
          let left = asked;
          const seen: string[] = [];
          for (let page = 0; left.length > 0; page += 1) {
            assert.ok(page < asked.length, "each page answers at least one record");
            const data = SpecificSyncDataSchema.parse((await specific(left)).data);
            const answered = data.records.map((r) => r.id);
            assert.ok(answered.length >= 1, "the first record asked is always answered");
            const bytes = data.records.reduce((sum, r) => sum + fieldsBytes(r.fields), 0);
            assert.ok(bytes <= LIMITS.answerBytes, `an answer of ${bytes} bytes of fields`);
            if (page === 0)
              assert.ok((data.deferred ?? []).length > 0, "5 records pass the cap: some deferred");
            assert.deepEqual([...answered, ...(data.deferred ?? [])], left);
            for (const record of data.records) {
              assert.deepEqual(record.fields, untouched.find((r) => r.id === record.id)?.fields);
            }
            seen.push(...answered);
            left = data.deferred ?? [];
          }
          assert.deepEqual(seen, asked);
        }),
        { numRuns: 4 },
      );
    });

    it("answers each distinct id once however often it is repeated, within the answer cap", async () => {
      const spellings = bulky.flatMap((r) => [r.id, r.id.toUpperCase()]);
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.constantFrom(...spellings), { minLength: 100, maxLength: LIMITS.specificIds }),
          async (ids) => {
            const { bytes, data } = await specific(ids);
            const answer = SpecificSyncDataSchema.parse(data);
            const distinct = [...new Set(ids.map((id) => id.toLowerCase()))];
            const answered = [...answer.records.map((r) => r.id), ...(answer.deferred ?? [])];
            assert.deepEqual(
              answered.map((id) => id.toLowerCase()),
              distinct,
            );
            assert.deepEqual(answer.missing, []);
            assert.ok(bytes <= LIMITS.answerBytes + 64 * 1024, `an answer of ${bytes} bytes`);
          },
        ),
        { numRuns: 6 },
      );
    });

    it("keeps /health answering within a second while large answers are produced", async () => {
      const ids = Array.from({ length: LIMITS.specificIds }, (_, i) => bulky[i % bulky.length]?.id ?? "");
      let inFlight = 0;
      let done = false;
      const load = async (): Promise<void> => {
        while (!done) {
          inFlight += 1;
          await specific(ids);
          inFlight -= 1;
        }
      };
      const loaders = [load(), load()];
      try {
        for (let probe = 0; probe < 5; probe += 1) {
          while (inFlight === 0) await new Promise((resolve) => setTimeout(resolve, 5));
          const started = performance.now();
          const health = await fetch(`${t.url}/health`, { signal: AbortSignal.timeout(5_000) });
          const ms = performance.now() - started;
          await health.arrayBuffer();
          assert.equal(health.status, 200);
          assert.ok(ms < 1_000, `/health took ${Math.round(ms)} ms during large answers`);
        }
      } finally {
        done = true;
        await Promise.all(loaders);
      }
    });
  });

  describe("event streams", () => {
    let t: TestServer;
    let users = 0;
    before(() => {
      t = server();
    });

    /** Opens a stream with `bearer`; an accepted one is read to its first event and kept in `open`. */
    const openStream = async (bearer: string, open: AbortController[]): Promise<Response> => {
      const controller = new AbortController();
      const response = await fetch(`${t.url}/v1/events`, {
        headers: { authorization: `Bearer ${bearer}` },
        signal: controller.signal,
      });
      if (response.status === 200 && response.body) {
        open.push(controller);
        const reader = response.body.getReader();
        await reader.read();
        reader.releaseLock();
      }
      return response;
    };

    const head = async (bearer: string): Promise<number> => {
      const response = await fetch(`${t.url}/v1/events`, {
        method: "HEAD",
        headers: { authorization: `Bearer ${bearer}` },
        signal: AbortSignal.timeout(1_000),
      });
      assert.equal((await response.arrayBuffer()).byteLength, 0, "HEAD has no body");
      return response.status;
    };

    it("refuses each token's streams past its cap with a typed 429, and answers HEAD at once", async () => {
      const cap = DEFAULT_STREAMS_PER_TOKEN;
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: cap + 4 }),
          fc.integer({ min: 0, max: cap + 2 }),
          garbageToken,
          async (first, second, garbage) => {
            users += 1;
            const one = await t.user(`streamer${users}`);
            const two = await t.server.service.users.issueToken(`streamer${users}`, "second");
            const open: AbortController[] = [];
            try {
              const answers = await Promise.all([
                ...Array.from({ length: first }, () => openStream(one, open)),
                ...Array.from({ length: second }, () => openStream(two, open)),
              ]);
              const accepted = answers.filter((r) => r.status === 200).length;
              assert.equal(
                accepted,
                Math.min(first, cap) + Math.min(second, cap),
                "each token has its own cap",
              );
              for (const refused of answers.filter((r) => r.status !== 200)) {
                assert.equal(refused.status, 429);
                const error = await errorOf(refused);
                assert.equal(error.code, "rateLimited");
                assert.ok(error.message.includes(`${cap} event streams`), error.message);
              }
              assert.equal(await head(one), 200, "HEAD answers while the token's streams are open");
              assert.equal(await head(garbage), 401);
            } finally {
              for (const controller of open) controller.abort();
            }
          },
        ),
        { numRuns: 8 },
      );
    });
  });

  describe("rate limits", () => {
    const max = 4;
    let t: TestServer;
    let limited: CrmServer;
    let url: string;
    before(async () => {
      t = server();
      limited = await createCrmServer({
        db: t.db,
        clock: t.clock,
        logger: silentLogger,
        collectEveryMs: 0,
        rateLimit: { max, windowMs: 600_000 },
        trustProxy: "127.0.0.1",
      });
      url = await limited.listen({ port: 0 });
    });
    after(() => limited?.close());

    /** One request in a run: an operation with a garbage (or no) token, or `/health`. */
    const step = fc.oneof(
      fc.record({
        kind: fc.constant("v1" as const),
        path: fc.constantFrom("/v1/whoami", "/v1/sync/prepare?clientId=desk", "/v1/records", "/v1/events"),
        authorization: fc.option(
          fc.oneof(
            garbageToken.map((token) => `Bearer ${token}`),
            garbageToken,
            garbageToken.map((token) => `Basic ${token}`),
          ),
          { nil: undefined },
        ),
      }),
      fc.constant({ kind: "health" as const }),
    );

    it("limits garbage tokens by address and /health per address, never per token", async () => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: max + 1, maxLength: 3 * max + 4 }), async (steps) => {
          run += 1;
          const address = `198.18.${run >> 8}.${run & 255}`;
          const counts = { v1: 0, health: 0 };
          for (const request of steps) {
            const headers: Record<string, string> = { "x-forwarded-for": address };
            if (request.kind === "v1" && request.authorization !== undefined) {
              headers["authorization"] = request.authorization;
            }
            const response = await fetch(`${url}${request.kind === "v1" ? request.path : "/health"}`, {
              method: request.kind === "v1" && request.path === "/v1/records" ? "POST" : "GET",
              headers,
              signal: AbortSignal.timeout(5_000),
            });
            counts[request.kind] += 1;
            const allowed = counts[request.kind] <= max;
            if (request.kind === "health" && allowed) {
              assert.equal(response.status, 200, "/health has its own budget");
              await response.arrayBuffer();
              continue;
            }
            const error = await errorOf(response);
            const expected = allowed ? [401, "unauthorized"] : [429, "rateLimited"];
            assert.deepEqual(
              [response.status, error.code],
              expected,
              `${request.kind} #${counts[request.kind]}`,
            );
          }
          const user = `limited${run}`;
          await t.server.service.users.create({ id: user, privileges: ["SyncToOutlook"] });
          const token = await t.server.service.users.issueToken(user, "test");
          const valid = await fetch(`${url}/v1/whoami`, {
            headers: { "x-forwarded-for": address, authorization: `Bearer ${token}` },
          });
          await valid.arrayBuffer();
          assert.equal(valid.status, 200, "a valid token counts for its user, not the address");
        }),
        { numRuns: 12 },
      );
    });
  });
}

for (const backend of testBackends) {
  describe(`CRM server fuzzing (${backend})`, function () {
    this.timeout(120_000);
    let t: TestServer;
    let token: string;
    let operations: { method: string; path: string; doc: OperationDoc }[];

    before(async () => {
      t = await startTestServer({}, backend);
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

    describeBoundsFuzzing(() => t);

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
        const queryNames = (operation.doc.parameters ?? [])
          .filter((p) => p.in === "query")
          .map((p) => p.name);
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
}
