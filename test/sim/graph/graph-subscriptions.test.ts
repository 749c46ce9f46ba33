/**
 * The Graph twin's change notifications: the validation handshake before a subscription exists, Graph's limits
 * on a subscription, change notifications for writes of the watched folder (the app's own included), renewal,
 * expiry, deletion and lifecycle notifications.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { startGraphSubsetServer, type GraphSubsetServer } from "../../../src/sim/graph/graph-subset-server";
import { MAX_SUBSCRIPTION_MINUTES } from "../../../src/sim/graph/graph-subscriptions";
import { SimulatedMailbox } from "../../../src/sim/mailbox/simulated-mailbox";
import { ManualClock } from "../../support/manual-clock";
import { until } from "../../support/until";

/** A notification endpoint that answers validation as `validation` says and records what it receives. */
class Receiver {
  readonly received: { path: string; body: { value: Record<string, unknown>[] } }[] = [];
  validation: "echo" | "json" | "wrong" | "500" = "echo";
  status = 202;
  private server: Server | null = null;
  url = "";

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      const url = new URL(request.url ?? "/", "http://receiver");
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const token = url.searchParams.get("validationToken");
        if (token !== null) {
          if (this.validation === "500") response.writeHead(500).end();
          else if (this.validation === "json")
            response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(token));
          else
            response
              .writeHead(200, { "content-type": "text/plain" })
              .end(this.validation === "wrong" ? "nope" : token);
          return;
        }
        const body = JSON.parse(
          Buffer.concat(chunks).toString("utf8"),
        ) as Receiver["received"][number]["body"];
        this.received.push({ path: url.pathname, body });
        response.writeHead(this.status).end();
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server?.closeAllConnections();
      this.server?.close(() => resolve());
    });
  }
}

