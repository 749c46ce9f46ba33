/** The server's SQL filter agrees with the core's isInFilter on generated records, users and markers. */
import assert from "node:assert/strict";
import fc from "fast-check";
import { isInFilter } from "../../src/core/filter-rules";
import type { CrmRecordType } from "../../src/core/types";
import { createCrmService, type CrmService } from "../../src/server";
import { audienceOf } from "../../src/server/sync/filter-sql";
import { attendeesOf, organizerOf } from "../../src/server/sync/record-columns";
import { ManualClock } from "../support/manual-clock";
import { openTestDatabase, silentLogger } from "./support/test-database";

const USERS = [
  { id: "ann", emails: ["ann@contoso.example", "a.n@fabrikam.example"] },
  { id: "Bob.K", emails: ["bob@contoso.example"] },
  { id: "dee@contoso.example", emails: [] },
  { id: "eve", emails: ["dee@contoso.example", "eve@contoso.example"] },
  { id: "fay", emails: [] },
];

const NAMES = [...USERS.flatMap((user) => [user.id, ...user.emails]), "stranger@else.example", "nobody", ""];

/** A name as someone might type it: any case, maybe with spaces around. */
const typedName = fc
  .tuple(fc.constantFrom(...NAMES), fc.boolean(), fc.boolean())
  .map(([name, upper, padded]) => {
    const cased = upper ? name.toUpperCase() : name;
    return padded ? `  ${cased} ` : cased;
  });

const generatedRecord = fc.record({
  type: fc.constantFrom<CrmRecordType>("contact", "appointment", "task", "email", "account"),
  owner: fc.constantFrom(...USERS.map((user) => user.id)),
  organizer: fc.option(typedName, { nil: undefined }),
  required: fc.array(typedName, { maxLength: 3 }),
  optional: fc.oneof(
    fc.array(typedName, { maxLength: 2 }),
    typedName.map((name) => [`${name};${name.trim()}`]),
  ),
  trackedBy: fc.subarray(USERS.map((user) => user.id)),
});

describe("CRM server filter agrees with the core", function () {
  this.timeout(60_000);
  let service: CrmService;
  let dispose: () => Promise<void>;
  let db: Awaited<ReturnType<typeof openTestDatabase>>["db"];

  before(async () => {
    const database = await openTestDatabase();
    db = database.db;
    dispose = () => database.dispose();
    service = createCrmService({ db, clock: new ManualClock(), logger: silentLogger });
    for (const user of USERS) await service.users.create({ ...user, privileges: ["SyncToOutlook"] });
  });
  after(() => dispose());

  it("puts a record in exactly the filters isInFilter says, for every user", async () => {
    await fc.assert(
      fc.asyncProperty(generatedRecord, async (generated) => {
        const fields: Record<string, string | string[]> = { subject: "s" };
        if (generated.type === "appointment") {
          if (generated.organizer !== undefined) fields["organizer"] = generated.organizer;
          fields["requiredattendees"] = generated.required;
          fields["optionalattendees"] =
            generated.optional.length === 1 ? (generated.optional[0] ?? "") : generated.optional;
        }
        const { record } = await service.records.create({
          by: generated.owner,
          type: generated.type,
          fields,
        });
        for (const user of generated.trackedBy) {
          await db.query("INSERT INTO tracked_by_hand (user_id, record_id, marked_at) VALUES ($1, $2, 0)", [
            user,
            record.id,
          ]);
        }
        const row = await db.query<{ parties: string[] | null }>(
          "SELECT parties FROM records WHERE id = $1",
          [record.id],
        );
        const audience = await audienceOf(db, {
          id: record.id,
          type: record.type,
          owner: record.owner,
          parties: row.rows[0]?.parties ?? null,
          deleted: false,
        });
        for (const user of USERS) {
          const expected = isInFilter(
            {
              type: record.type,
              owner: record.owner,
              organizer: organizerOf(record.fields),
              attendees: attendeesOf(record.fields),
            },
            user,
            generated.trackedBy.includes(user.id),
          );
          assert.equal(audience.has(user.id), expected, `${user.id} for ${JSON.stringify(generated)}`);
        }
      }),
      { numRuns: 100 },
    );
  });
});
