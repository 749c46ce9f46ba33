/** `outlook-crm-server worker`: its settings are checked before anything starts, each problem named. */
import assert from "node:assert/strict";
import { ConfigError } from "../../src/entry/cli/server-commands/settings";
import { workerSettings } from "../../src/entry/cli/server-commands/worker-settings";
import { runServerBin } from "./support/server-bin";

const GOOD = {
  DATABASE_URL: "postgres://postgres@127.0.0.1:5432/test",
  SYNC_SERVER_URL: "https://crm.contoso.example/",
  GRAPH_TENANT_ID: "contoso.onmicrosoft.com",
  GRAPH_CLIENT_ID: "00000000-0000-4000-8000-000000000001",
  GRAPH_CLIENT_SECRET: "s3cret",
};

const refused = (env: Record<string, string>, message: RegExp): void =>
  assert.throws(
    () => workerSettings(env),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, String(error));
      assert.match(error.message, message);
      return true;
    },
  );

describe("outlook-crm-server worker settings", () => {
  it("reads a complete environment, with the defaults", () => {
    const settings = workerSettings(GOOD);
    assert.equal(settings.syncServerUrl, "https://crm.contoso.example");
    assert.equal(settings.worker.concurrency, 4);
    assert.equal(settings.worker.intervalMs, 15 * 60_000);
    assert.equal(settings.metrics, null);
    assert.equal(settings.notificationBaseUrl, null);
    assert.deepEqual(settings.app.credential, { clientSecret: "s3cret" });
    assert.equal(settings.addinId, "b14f98d2-d90c-49f9-890e-d2150bf5b660");
    const tuned = workerSettings({
      ...GOOD,
      WORKER_CONCURRENCY: "8",
      SYNC_INTERVAL_MINUTES: "5",
      WORKER_METRICS_PORT: "9464",
      GRAPH_NOTIFICATION_URL: "https://crm-sync.contoso.example/",
    });
    assert.equal(tuned.notificationBaseUrl, "https://crm-sync.contoso.example");
    assert.equal(tuned.worker.concurrency, 8);
    assert.equal(tuned.worker.intervalMs, 5 * 60_000);
    assert.deepEqual(tuned.metrics, { host: "127.0.0.1", port: 9464 });
  });

  it("names what is missing or malformed", () => {
    const without = (name: keyof typeof GOOD): Record<string, string> => {
      const { [name]: _dropped, ...rest } = GOOD;
      return rest;
    };
    refused(without("DATABASE_URL"), /^DATABASE_URL is not set: the worker needs PostgreSQL/);
    refused({ ...GOOD, DATABASE_URL: "./data" }, /DATABASE_URL must be a postgres:\/\/ URL/);
    refused(without("SYNC_SERVER_URL"), /^SYNC_SERVER_URL is not set/);
    refused({ ...GOOD, SYNC_SERVER_URL: "crm.contoso.example" }, /SYNC_SERVER_URL must be an absolute/);
    refused({ ...GOOD, GRAPH_BASE_URL: "ftp://graph" }, /GRAPH_BASE_URL must be an absolute/);
    refused({ ...GOOD, GRAPH_NOTIFICATION_URL: "crm-sync" }, /GRAPH_NOTIFICATION_URL must be an absolute/);
    refused(without("GRAPH_TENANT_ID"), /^GRAPH_TENANT_ID is not set/);
    refused(without("GRAPH_CLIENT_ID"), /^GRAPH_CLIENT_ID is not set/);
    refused(without("GRAPH_CLIENT_SECRET"), /needs a Graph credential: GRAPH_CLIENT_SECRET, or/);
    refused({ ...GOOD, GRAPH_CERTIFICATE_THUMBPRINT: "ab" }, /not both/);
    refused(
      {
        ...without("GRAPH_CLIENT_SECRET"),
        GRAPH_CERTIFICATE_THUMBPRINT: "ab",
        GRAPH_CERTIFICATE_KEY_FILE: "/nope.pem",
      },
      /GRAPH_CERTIFICATE_KEY_FILE "\/nope.pem" cannot be read/,
    );
    refused({ ...GOOD, WORKER_CONCURRENCY: "0" }, /WORKER_CONCURRENCY must be a whole number from 1 to 64/);
    refused({ ...GOOD, SYNC_INTERVAL_MINUTES: "soon" }, /SYNC_INTERVAL_MINUTES must be a whole number/);
    refused({ ...GOOD, ADDIN_ID: "my-addin" }, /ADDIN_ID must be the add-in's id/);
  });

  it("exits 2 from the command line, naming the setting, and is listed in --help", async function () {
    this.timeout(60_000);
    const missing = await runServerBin(["worker"]);
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(missing.stderr, /DATABASE_URL is not set/);
    const badClient = await runServerBin(["worker"], { ...GOOD, GRAPH_CLIENT_ID: "worker-app" });
    assert.equal(badClient.code, 2, badClient.stderr);
    assert.match(badClient.stderr, /clientId must be the application \(client\) id/);
    const help = await runServerBin(["--help"]);
    assert.match(help.stdout, /outlook-crm-server worker\n/);
  });
});
