// A customization package narrows SPEC §4's filter on the add-in; the add-in reads an appointment's organizer and
// attendees from its CRM fields exactly as the server's filter does.
import assert from "node:assert/strict";
import fc from "fast-check";
import { filterRecordOf } from "../../src/core/filter-rules";
import { attendeesOf, organizerOf } from "../../src/server/sync/record-columns";

const name = fc.constantFrom("alice", " Bob ", "carol@x.example", "", " ", "dee;eve", "fay,gus");
const listOrText = fc.oneof(fc.array(name, { maxLength: 4 }), name, fc.constant(null));

describe("filter record of a CRM appointment", () => {
  it("agrees with the server's organizer and attendees for any field values", () => {
    fc.assert(
      fc.property(fc.option(name, { nil: null }), listOrText, listOrText, (organizer, required, optional) => {
        const fields = { organizer, requiredattendees: required, optionalattendees: optional };
        const record = filterRecordOf("appointment", "owner", fields);
        assert.equal(record.organizer, organizerOf(fields));
        assert.deepEqual(record.attendees, attendeesOf(fields));
      }),
    );
  });
});
