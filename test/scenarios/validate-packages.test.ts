// The scenario format's package keys (SCENARIOS.md "Customization packages"): a malformed version or range makes
// the file invalid, naming the JSON path, as the admin command would refuse it.
import assert from "node:assert/strict";
import { scenarioProblem } from "./support/scenario-problem";
import { usesPackages } from "../../src/sim/scenario/scenario-packages";
import { validateScenario } from "../../src/sim/scenario/validate-scenario";

const PACKAGE = {
  role: "salesperson",
  version: "2.0.0.0",
  preferredProduct: "3.05.30.00",
  products: "3.05.15.00-3.05.30.99",
  schemas: "1.0.0.0",
};

const BASE = {
  version: 1,
  start: "2026-03-02T09:00:00Z",
  users: [{ id: "alice", privileges: ["SyncToOutlook"], role: "manager" }],
  mailbox: "alice",
  clients: [{ id: "desk", role: "primary", product: "3.05.20.00" }],
  settings: { entities: ["contact"], updateCompanyField: true, intervalMinutes: 15, roaming: false },
  packages: [PACKAGE],
  crm: [],
  outlook: [],
  steps: [
    {
      do: "package.publish",
      ...PACKAGE,
      version: "2.1.0.0",
      entities: ["contact", "email"],
      omit: ["filters.json"],
    },
    { do: "package.withdraw", role: "salesperson" },
    { do: "package.forbid", user: "alice", forbidden: true },
    { do: "package.confirm", client: "desk" },
    { do: "user.role", user: "alice", role: "salesperson" },
    { do: "sync", client: "desk" },
  ],
};

const problem = (change: Record<string, unknown>): string => scenarioProblem(BASE, change);

describe("validateScenario: customization package keys", () => {
  it("accepts every package key and step", () => {
    assert.equal(problem({}), "valid");
    assert.equal(usesPackages(validateScenario(JSON.stringify(BASE)).scenario), true);
  });

  const cases: [string, Record<string, unknown>, string | RegExp][] = [
    [
      "a malformed product",
      { clients: [{ id: "desk", role: "primary", product: "3.05" }] },
      /^clients\[0\]\.product: /,
    ],
    [
      "a malformed package version",
      { packages: [{ ...PACKAGE, version: "2.0" }] },
      /^packages\[0\]\.version: /,
    ],
    [
      "a malformed range in packages",
      { packages: [{ ...PACKAGE, schemas: "1.0.0.0-0.9.0.0" }] },
      /^packages\[0\]\.schemas: In <schemas>: At position 0 .*start is not after its end/,
    ],
    [
      "a malformed range in package.publish",
      { steps: [{ do: "package.publish", ...PACKAGE, products: "3.05.15.00;;" }] },
      /^steps\[0\]\.products: In <products>: At position 11/,
    ],
    [
      "a file a package does not have",
      { steps: [{ do: "package.publish", ...PACKAGE, omit: ["x.json"] }] },
      /^steps\[0\]\.omit\[0\]: /,
    ],
    [
      "an unknown entity type",
      { steps: [{ do: "package.publish", ...PACKAGE, entities: ["fax"] }] },
      /^steps\[0\]\.entities\[0\]: /,
    ],
    [
      "a publish without preferredProduct",
      { steps: [{ do: "package.publish", ...PACKAGE, preferredProduct: undefined }] },
      /^steps\[0\]\.preferredProduct: /,
    ],
    [
      "an unknown user to forbid",
      { steps: [{ do: "package.forbid", user: "zoe", forbidden: true }] },
      'steps[0].user: unknown user "zoe"',
    ],
    [
      "an unknown user to move",
      { steps: [{ do: "user.role", user: "zoe", role: "x" }] },
      'steps[0].user: unknown user "zoe"',
    ],
    [
      "an unknown client to confirm on",
      { steps: [{ do: "package.confirm", client: "phone" }] },
      'steps[0].client: unknown client "phone"',
    ],
  ];
  for (const [name, change, expected] of cases) {
    it(`names the path of ${name}`, () => {
      const details = problem(change);
      if (typeof expected === "string") assert.equal(details, expected);
      else assert.match(details, expected);
    });
  }

  it("treats a scenario without any package key as one that runs as before", () => {
    const plain = {
      ...BASE,
      users: [{ id: "alice", privileges: [] }],
      clients: [{ id: "desk", role: "primary" }],
      packages: undefined,
      steps: [{ do: "sync", client: "desk" }],
    };
    assert.equal(usesPackages(validateScenario(JSON.stringify(plain)).scenario), false);
  });
});
