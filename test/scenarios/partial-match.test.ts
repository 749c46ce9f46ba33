// The expected-file matching of SCENARIOS.md: partial objects, and list elements matched to distinct elements.
import assert from "node:assert/strict";
import { firstMismatch } from "./support/partial-match";

describe("partial match of expected scenario output", () => {
  const errors = [
    { ref: null, client: "laptop", code: "packageUnavailable", message: "403" },
    { ref: "k1", client: "desk", code: "changeNotSaved", message: "…" },
  ];

  it("matches partial objects in any order", () => {
    assert.equal(firstMismatch(errors, [{ ref: "k1" }, { ref: null, code: "packageUnavailable" }]), null);
  });

  it("needs a distinct element for each expected one, and as many elements as expected", () => {
    assert.match(
      firstMismatch(errors, [{ ref: "k1" }, { ref: "k1" }]) ?? "",
      /no distinct element matches \{"ref":"k1"\}/,
    );
    assert.match(firstMismatch(errors, [{ ref: "k1" }]) ?? "", /expected 1 entries/);
    assert.equal(
      firstMismatch([{ a: 1, b: 2 }, { a: 1 }], [{ a: 1 }, { a: 1, b: 2 }]),
      null,
      "finds the matching",
    );
  });

  it("compares scalars and names the path of a mismatch", () => {
    assert.equal(
      firstMismatch({ packages: { desk: { applied: null } } }, { packages: { desk: { applied: null } } }),
      null,
    );
    assert.equal(
      firstMismatch(
        { packages: { desk: { applied: "1.0.0.0" } } },
        { packages: { desk: { applied: null } } },
      ),
      '$.packages.desk.applied: expected null, got "1.0.0.0"',
    );
  });
});