describe("Graph twin change notifications", () => {
  const start = Date.parse("2026-03-02T09:00:00Z");
  let clock: ManualClock;
  let mailbox: SimulatedMailbox;
  let graph: GraphSubsetServer;
  let receiver: Receiver;

  beforeEach(async () => {
    clock = new ManualClock(start);
    mailbox = new SimulatedMailbox({
      clock,
      owner: { emailAddress: "alice@contoso.com", displayName: "Alice" },
    });
    graph = await startGraphSubsetServer({ mailbox, clock, token: "t" });
    receiver = new Receiver();
    await receiver.start();
  });
  afterEach(async () => {
    await graph.close();
    await receiver.close();
  });

  async function call(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: Record<string, unknown> }> {
    const response = await fetch(`${graph.baseUrl}${path}`, {
      method,
      headers: { Authorization: "Bearer t", "Content-Type": "application/json" },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return {
      status: response.status,
      json: text === "" ? {} : (JSON.parse(text) as Record<string, unknown>),
    };
  }

  const inMinutes = (minutes: number): string => new Date(start + minutes * 60_000).toISOString();
  const subscription = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
    changeType: "created,updated,deleted",
    notificationUrl: `${receiver.url}/notify`,
    lifecycleNotificationUrl: `${receiver.url}/lifecycle`,
    resource: "/users/alice@contoso.com/contactFolders('contacts')/contacts",
    expirationDateTime: inMinutes(60),
    clientState: "secret-1",
    ...overrides,
  });

  it("creates a subscription only after its endpoints echo the validation token as text/plain", async () => {
    for (const validation of ["wrong", "json", "500"] as const) {
      receiver.validation = validation;
      const refused = await call("POST", "/subscriptions", subscription());
      assert.equal(refused.status, 400, validation);
      assert.match(
        String((refused.json["error"] as { message: string }).message),
        /validation request failed/,
      );
    }
    receiver.validation = "echo";
    const created = await call("POST", "/subscriptions", subscription());
    assert.equal(created.status, 201, JSON.stringify(created.json));
    assert.equal(created.json["clientState"], "secret-1");
    assert.equal(created.json["expirationDateTime"], inMinutes(60));
    const listed = await call("GET", "/subscriptions");
    assert.deepEqual(
      (listed.json["value"] as { id: string }[]).map((entry) => entry.id),
      [created.json["id"]],
    );
  });

  it("refuses what Graph refuses: missing properties, unknown ones, bad change types, long clientState, HTTP, too long a life", async () => {
    const cases: [Record<string, unknown>, number, RegExp][] = [
      [subscription({ resource: undefined }), 400, /'resource' is required/],
      [subscription({ colour: "red" }), 400, /colour/],
      [subscription({ changeType: "created,moved" }), 400, /changeType 'created,moved' is not valid/],
      [subscription({ clientState: "x".repeat(129) }), 400, /longer than 128/],
      [subscription({ notificationUrl: "http://example.com/notify" }), 400, /must use the HTTPS protocol/],
      [
        subscription({ expirationDateTime: inMinutes(MAX_SUBSCRIPTION_MINUTES + 1) }),
        400,
        /more than 4230 minutes/,
      ],
      [subscription({ expirationDateTime: inMinutes(-1) }), 400, /in the future/],
      [subscription({ resource: "/users/bob@contoso.com/events" }), 404, /requested user 'bob@contoso.com'/],
      [subscription({ resource: "/users/alice@contoso.com/drive/root" }), 400, /not a supported resource/],
    ];
    for (const [body, status, message] of cases) {
      const answer = await call("POST", "/subscriptions", JSON.parse(JSON.stringify(body)));
      assert.equal(answer.status, status, JSON.stringify(body));
      assert.match(String((answer.json["error"] as { message: string }).message), message);
    }
    assert.equal(receiver.received.length, 0);
  });

  it("notifies every write in the watched folder, the app's own included, with the clientState", async () => {
    const created = await call("POST", "/subscriptions", subscription({ changeType: "created,updated" }));
    const id = String(created.json["id"]);
    const contact = mailbox.createItem(
      { type: "contact", fields: { lastName: "Lee" } },
      { notify: false, by: "client" },
    );
    mailbox.updateItem(contact.itemId, { fields: { lastName: "Li" } }, { notify: true, by: "world" });
    mailbox.createItem(
      { type: "appointment", fields: { subject: "elsewhere" } },
      { notify: true, by: "world" },
    );
    mailbox.deleteItem(contact.itemId, { notify: true, by: "world" });
    await until(() => receiver.received.length >= 2, "two notifications");
    await graph.subscriptions.settled();
    assert.deepEqual(
      receiver.received.map(({ path, body }) => [
        path,
        body.value[0]?.["changeType"],
        body.value[0]?.["subscriptionId"],
      ]),
      [
        ["/notify", "created", id],
        ["/notify", "updated", id],
      ],
      "no notice for another folder or an unsubscribed change type",
    );
    const first = receiver.received[0]?.body.value[0] ?? {};
    assert.equal(first["clientState"], "secret-1");
    assert.deepEqual((first["resourceData"] as Record<string, unknown>)["id"], contact.immutableId);
  });

  it("is renewed by PATCH within the limit, and is gone once expired or deleted", async () => {
    const created = await call("POST", "/subscriptions", subscription());
    const id = String(created.json["id"]);
    assert.equal(
      (
        await call("PATCH", `/subscriptions/${id}`, {
          expirationDateTime: inMinutes(MAX_SUBSCRIPTION_MINUTES + 5),
        })
      ).status,
      400,
    );
    assert.equal((await call("PATCH", `/subscriptions/${id}`, { resource: "/me/events" })).status, 400);
    const renewed = await call("PATCH", `/subscriptions/${id}`, { expirationDateTime: inMinutes(120) });
    assert.equal(renewed.status, 200);
    assert.equal(renewed.json["expirationDateTime"], inMinutes(120));
    clock.advance(121 * 60_000);
    assert.equal((await call("GET", `/subscriptions/${id}`)).status, 404);
    const again = await call("POST", "/subscriptions", subscription({ expirationDateTime: inMinutes(300) }));
    assert.equal((await call("DELETE", `/subscriptions/${String(again.json["id"])}`)).status, 204);
    mailbox.createItem({ type: "contact", fields: { lastName: "Lee" } }, { notify: true, by: "world" });
    await graph.subscriptions.settled();
    assert.equal(receiver.received.length, 0);
  });

  it("sends lifecycle notifications; reauthorizationRequired holds notifications until reauthorize, subscriptionRemoved ends it", async () => {
    const created = await call("POST", "/subscriptions", subscription());
    const id = String(created.json["id"]);
    assert.equal(await graph.subscriptions.lifecycle(id, "reauthorizationRequired"), 202);
    mailbox.createItem({ type: "contact", fields: { lastName: "Held" } }, { notify: true, by: "world" });
    await graph.subscriptions.settled();
    assert.deepEqual(
      receiver.received.map(({ path, body }) => [
        path,
        body.value[0]?.["lifecycleEvent"],
        body.value[0]?.["clientState"],
      ]),
      [["/lifecycle", "reauthorizationRequired", "secret-1"]],
    );
    assert.equal((await call("POST", `/subscriptions/${id}/reauthorize`)).status, 204);
    mailbox.createItem({ type: "contact", fields: { lastName: "Flows" } }, { notify: true, by: "world" });
    await until(() => receiver.received.length === 2, "the notification after reauthorizing");
    assert.equal(await graph.subscriptions.lifecycle(id, "subscriptionRemoved"), 202);
    assert.equal((await call("GET", `/subscriptions/${id}`)).status, 404);
  });

  it("tries a notification again when the endpoint fails, waiting longer each time", async () => {
    await call("POST", "/subscriptions", subscription());
    receiver.status = 503;
    mailbox.createItem({ type: "contact", fields: { lastName: "Lee" } }, { notify: true, by: "world" });
    await until(() => receiver.received.length === 1, "the first attempt");
    receiver.status = 202;
    clock.advance(1_000);
    await until(() => receiver.received.length === 2, "the retry after a second");
    await graph.subscriptions.settled();
    assert.equal(receiver.received.length, 2);
  });
});
