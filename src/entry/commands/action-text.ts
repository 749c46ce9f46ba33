import type { ActionOutcome } from "../../engine/sync-engine";
import type { CurrentItemKind } from "../../ports/outlook-host";

/** Where an action on the item the user has open counts as made (SPEC §7): its own form, or the list. */
export function surfaceOf(mode: "read" | "compose"): "inspector" | "explorer" {
  return mode === "compose" ? "inspector" : "explorer";
}

/** Untrack offers "also delete in CRM?" only for contacts and e-mail (SPEC §8). */
export function untrackOffersDelete(kind: CurrentItemKind): boolean {
  return kind === "contact" || kind === "receivedEmail" || kind === "sentEmail";
}

const TRACK_TEXT: Readonly<Record<ActionOutcome["timing"], string>> = {
  immediate: "Tracked in CRM.",
  onSaveOrClose: "Marked for tracking: it goes to the CRM when the item is saved or closed.",
  onSend: "Marked for tracking: the message goes to the CRM when it is sent.",
  nextSync: "Marked for tracking: it goes to the CRM at the next sync.",
  deferToPrimary: "Tracking requested: your synchronizing client links it at its next sync.",
  never: "This item cannot be tracked.",
};

const UNTRACK_TEXT: Readonly<Record<ActionOutcome["timing"], string>> = {
  immediate: "Untracked.",
  onSaveOrClose: "Untracked: the CRM is updated when the item is saved or closed.",
  onSend: "Untracked.",
  nextSync: "Untracked: the CRM is updated at the next sync.",
  deferToPrimary: "Untrack requested: your synchronizing client unlinks it at its next sync.",
  never: "Untracked: this draft will not be tracked when sent.",
};

/** The sentence the notification bar or the task pane shows after Track in CRM or Untrack. */
export function actionText(action: "track" | "untrack", outcome: ActionOutcome): string {
  return (action === "track" ? TRACK_TEXT : UNTRACK_TEXT)[outcome.timing];
}

/** What was true of the item around the action, so the sentence after it is too. */
export interface ActionFacts {
  /** The item's link stamp before the action ("tracked", "trackRequested", …), or null when it had none. */
  readonly stampBefore: string | null;
  /** The action's change is still waiting in the change log after an immediate sync (the CRM did not take it). */
  readonly stillPending: boolean;
}

/**
 * The sentence after a ribbon Track or Untrack, true also when the action had nothing to do: Track on an item
 * already tracked, Untrack on one that was never tracked, or an immediate Track the CRM did not take yet.
 */
export function commandText(action: "track" | "untrack", outcome: ActionOutcome, facts: ActionFacts): string {
  if (action === "track") {
    if (outcome.mapId === null && facts.stampBefore === "tracked")
      return "This item is already tracked in CRM.";
    if (outcome.timing === "immediate" && facts.stillPending) {
      return "Marked for tracking: the CRM did not take it yet, so it is sent again at the next sync.";
    }
    return actionText("track", outcome);
  }
  if (outcome.mapId === null && facts.stampBefore === null) {
    return "This item is not tracked in CRM: there was nothing to untrack.";
  }
  return actionText("untrack", outcome);
}

/** The sentence shown after a sync: what is pending and whether anything failed. */
export function syncText(status: { readonly pending: number; readonly errors: readonly unknown[] }): string {
  const errors =
    status.errors.length === 0 ? "no errors" : `${status.errors.length} errors (see the CRM pane)`;
  return `Synchronized: ${status.pending} changes pending, ${errors}.`;
}
