import assert from "node:assert/strict";
import { SimulatedMailbox } from "../../../src/sim/mailbox/simulated-mailbox";
import { startGraphSubsetServer, type GraphSubsetServer } from "../../../src/sim/graph/graph-subset-server";
import { ManualClock } from "../../support/manual-clock";

describe("Graph subset server", () => {
  let server: GraphSubsetServer;
  let mailbox: SimulatedMailbox;
  beforeEach(async () => {
    const clock = new ManualClock(Date.parse("2026-03-02T09:00:00Z"), true);
    mailbox = new SimulatedMailbox({
      clock,
      owner: { emailAddress: "alice@contoso.com", displayName: "Alice" },
    });
    server = await startGraphSubsetServer({ mailbox, clock, token: "t" });
  });
  afterEach(() => server.close());

  async function call(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; json: Record<string, unknown> }> {
    const response = await fetch(`${server.baseUrl}${path}`, {
      method,
      headers: { Authorization: "Bearer t", "Content-Type": "application/json", ...headers },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return {
      status: response.status,
      json: text === "" ? {} : (JSON.parse(text) as Record<string, unknown>),
    };
  }

  /** A series of four Monday occurrences from 2026-03-09 14:00 UTC. */
  function weeklySeries() {
    return mailbox.createItem(
      {
        type: "appointment",
        fields: {
          subject: "Weekly",
          start: "2026-03-09T14:00:00Z",
          end: "2026-03-09T15:00:00Z",
          recurrence:
            "pattern=weekly;interval=1;daysOfWeek=monday;range=numbered;startDate=2026-03-09;numberOfOccurrences=4",
        },
      },
      { notify: false, by: "world" },
    );
  }

  it("answers resources in Graph's own shapes (metadata: contact, event, todoTask)", async () => {
    const contact = mailbox.createItem(
      {
        type: "contact",
        fields: {
          firstName: "Ann",
          lastName: "Lee",
          email1Address: "a@x.com",
          businessTelephoneNumber: "1",
          body: "n",
        },
      },
      { notify: false, by: "world" },
    );
    const json = (await call("GET", `/me/contacts/${contact.itemId}`)).json;
    assert.deepEqual(
      [json.givenName, json.surname, json.emailAddresses, json.businessPhones, json.personalNotes],
      ["Ann", "Lee", [{ name: "a@x.com", address: "a@x.com" }], ["1"], "n"],
    );
    const event = mailbox.createItem(
      {
        type: "appointment",
        fields: {
          start: "2026-03-10T14:00:00Z",
          end: "2026-03-10T15:00:00Z",
          showTimeAs: "oof",
          priority: "high",
          requiredAttendees: ["b@x.com"],
        },
      },
      { notify: false, by: "world" },
    );
    const e = (await call("GET", `/me/events/${event.itemId}`)).json;
    assert.deepEqual(e.start, { dateTime: "2026-03-10T14:00:00.0000000", timeZone: "UTC" });
    assert.deepEqual([e.showAs, e.importance], ["oof", "high"]);
    assert.deepEqual(e.attendees, [
      { emailAddress: { name: "b@x.com", address: "b@x.com" }, type: "required" },
    ]);
    const task = mailbox.createItem(
      { type: "task", fields: { subject: "s", status: "completed", dueDate: "2026-03-05T17:00:00Z" } },
      { notify: false, by: "world" },
    );
    const t = (await call("GET", `/me/todo/lists/${task.folderId}/tasks/${task.itemId}`)).json;
    assert.deepEqual([t.title, t.status], ["s", "completed"]);
    assert.deepEqual(t.dueDateTime, { dateTime: "2026-03-05T17:00:00.0000000", timeZone: "UTC" });
    assert.ok(!("changeKey" in t), "todoTask has no changeKey");
  });

  it("answers a series master's cancelledOccurrences only to a Get by its id whose $select names it", async () => {
    const master = weeklySeries();
    mailbox.cancelOccurrence(master.immutableId, "2026-03-16T14:00:00Z", { notify: false });
    const path = `/me/events/${master.immutableId}`;
    const plain = (await call("GET", path)).json;
    assert.equal(plain.type, "seriesMaster");
    assert.ok(!("cancelledOccurrences" in plain), "not returned without $select");
    const selected = (await call("GET", `${path}?$select=subject,cancelledOccurrences`)).json;
    assert.deepEqual(selected.cancelledOccurrences, [`OID.${master.immutableId}.2026-03-16`]);
    assert.equal(selected.subject, "Weekly");
    const listed = (await call("GET", "/me/events?$select=subject,cancelledOccurrences")).json
      .value as Record<string, unknown>[];
    assert.deepEqual(
      listed.map((entry) => "cancelledOccurrences" in entry),
      [false],
      "a list never returns it",
    );
  });

  it("lists a series' instances in a time range, paged, and refuses a request without the range", async () => {
    const master = weeklySeries();
    const moved = mailbox.updateOccurrence(
      master.immutableId,
      "2026-03-16T14:00:00Z",
      { fields: { subject: "Moved" } },
      { notify: false, by: "world" },
    );
    const path = `/me/events/${master.immutableId}/instances`;
    const range = "startDateTime=2026-03-01T00:00:00Z&endDateTime=2026-04-01T00:00:00Z";
    const first = await call("GET", `${path}?${range}&$select=type,subject&$top=3`);
    assert.equal(first.status, 200);
    const rest = await call("GET", String(first.json["@odata.nextLink"]).slice(server.baseUrl.length));
    assert.equal(rest.json["@odata.nextLink"], undefined);
    const listed = [
      ...(first.json.value as Record<string, unknown>[]),
      ...(rest.json.value as Record<string, unknown>[]),
    ];
    assert.deepEqual(
      listed.map((entry) => [entry.type, entry.subject]),
      [
        ["occurrence", "Weekly"],
        ["exception", "Moved"],
        ["occurrence", "Weekly"],
        ["occurrence", "Weekly"],
      ],
    );
    assert.equal(listed[1]?.id, moved.itemId);
    for (const query of ["", "?startDateTime=2026-03-01T00:00:00Z", "?endDateTime=2026-04-01T00:00:00Z"]) {
      const refused = await call("GET", `${path}${query}`);
      assert.equal(refused.status, 400, `instances${query}`);
      assert.equal((refused.json.error as { code: string }).code, "ErrorInvalidParameter");
    }
    mailbox.deleteItem(master.immutableId, { notify: false });
    assert.equal((await call("GET", `${path}?${range}`)).status, 404, "the series is gone");
  });

  it("answers message and event bodies as HTML unless Prefer asks for text", async () => {
    const event = mailbox.createItem(
      { type: "appointment", fields: { subject: "x", body: "a < b\nline 2" } },
      { notify: false, by: "world" },
    );
    const html = (await call("GET", `/me/events/${event.itemId}`)).json.body as {
      contentType: string;
      content: string;
    };
    assert.equal(html.contentType, "html");
    assert.match(html.content, /<body>a &lt; b<br>\r\nline 2<\/body>/);
    const text = await call("GET", `/me/events/${event.itemId}`, undefined, {
      Prefer: 'outlook.body-content-type="text"',
    });
    assert.deepEqual(text.json.body, { contentType: "text", content: "a < b\nline 2" });
    await call("PATCH", `/me/events/${event.itemId}`, {
      body: { contentType: "html", content: html.content },
    });
    assert.equal(
      mailbox.get(event.itemId)?.fields.body,
      "a < b\nline 2",
      "an HTML write is stored as its text",
    );
  });

  it("lists the default Contacts folder's child folders, and answers the default folder by its well-known name", async () => {
    assert.deepEqual((await call("GET", "/me/contactFolders")).json.value, []);
    const child = mailbox.createFolder("contacts", "Suppliers");
    const contacts = mailbox.folder("contacts");
    assert.deepEqual((await call("GET", "/me/contactFolders")).json.value, [
      { id: child.folderId, displayName: "Suppliers", parentFolderId: contacts?.folderId },
    ]);
    const byName = await call("GET", "/me/contactFolders/contacts");
    assert.deepEqual(byName.json, { id: contacts?.folderId, displayName: "Contacts" });
  });

  it("checks paths, query options and bodies against the metadata", async () => {
    const list = mailbox.folder("tasks")?.folderId ?? "";
    const code = (answer: { json: Record<string, unknown> }) => (answer.json.error as { code?: string }).code;
    const onTask = await call("POST", `/me/todo/lists/${list}/tasks`, {
      title: "t",
      singleValueExtendedProperties: [
        { id: "String {00020329-0000-0000-C000-000000000046} Name x", value: "v" },
      ],
    });
    assert.equal(onTask.status, 400);
    assert.match(
      JSON.stringify(onTask.json),
      /'singleValueExtendedProperties' does not exist on type 'microsoft.graph.todoTask'/,
    );
    const expandOnTask = await call(
      "GET",
      `/me/todo/lists/${list}/tasks?$expand=singleValueExtendedProperties`,
    );
    assert.deepEqual([expandOnTask.status, code(expandOnTask)], [400, "BadRequest"]);
    assert.match(
      JSON.stringify(expandOnTask.json),
      /'singleValueExtendedProperties' on type 'microsoft.graph.todoTask'/,
    );
    for (const [path, name] of [
      ["/me/contacts?$select=givenName,shoeSize", "shoeSize"],
      ["/me/events?$filter=colour eq 'red'", "colour"],
      ["/me/events?$orderby=start/dateTime desc,shade", "shade"],
      ["/me/messages?$filter=singleValueExtendedProperties/any(ep: ep/key eq 'x')", "key"],
      ["/me/contacts?$expand=photos", "photos"],
    ] as const) {
      const answer = await call("GET", path);
      assert.equal(answer.status, 400, path);
      assert.match(JSON.stringify(answer.json), new RegExp(`'${name}'`), path);
    }
    const segment = await call("GET", "/me/contactz");
    assert.deepEqual([segment.status, code(segment)], [400, "BadRequest"]);
    assert.match(JSON.stringify(segment.json), /segment 'contactz'/);
    const option = await call("GET", "/me/contacts?$shape=round");
    assert.equal(option.status, 400);
    const nested = await call("POST", "/me/events", {
      subject: "x",
      location: { displayName: "a", floor: 3 },
    });
    assert.match(JSON.stringify(nested.json), /'floor' does not exist on type 'microsoft.graph.location'/);
    const enumValue = await call("POST", "/me/events", { subject: "x", showAs: "sleeping" });
    assert.match(JSON.stringify(enumValue.json), /sleeping.*microsoft.graph.freeBusyStatus/);
    const served = await call("GET", "/me/contacts?$select=givenName");
    assert.equal(served.status, 200);
    const unserved = await call("GET", "/me/people");
    assert.equal(unserved.status, 501, "allowed by the metadata, not simulated");
    assert.equal(mailbox.allItems().length, 0);
  });

  it("refuses draft-only properties on a sent or received message and takes its categories and flags", async () => {
    const received = mailbox.createItem(
      {
        type: "email",
        fields: { subject: "Order", from: "bob@contoso.com", receivedAt: "2026-03-01T10:00:00Z" },
      },
      { notify: false, by: "world" },
    );
    for (const body of [
      { subject: "x" },
      { body: { contentType: "text", content: "x" } },
      { toRecipients: [] },
    ]) {
      const answer = await call("PATCH", `/me/messages/${received.itemId}`, body);
      assert.deepEqual(
        [answer.status, (answer.json.error as { code?: string }).code],
        [400, "ErrorInvalidPropertyUpdateSentMessage"],
      );
    }
    const ok = await call("PATCH", `/me/messages/${received.itemId}`, { categories: ["Red"], isRead: true });
    assert.equal(ok.status, 200);
    assert.equal(mailbox.get(received.itemId)?.fields.subject, "Order");
    const draft = mailbox.openCompose({ subject: "Draft" });
    const edited = await call("PATCH", `/me/messages/${draft.itemId}`, { subject: "Draft 2" });
    assert.equal(edited.status, 200);
  });

  it("refuses an extended property value that is not of the property's type, an empty SystemTime included", async () => {
    const contact = mailbox.createItem(
      { type: "contact", fields: { firstName: "A" } },
      { notify: false, by: "world" },
    );
    for (const [id, value] of [
      ["SystemTime 0x3A41", ""],
      ["SystemTime 0x3A41", "soon"],
      ["Integer {6f1c3e52-9b7d-4a7e-8c1e-2d5b9a4f0c11} Name n", "1.5"],
    ] as const) {
      const answer = await call("PATCH", `/me/contacts/${contact.itemId}`, {
        singleValueExtendedProperties: [{ id, value }],
      });
      assert.deepEqual(
        [answer.status, (answer.json.error as { code?: string }).code],
        [400, "ErrorInvalidExtendedPropertyValue"],
      );
    }
    const ok = await call("PATCH", `/me/contacts/${contact.itemId}`, {
      singleValueExtendedProperties: [{ id: "SystemTime 0x3A41", value: "2005-06-18T00:00:00Z" }],
    });
    assert.equal(ok.status, 200);
    assert.equal(mailbox.get(contact.itemId)?.fields.anniversary, "2005-06-18");
  });

  it("keeps a task's linked resources and open extensions and finds the task by a linked resource", async () => {
    const list = mailbox.folder("tasks")?.folderId ?? "";
    const created = await call("POST", `/me/todo/lists/${list}/tasks`, {
      title: "t",
      linkedResources: [{ applicationName: "app", externalId: "k1", displayName: "key" }],
    });
    assert.equal(created.status, 201);
    const id = String(created.json.id);
    const ext = await call("POST", `/me/todo/lists/${list}/tasks/${id}/extensions`, {
      "@odata.type": "microsoft.graph.openTypeExtension",
      extensionName: "com.example.x",
      n: 1,
    });
    assert.deepEqual([ext.status, ext.json.id], [201, "com.example.x"]);
    const again = await call("POST", `/me/todo/lists/${list}/tasks/${id}/extensions`, {
      "@odata.type": "microsoft.graph.openTypeExtension",
      extensionName: "com.example.x",
    });
    assert.equal(again.status, 409);
    const filter = encodeURIComponent(
      "linkedResources/any(r: r/applicationName eq 'app' and r/externalId eq 'k1')",
    );
    const found = await call(
      "GET",
      `/me/todo/lists/${list}/tasks?$filter=${filter}&$expand=linkedResources,extensions`,
    );
    const [task] = found.json.value as Record<string, unknown>[];
    assert.equal(task?.id, id);
    assert.deepEqual((task?.extensions as { n: number }[])[0]?.n, 1);
    assert.equal((task?.linkedResources as { externalId: string }[])[0]?.externalId, "k1");
  });

  it("answers bad bodies and unknown properties with a Graph error naming them, writing nothing", async () => {
    const bad = await call("POST", "/me/events", { subject: "x", colour: "red" });
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.json), /"code":"RequestBodyRead".*colour/);
    const badValue = await call("POST", "/me/events", { subject: "x", showAs: "sleeping" });
    assert.equal(badValue.status, 400);
    assert.equal(mailbox.allItems().length, 0);
    const unauthorized = await fetch(`${server.baseUrl}/me/events`);
    assert.equal(unauthorized.status, 401);
  });

  it("answers 429 with Retry-After past 4 concurrent requests per mailbox, counting each batch sub-request", async () => {
    const clock = new ManualClock(Date.parse("2026-03-02T09:00:00Z"));
    const held = new SimulatedMailbox({ clock, owner: { emailAddress: "a@contoso.com", displayName: "A" } });
    const slowServer = await startGraphSubsetServer({ mailbox: held, clock, token: "t" });
    try {
      const get = () =>
        fetch(`${slowServer.baseUrl}/me/calendar`, { headers: { Authorization: "Bearer t" } });
      held.faults.slow(4, 1000);
      const first = [get(), get(), get(), get()];
      while (clock.pending() < 4) await new Promise((resolve) => setTimeout(resolve, 5));
      const fifth = await get();
      assert.equal(fifth.status, 429);
      assert.equal(fifth.headers.get("Retry-After"), "1");
      clock.advance(1000);
      assert.deepEqual(
        (await Promise.all(first)).map((r) => r.status),
        [200, 200, 200, 200],
      );
      const requests = Array.from({ length: 5 }, (_, i) => ({
        id: String(i),
        method: "GET",
        url: "/me/calendar",
      }));
      const batch = await fetch(`${slowServer.baseUrl}/$batch`, {
        method: "POST",
        headers: { Authorization: "Bearer t", "Content-Type": "application/json" },
        body: JSON.stringify({ requests }),
      });
      const statuses = ((await batch.json()) as { responses: { status: number }[] }).responses.map(
        (r) => r.status,
      );
      assert.deepEqual(statuses.sort(), [200, 200, 200, 200, 429]);
      assert.equal(slowServer.stats().overConcurrency, 2);
    } finally {
      await slowServer.close();
    }
  });

  it("runs a sequential $batch (each request dependsOn the one before) in order, as one concurrent request", async () => {
    const clock = new ManualClock(Date.parse("2026-03-02T09:00:00Z"));
    const held = new SimulatedMailbox({ clock, owner: { emailAddress: "a@contoso.com", displayName: "A" } });
    const slowServer = await startGraphSubsetServer({ mailbox: held, clock, token: "t" });
    const post = (requests: unknown[]) =>
      fetch(`${slowServer.baseUrl}/$batch`, {
        method: "POST",
        headers: { Authorization: "Bearer t", "Content-Type": "application/json" },
        body: JSON.stringify({ requests }),
      });
    /** Request `i` of a sequential batch: it depends on request i - 1. */
    const contact = (i: number, name = `C${i}`) => ({
      id: String(i),
      method: "POST",
      url: "/me/contacts",
      body: { givenName: name },
      headers: { "Content-Type": "application/json" },
      ...(i > 0 && { dependsOn: [String(i - 1)] }),
    });
    try {
      held.faults.slow(3, 1000);
      const others = [1, 2, 3].map(() =>
        fetch(`${slowServer.baseUrl}/me/calendar`, { headers: { Authorization: "Bearer t" } }),
      );
      while (clock.pending() < 3) await new Promise((resolve) => setTimeout(resolve, 5));
      const sequential = await post(Array.from({ length: 20 }, (_, i) => contact(i)));
      const answered = (await sequential.json()) as { responses: { id: string; status: number }[] };
      assert.deepEqual(
        answered.responses.map((r) => r.status),
        Array.from({ length: 20 }, () => 201),
      );
      assert.deepEqual(
        held
          .allItems()
          .map((item) => item.fields.firstName)
          .slice(0, 3),
        ["C0", "C1", "C2"],
      );
      clock.advance(1000);
      await Promise.all(others);
      assert.equal(slowServer.stats().overConcurrency, 0);
      held.faults.throttle(1, 5, { method: "POST", pathIncludes: "/contacts" });
      const stopped = await post([0, 1, 2].map((i) => contact(i, `D${i}`)));
      const statuses = ((await stopped.json()) as { responses: { status: number }[] }).responses.map(
        (r) => r.status,
      );
      assert.deepEqual(statuses, [429, 424, 424]);
      assert.equal(held.allItems().length, 20);
      const mixed = await post([contact(0), contact(1), { ...contact(2), dependsOn: undefined }]);
      assert.equal(mixed.status, 400);
      assert.match(await mixed.text(), /fully sequential or fully parallel/);
      const forward = await post([
        { ...contact(0), dependsOn: ["1"] },
        { ...contact(1), dependsOn: undefined },
      ]);
      assert.equal(forward.status, 400);
      assert.equal(held.allItems().length, 20);
    } finally {
      await slowServer.close();
    }
  });

  it("refuses a $batch of more than 20 requests", async () => {
    const requests = Array.from({ length: 21 }, (_, i) => ({
      id: String(i),
      method: "GET",
      url: "/me/calendar",
    }));
    const answer = await call("POST", "/$batch", { requests });
    assert.equal(answer.status, 400);
    assert.match(JSON.stringify(answer.json), /limit of 20/);
    const ok = await call("POST", "/$batch", { requests: requests.slice(0, 2) });
    assert.equal((ok.json.responses as unknown[]).length, 2);
  });

  it("answers an expired delta link with 410 syncStateNotFound", async () => {
    mailbox.createItem({ type: "task", fields: { subject: "t" } }, { notify: false, by: "world" });
    const folderId = mailbox.folder("tasks")?.folderId ?? "";
    const first = await call("GET", `/me/todo/lists/${folderId}/tasks/delta`);
    const deltaLink = String(first.json["@odata.deltaLink"]);
    mailbox.expireDeltaTokens();
    const gone = await fetch(deltaLink, { headers: { Authorization: "Bearer t" } });
    assert.equal(gone.status, 410);
    assert.match(await gone.text(), /syncStateNotFound/);
  });

  it("keeps a calendarView delta round in the window it started with", async () => {
    const start = "2026-03-01T00:00:00Z";
    const end = "2026-03-31T00:00:00Z";
    const first = await call("GET", `/me/calendarView/delta?startDateTime=${start}&endDateTime=${end}`);
    mailbox.createItem(
      {
        type: "appointment",
        fields: { subject: "april", start: "2026-04-10T10:00:00Z", end: "2026-04-10T11:00:00Z" },
      },
      { notify: false, by: "world" },
    );
    mailbox.createItem(
      {
        type: "appointment",
        fields: { subject: "march", start: "2026-03-10T10:00:00Z", end: "2026-03-10T11:00:00Z" },
      },
      { notify: false, by: "world" },
    );
    const link = `${String(first.json["@odata.deltaLink"])}&startDateTime=2026-01-01T00:00:00Z&endDateTime=2026-12-31T00:00:00Z`;
    const next = await fetch(link, { headers: { Authorization: "Bearer t" } });
    const subjects = ((await next.json()) as { value: { subject?: string }[] }).value.map(
      (entry) => entry.subject,
    );
    assert.deepEqual(subjects, ["march"]);
  });

  it("answers an id-only listing ($select=id) with each id and its @odata.etag, at most 1,000 a page", async () => {
    const contacts = [1, 2, 3].map((n) =>
      mailbox.createItem({ type: "contact", fields: { firstName: `C${n}` } }, { notify: false, by: "world" }),
    );
    const first = await call("GET", "/me/contactFolders/contacts/contacts?$select=id&$top=2");
    assert.equal(first.status, 200);
    assert.deepEqual(first.json.value, [
      { "@odata.etag": `W/"${contacts[0]?.changeKey}"`, id: contacts[0]?.itemId },
      { "@odata.etag": `W/"${contacts[1]?.changeKey}"`, id: contacts[1]?.itemId },
    ]);
    const next = String(first.json["@odata.nextLink"]);
    const rest = await call("GET", next.slice(server.baseUrl.length));
    assert.deepEqual(
      (rest.json.value as { id: string }[]).map((entry) => entry.id),
      [contacts[2]?.itemId],
    );
    assert.equal(rest.json["@odata.nextLink"], undefined);
    for (const top of ["1001", "0", "ten"]) {
      const refused = await call("GET", `/me/contacts?$select=id&$top=${top}`);
      assert.equal(refused.status, 400, `$top=${top}`);
      assert.equal((refused.json.error as { code: string }).code, "ErrorInvalidParameter");
    }
  });

  it("lists a deleted item as @removed with reason deleted", async () => {
    const contact = mailbox.createItem(
      { type: "contact", fields: { firstName: "A" } },
      { notify: false, by: "world" },
    );
    const first = await call("GET", "/me/contacts/delta");
    mailbox.deleteItem(contact.itemId, { notify: false });
    const next = await fetch(String(first.json["@odata.deltaLink"]), {
      headers: { Authorization: "Bearer t" },
    });
    assert.deepEqual(((await next.json()) as { value: unknown[] }).value, [
      { id: contact.itemId, "@removed": { reason: "deleted" } },
    ]);
  });

  it("names items by REST id, or by immutable id when asked, and takes both in a URL", async () => {
    const message = mailbox.createItem(
      { type: "email", fields: { subject: "Order", from: "bob@contoso.com" } },
      { notify: false, by: "world" },
    );
    const immutable = { Prefer: 'IdType="ImmutableId"' };
    const rest = await call("GET", `/me/messages/${encodeURIComponent(message.itemId)}`);
    assert.equal(rest.json.id, message.itemId);
    const asked = await call(
      "GET",
      `/me/messages/${encodeURIComponent(message.itemId)}`,
      undefined,
      immutable,
    );
    assert.equal(asked.json.id, message.immutableId);
    const archived = mailbox.archiveItem(message.itemId, { notify: false });
    assert.equal((await call("GET", `/me/messages/${encodeURIComponent(message.itemId)}`)).status, 404);
    const byImmutable = await call("GET", `/me/messages/${encodeURIComponent(message.immutableId)}`);
    assert.deepEqual([byImmutable.status, byImmutable.json.id], [200, archived.itemId]);
    const malformed = await call("GET", "/me/messages/AAMkC-missing");
    assert.deepEqual(
      [malformed.status, (malformed.json.error as { code?: string }).code],
      [400, "ErrorInvalidIdMalformed"],
    );
    const batch = await call(
      "POST",
      "/$batch",
      {
        requests: [
          {
            id: "1",
            method: "GET",
            url: `/me/messages/${encodeURIComponent(archived.itemId)}`,
            headers: immutable,
          },
          { id: "2", method: "GET", url: `/me/messages/${encodeURIComponent(archived.itemId)}` },
        ],
      },
      immutable,
    );
    const bodies = (batch.json.responses as { id: string; body: { id: string } }[]).map((r) => [
      r.id,
      r.body.id,
    ]);
    assert.deepEqual(
      bodies.sort(),
      [
        ["1", message.immutableId],
        ["2", archived.itemId],
      ],
      "a batch's own Prefer header does not reach its requests",
    );
  });

  it("translates ids as translateExchangeIds does, with errorDetails per id and 400 for a bad request", async () => {
    const message = mailbox.createItem(
      { type: "email", fields: { subject: "x" } },
      { notify: false, by: "world" },
    );
    const gone = mailbox.createItem(
      { type: "email", fields: { subject: "y" } },
      { notify: false, by: "world" },
    );
    mailbox.deleteItem(gone.itemId, { notify: false });
    const translate = (body: unknown) => call("POST", "/me/translateExchangeIds", body);
    const ews = message.itemId.replace(/-/g, "/").replace(/_/g, "+");
    const answer = await translate({
      inputIds: [ews, gone.itemId.replace(/-/g, "/").replace(/_/g, "+"), "AAMkC-missing"],
      sourceIdType: "ewsId",
      targetIdType: "restImmutableEntryId",
    });
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.json.value, [
      { sourceId: ews, targetId: message.immutableId },
      {
        sourceId: gone.itemId.replace(/-/g, "/").replace(/_/g, "+"),
        errorDetails: {
          code: "ErrorItemNotFound",
          message: "The specified object was not found in the store.",
        },
      },
      {
        sourceId: "AAMkC-missing",
        errorDetails: { code: "ErrorInvalidIdMalformed", message: "Id is malformed." },
      },
    ]);
    const back = await translate({
      inputIds: [message.immutableId],
      sourceIdType: "restImmutableEntryId",
      targetIdType: "restId",
    });
    assert.deepEqual(back.json.value, [{ sourceId: message.immutableId, targetId: message.itemId }]);
    const binary = await translate({
      inputIds: [message.itemId],
      sourceIdType: "restId",
      targetIdType: "entryId",
    });
    const entryId = String((binary.json.value as { targetId: string }[])[0]?.targetId);
    assert.match(entryId, /^[A-Za-z0-9_-]+[012]$/, "URL-safe base64 with the padding count appended");
    const again = await translate({ inputIds: [entryId], sourceIdType: "entryId", targetIdType: "ewsId" });
    assert.deepEqual(again.json.value, [{ sourceId: entryId, targetId: ews }]);
    const tooMany = await translate({
      inputIds: Array.from({ length: 1001 }, () => message.itemId),
      sourceIdType: "restId",
      targetIdType: "restImmutableEntryId",
    });
    assert.equal(tooMany.status, 400);
    assert.match(JSON.stringify(tooMany.json.error), /1000/);
    const unknownFormat = await translate({
      inputIds: [message.itemId],
      sourceIdType: "restId",
      targetIdType: "graphId",
    });
    assert.equal(unknownFormat.status, 400);
    assert.match(JSON.stringify(unknownFormat.json.error), /targetIdType/);
  });
});
