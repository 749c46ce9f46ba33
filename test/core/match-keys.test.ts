import assert from "node:assert/strict";
import { matchKey, normalizeEmail } from "../../src/core/match-keys";

describe("match keys (SPEC §12)", () => {
  const emails: readonly (readonly [string, string | null])[] = [
    ["Ann@Example.COM", "ann@example.com"],
    ["  ann@example.com ", "ann@example.com"],
    ["mailto:Ann@example.com", "ann@example.com"],
    ["Ann Lee <ANN@example.com>", "ann@example.com"],
    ["not an address", null],
    ["", null],
    ["a@b@c", null],
  ];
  for (const [text, expected] of emails) {
    it(`normalizeEmail(${JSON.stringify(text)}) is ${JSON.stringify(expected)}`, () => {
      assert.equal(normalizeEmail(text), expected);
    });
  }

  it("a contact matches by its first e-mail on either side", () => {
    assert.equal(matchKey("contact", { email1Address: "Ann@Example.com" }, "outlook"), "ann@example.com");
    assert.equal(matchKey("contact", { emailaddress1: "ann@example.com" }, "crm"), "ann@example.com");
    assert.equal(matchKey("contact", { email2Address: "ann@example.com" }, "outlook"), null);
  });

  it("an appointment matches by iCalUId", () => {
    assert.equal(matchKey("appointment", { iCalUId: " 0400000082 " }, "outlook"), "0400000082");
    assert.equal(matchKey("appointment", { globalobjectid: "0400000082" }, "crm"), "0400000082");
    assert.equal(matchKey("appointment", { iCalUId: "  " }, "outlook"), null);
    assert.equal(matchKey("appointment", { iCalUId: 7 }, "outlook"), null);
  });

  it("tasks and e-mails have no match key", () => {
    assert.equal(matchKey("task", { subject: "x" }, "outlook"), null);
    assert.equal(matchKey("email", { internetMessageId: "<m@x>" }, "outlook"), null);
  });
});
