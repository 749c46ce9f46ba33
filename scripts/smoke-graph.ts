// `npm run smoke:graph`: a short, self-cleaning round trip against Microsoft Graph (or the Graph twin) with a
// bearer token: create, read, update and delete a contact in a dedicated contact folder, an event in the
// calendar, and a To Do task in a dedicated list. Prints each step; everything made is deleted at the end,
// also after a failure. Exit 0 when every step did what Graph documents, 1 when one did not, 2 without a token.
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";

export const DEFAULT_GRAPH_URL = "https://graph.microsoft.com/v1.0";

const HOW_TO_GET_A_TOKEN = `GRAPH_TOKEN is not set.

npm run smoke:graph needs a delegated Microsoft Graph access token for a test mailbox with the scopes
Contacts.ReadWrite, Calendars.ReadWrite and Tasks.ReadWrite, for example:
  - Graph Explorer (https://developer.microsoft.com/graph/graph-explorer): sign in with the test account,
    consent to the three scopes, then copy the token from the "Access token" tab; or
  - Azure CLI: az login --allow-no-subscriptions, then
    az account get-access-token --resource-type ms-graph --query accessToken -o tsv
Then: GRAPH_TOKEN=<token> npm run smoke:graph [-- --base-url https://graph.microsoft.com/v1.0]
(GRAPH_BASE_URL works too). Use a test mailbox: the run makes and deletes a contact folder, an event and a list.`;

export interface SmokeOptions {
  readonly token: string;
  readonly baseUrl: string;
  readonly fetch?: typeof fetch;
  readonly log?: (line: string) => void;
  /** The clock for the event's times; default Date.now. */
  readonly now?: () => number;
}

class SmokeFailure extends Error {}

/** Runs the round trip; resolves when every step succeeded, rejects with what went wrong otherwise. */
export async function smokeGraph(options: SmokeOptions): Promise<void> {
  const fetchFn = options.fetch ?? globalThis.fetch;
  const log = options.log ?? ((line: string) => console.log(line));
  const base = options.baseUrl.replace(/\/$/, "");
  const now = options.now ?? Date.now;
  const tag = `outlook-crm-sync smoke ${randomUUID().slice(0, 8)}`;
  const cleanup: { what: string; path: string }[] = [];

  const call = async (method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => {
    const response = await fetchFn(`${base}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${options.token}`,
        Accept: "application/json",
        Prefer: 'IdType="ImmutableId", outlook.body-content-type="text"',
        ...(body !== undefined && { "Content-Type": "application/json" }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new SmokeFailure(`${method} ${path}: ${response.status} ${text.slice(0, 300)}`);
    log(`  ${method} ${path.split("?")[0] ?? path} → ${response.status}`);
    return text === "" ? {} : (JSON.parse(text) as Record<string, unknown>);
  };
  const expect = (ok: boolean, what: string) => {
    if (!ok) throw new SmokeFailure(`unexpected answer: ${what}`);
  };
  const id = (json: Record<string, unknown>) => encodeURIComponent(String(json.id));

  try {
    log(`contact in a new contact folder "${tag}"`);
    const folder = await call("POST", "/me/contactFolders", { displayName: tag });
    cleanup.push({ what: "contact folder", path: `/me/contactFolders/${id(folder)}` });
    const contact = await call("POST", `/me/contactFolders/${id(folder)}/contacts`, {
      givenName: "Smoke",
      surname: "Test",
      emailAddresses: [{ address: "smoke.test@example.com", name: "Smoke Test" }],
    });
    const contactPath = `/me/contacts/${id(contact)}`;
    cleanup.push({ what: "contact", path: contactPath });
    expect((await call("GET", contactPath)).givenName === "Smoke", "the contact reads back");
    await call("PATCH", contactPath, { jobTitle: "Tester" });
    expect((await call("GET", contactPath)).jobTitle === "Tester", "the contact update reads back");
    await call("DELETE", contactPath);
    cleanup.pop();

    log("event in the calendar");
    const start = new Date(now() + 86_400_000).toISOString().slice(0, 19);
    const end = new Date(now() + 86_400_000 + 1_800_000).toISOString().slice(0, 19);
    const event = await call("POST", "/me/events", {
      subject: tag,
      start: { dateTime: start, timeZone: "UTC" },
      end: { dateTime: end, timeZone: "UTC" },
      transactionId: randomUUID(),
    });
    const eventPath = `/me/events/${id(event)}`;
    cleanup.push({ what: "event", path: eventPath });
    expect((await call("GET", eventPath)).subject === tag, "the event reads back");
    await call("PATCH", eventPath, { subject: `${tag} (updated)` });
    expect((await call("GET", eventPath)).subject === `${tag} (updated)`, "the event update reads back");
    await call("DELETE", eventPath);
    cleanup.pop();

    log(`To Do task in a new list "${tag}"`);
    const list = await call("POST", "/me/todo/lists", { displayName: tag });
    cleanup.push({ what: "To Do list", path: `/me/todo/lists/${id(list)}` });
    const task = await call("POST", `/me/todo/lists/${id(list)}/tasks`, {
      title: "Smoke test task",
      linkedResources: [{ applicationName: "outlook-crm-sync", externalId: tag, displayName: "smoke" }],
    });
    const taskPath = `/me/todo/lists/${id(list)}/tasks/${id(task)}`;
    cleanup.push({ what: "task", path: taskPath });
    const read = await call("GET", `${taskPath}?$expand=linkedResources`);
    expect(
      Array.isArray(read.linkedResources) &&
        (read.linkedResources as { externalId?: unknown }[]).some((entry) => entry.externalId === tag),
      "the task keeps its linked resource",
    );
    await call("PATCH", taskPath, { status: "completed" });
    expect((await call("GET", taskPath)).status === "completed", "the task update reads back");
    await call("DELETE", taskPath);
    cleanup.pop();
    log("all steps passed");
  } finally {
    for (const made of cleanup.reverse()) {
      try {
        await call("DELETE", made.path);
        log(`  cleaned up the ${made.what}`);
      } catch (error) {
        log(
          `  could not delete the ${made.what} (${made.path}): ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
  }
}

/** The base URL from `--base-url <url>`, then GRAPH_BASE_URL, then Graph's. */
export function baseUrlFrom(argv: readonly string[], env: NodeJS.ProcessEnv): string {
  const at = argv.indexOf("--base-url");
  return (at >= 0 ? argv[at + 1] : undefined) ?? env.GRAPH_BASE_URL ?? DEFAULT_GRAPH_URL;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const token = process.env.GRAPH_TOKEN ?? "";
  if (token === "") {
    console.error(HOW_TO_GET_A_TOKEN);
    process.exit(2);
  }
  const baseUrl = baseUrlFrom(process.argv.slice(2), process.env);
  console.log(`Graph smoke test against ${baseUrl}`);
  smokeGraph({ token, baseUrl }).then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(`FAILED: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
