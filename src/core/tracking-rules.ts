/**
 * When a tracking action reaches the CRM (SPEC §7, the seed's Appendix B), as one first-match table.
 * Rows read left to right: item group, clients, actions, surface → timing.
 */
import { invariant } from "./errors";

/** What the user did to the item. */
export type SyncAction = "track" | "untrack" | "setRegarding" | "update" | "delete";
/** The item as the tracking rules distinguish it. */
export type TrackedItemKind =
  "contact" | "appointment" | "task" | "receivedEmail" | "sentEmail" | "draftEmail";
/** The client the action happened on; a delegate works in someone else's mailbox. */
export type TrackingClient = "primary" | "secondary" | "delegate";
/** Inspector: the item's own form; explorer: a selection in a list view. */
export type Surface = "explorer" | "inspector";
/**
 * When the change is sent:
 * - `immediate`: now, by this client;
 * - `onSaveOrClose`: when the item's form is saved or closed;
 * - `onSend`: when the draft is sent (OnMessageSend);
 * - `nextSync`: at this client's next sync, under the deletion rules for deletes;
 * - `deferToPrimary`: the request is stored on the item and the primary client processes it at its next sync;
 * - `never`: nothing is sent to the CRM.
 */
export type SyncTiming = "immediate" | "onSaveOrClose" | "onSend" | "nextSync" | "deferToPrimary" | "never";

/** The item groups of SPEC §7. */
export type TrackedItemGroup = "nonEmail" | "sentOrReceivedEmail" | "draftEmail";

/** Which group each item kind belongs to. */
export const TRACKED_ITEM_GROUPS: Readonly<Record<TrackedItemKind, TrackedItemGroup>> = {
  contact: "nonEmail",
  appointment: "nonEmail",
  task: "nonEmail",
  receivedEmail: "sentOrReceivedEmail",
  sentEmail: "sentOrReceivedEmail",
  draftEmail: "draftEmail",
};

/** One row of {@link SYNC_TIMING_RULES}; `"any"` matches every value of that column. */
export interface SyncTimingRow {
  readonly group: TrackedItemGroup;
  readonly clients: readonly TrackingClient[] | "any";
  readonly actions: readonly SyncAction[] | "any";
  readonly surface: Surface | "any";
  readonly timing: SyncTiming;
}

/**
 * SPEC §7, first matching row wins. Where the seed's Appendix B is silent, the rows marked below choose:
 * untrack in an explorer is immediate like track there; an update from an explorer (no form to close) is found
 * by the next sync's scan; setting regarding on a draft is kept with its tracking request and sent with it.
 */
// prettier-ignore
export const SYNC_TIMING_RULES: readonly SyncTimingRow[] = [
  { group: "nonEmail",            clients: ["secondary", "delegate"], actions: "any",                                       surface: "any",       timing: "deferToPrimary" },
  { group: "nonEmail",            clients: ["primary"],               actions: ["track"],                                   surface: "explorer",  timing: "immediate" },
  { group: "nonEmail",            clients: ["primary"],               actions: ["setRegarding"],                            surface: "any",       timing: "immediate" },
  { group: "nonEmail",            clients: ["primary"],               actions: ["track", "update", "untrack"],              surface: "inspector", timing: "onSaveOrClose" },
  { group: "nonEmail",            clients: ["primary"],               actions: ["untrack"],                                 surface: "explorer",  timing: "immediate" }, // seed silent
  { group: "nonEmail",            clients: ["primary"],               actions: ["update"],                                  surface: "explorer",  timing: "nextSync" }, // seed silent
  { group: "nonEmail",            clients: ["primary"],               actions: ["delete"],                                  surface: "any",       timing: "nextSync" },
  { group: "sentOrReceivedEmail", clients: "any",                     actions: ["delete"],                                  surface: "any",       timing: "nextSync" },
  { group: "sentOrReceivedEmail", clients: "any",                     actions: ["track", "setRegarding", "untrack", "update"], surface: "any",    timing: "immediate" },
  { group: "draftEmail",          clients: "any",                     actions: ["track", "update", "setRegarding"],         surface: "any",       timing: "onSend" }, // setRegarding: seed silent
  { group: "draftEmail",          clients: "any",                     actions: ["untrack", "delete"],                       surface: "any",       timing: "never" },
];

/** Input of {@link decideSyncTiming}. */
export interface SyncTimingInput {
  readonly action: SyncAction;
  readonly item: TrackedItemKind;
  readonly client: TrackingClient;
  readonly surface: Surface;
}

/** When the action's change is sent to the CRM (SPEC §7), from {@link SYNC_TIMING_RULES}. Total over its input. */
export function decideSyncTiming(input: SyncTimingInput): SyncTiming {
  const group = TRACKED_ITEM_GROUPS[input.item];
  const row = SYNC_TIMING_RULES.find(
    (candidate) =>
      candidate.group === group &&
      (candidate.clients === "any" || candidate.clients.includes(input.client)) &&
      (candidate.actions === "any" || candidate.actions.includes(input.action)) &&
      (candidate.surface === "any" || candidate.surface === input.surface),
  );
  invariant(row !== undefined, `SYNC_TIMING_RULES has no row for ${JSON.stringify(input)}.`);
  return row.timing;
}
