/**
 * The demo mailbox the simulator page starts with: a few contacts, meetings, tasks and e-mails in the signed-in
 * user's Outlook, none of them tracked yet, so Track in CRM, the send events and sync can be tried at once.
 */
import { canonicalDateTime } from "../../sim/mailbox/field-catalog";
import type { NewItem, SimulatedMailbox } from "../../sim/mailbox/simulated-mailbox";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Fills `mailbox` with the demo items; times are relative to `now` so meetings stay in the future. */
export function loadDemoMailbox(mailbox: SimulatedMailbox, now: number): void {
  const at = (offset: number): string => canonicalDateTime(Math.floor((now + offset) / HOUR) * HOUR);
  const me = mailbox.owner.emailAddress;
  const items: NewItem[] = [
    {
      type: "contact",
      fields: {
        firstName: "Bo",
        lastName: "Chen",
        email1Address: "bo.chen@fabrikam.example",
        jobTitle: "Purchasing manager",
        businessTelephoneNumber: "+1 425 555 0142",
      },
    },
    {
      type: "contact",
      fields: {
        firstName: "Dana",
        lastName: "Fischer",
        email1Address: "dana.fischer@adatum.example",
        jobTitle: "Head of operations",
        mailingAddressCity: "Munich",
      },
    },
    {
      type: "appointment",
      fields: {
        subject: "Quarterly review with Fabrikam",
        location: "Teams",
        start: at(2 * DAY),
        end: at(2 * DAY + HOUR),
        organizer: me,
        requiredAttendees: ["bo.chen@fabrikam.example"],
        showTimeAs: "busy",
      },
    },
    {
      type: "task",
      fields: {
        subject: "Send the Fabrikam proposal",
        dueDate: at(3 * DAY),
        priority: "high",
        status: "notStarted",
      },
    },
    {
      type: "email",
      fields: {
        subject: "Pricing for the 2027 renewal",
        body: "Hi, could you send the updated price list before Friday? Thanks, Bo",
        from: "bo.chen@fabrikam.example",
        to: [me],
        receivedAt: at(-2 * HOUR),
        internetMessageId: "<renewal-2027@fabrikam.example>",
        direction: "incoming",
      },
    },
    {
      type: "email",
      fields: {
        subject: "Site visit next week",
        body: "Dana, confirming the site visit on Tuesday at 10:00.",
        from: me,
        to: ["dana.fischer@adatum.example"],
        sentAt: at(-DAY),
        internetMessageId: "<site-visit@contoso.example>",
        direction: "outgoing",
      },
    },
  ];
  for (const item of items) mailbox.createItem(item, { notify: false, by: "world" });
}
