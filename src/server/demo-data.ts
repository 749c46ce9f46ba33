/** Demo data for `outlook-crm-server demo`: two sales users, their accounts, contacts, meetings and tasks. */
import type { CrmService } from "./sync/crm-service";
import { DEFAULT_ROLE } from "./sync/user-service";

/** The demo users and a fresh token for each. */
export interface DemoResult {
  readonly tokens: Readonly<Record<string, string>>;
  readonly records: number;
}

/** Loads the demo into an empty CRM and publishes the default package 1.0.0.0 for the default role. */
export async function loadDemoData(service: CrmService): Promise<DemoResult> {
  const people = [
    { id: "alice", emails: ["alice@contoso.example"], displayName: "Alice Adams" },
    { id: "bob", emails: ["bob@contoso.example"], displayName: "Bob Brown" },
  ];
  const tokens: Record<string, string> = {};
  for (const person of people) {
    await service.users.create({ ...person, privileges: ["SyncToOutlook", "GoOffline"] });
    tokens[person.id] = await service.users.issueToken(person.id, "demo");
  }
  let records = 0;
  const create = async (
    by: string,
    type: "account" | "contact" | "appointment" | "task",
    fields: Record<string, string | number | string[]>,
  ) => {
    records += 1;
    return (await service.records.create({ by, type, fields })).record;
  };
  const contoso = await create("alice", "account", { name: "Contoso Ltd" });
  const fabrikam = await create("bob", "account", { name: "Fabrikam Inc" });
  await create("alice", "contact", {
    firstname: "Ann",
    lastname: "Lee",
    emailaddress1: "ann.lee@contoso.example",
    jobtitle: "Buyer",
    telephone1: "+1 555 0100",
    parentaccount: contoso.id,
  });
  await create("alice", "contact", {
    firstname: "Carl",
    lastname: "Diaz",
    emailaddress1: "carl@contoso.example",
    parentaccount: contoso.id,
  });
  await create("bob", "contact", {
    firstname: "Dana",
    lastname: "Eng",
    emailaddress1: "dana@fabrikam.example",
    parentaccount: fabrikam.id,
  });
  await create("alice", "appointment", {
    subject: "Contoso quarterly review",
    scheduledstart: "2026-03-03T14:00:00Z",
    scheduledend: "2026-03-03T15:00:00Z",
    scheduleddurationminutes: 60,
    location: "Room 4",
    organizer: "alice",
    requiredattendees: ["bob@contoso.example", "ann.lee@contoso.example"],
    statecode: 3,
    statuscode: 5,
  });
  await create("alice", "task", {
    subject: "Send the Contoso proposal",
    scheduledend: "2026-03-05T17:00:00Z",
    prioritycode: 2,
    statecode: 0,
    statuscode: 2,
  });
  await create("bob", "task", { subject: "Call Fabrikam", prioritycode: 1, statecode: 0, statuscode: 3 });
  await service.packages.publish({
    role: DEFAULT_ROLE,
    version: "1.0.0.0",
    preferredProduct: "1.0.0.0",
    products: "1.0.0.0-1.99.99.99",
    schemas: "1.0.0.0",
  });
  return { tokens, records };
}
