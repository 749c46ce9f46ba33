// The outlook-crm-sim bin as docs/SCENARIOS.md defines it: stdout is only the final JSON, exit 0 / 2 / 1.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const BIN = resolve(import.meta.dirname, "../../bin/outlook-crm-sim.mjs");
const EXAMPLE = resolve(import.meta.dirname, "contact-edit-round-trip.json");

function runBin(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("close", (code) => done({ code: code ?? -1, stdout, stderr }));
  });
}

function scenarioFile(content: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), "sim-cli-")), "scenario.json");
  writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
  return file;
}

const VALID = {
  version: 1,
  start: "2026-03-02T09:00:00Z",
  users: [{ id: "alice", privileges: ["SyncToOutlook", "GoOffline"] }],
  mailbox: "alice",
  clients: [{ id: "desk", role: "primary" }],
  settings: { entities: ["contact"], updateCompanyField: true, intervalMinutes: 15, roaming: false },
  crm: [{ ref: "k1", type: "contact", owner: "alice", fields: { firstname: "Ann" } }],
  outlook: [],
  steps: [
    { do: "sync", client: "desk" },
    { do: "sync", client: "desk" },
    { do: "sync", client: "desk" },
    { do: "outlook.update", ref: "k9", fields: { firstName: "X" } },
  ],
};

describe("outlook-crm-sim CLI", function () {
  this.timeout(60_000);

  it("prints only the final JSON on stdout and exits 0", async () => {
    const databaseUrl = process.env["DATABASE_URL"];
    const { code, stdout, stderr } = await runBin([
      "run",
      EXAMPLE,
      ...(databaseUrl ? ["--database-url", databaseUrl] : []),
    ]);
    assert.equal(code, 0, stderr);
    const output = JSON.parse(stdout) as { outlook: Record<string, { fields: Record<string, unknown> }> };
    assert.equal(output.outlook["pat"]?.fields["jobTitle"], "Head of Purchasing");
  });

  it("gives the same output with --headless-primary, the server's headless engine as the primary client", async () => {
    const databaseUrl = process.env["DATABASE_URL"];
    const database = databaseUrl ? ["--database-url", databaseUrl] : [];
    const addIn = await runBin(["run", EXAMPLE, ...database]);
    const headless = await runBin(["run", EXAMPLE, ...database, "--headless-primary"]);
    assert.equal(headless.code, 0, headless.stderr);
    assert.deepEqual(JSON.parse(headless.stdout), JSON.parse(addIn.stdout));
  });

  it("exits 2 with the usage for an unknown option", async () => {
    const { code, stdout, stderr } = await runBin(["run", EXAMPLE, "--headless"]);
    assert.equal(code, 2);
    assert.equal(stdout, "");
    assert.match(stderr, /usage: outlook-crm-sim run <scenario\.json> .*\[--headless-primary\]/);
  });

  it("exits 2 and names the JSON path of an unknown ref", async () => {
    const { code, stdout, stderr } = await runBin(["run", scenarioFile(VALID)]);
    assert.equal(code, 2);
    assert.equal(stdout, "");
    assert.equal(stderr.trim(), 'steps[3].ref: unknown ref "k9"');
  });

  it("prints output of over 1 MB whole when stdout is a pipe", async () => {
    const crm = Array.from({ length: 12 }, (_, index) => ({
      ref: `acct${index}`,
      type: "account",
      owner: "alice",
      fields: { name: `Account ${index} `.padEnd(99_000, "x") },
    }));
    const { code, stdout, stderr } = await runBin([
      "run",
      scenarioFile({ ...VALID, crm, steps: [{ do: "sync", client: "desk" }] }),
    ]);
    assert.equal(code, 0, stderr);
    assert.ok(stdout.length > 1_048_576, `stdout has ${stdout.length} characters`);
    const output = JSON.parse(stdout) as { crm: Record<string, { fields: { name: string } }> };
    assert.equal(Object.keys(output.crm).length, 12);
    assert.equal(output.crm["acct11"]?.fields.name.length, 99_000);
  });

  it("exits 2 before any step runs when a field value is bad, naming its JSON path", async () => {
    const { code, stdout, stderr } = await runBin([
      "run",
      scenarioFile({
        ...VALID,
        steps: [
          { do: "sync", client: "desk" },
          { do: "crm.update", ref: "k1", fields: { birthdate: "03/10/1990" } },
        ],
      }),
    ]);
    assert.equal(code, 2);
    assert.equal(stdout, "");
    assert.equal(
      stderr.trim(),
      'steps[1].fields.birthdate: expected an ISO 8601 date such as 2026-03-10, found "03/10/1990"',
    );
  });

  it("exits 1 when the file cannot be read", async () => {
    const { code, stdout } = await runBin(["run", "/nonexistent/scenario.json"]);
    assert.equal(code, 1);
    assert.equal(stdout, "");
  });
});
