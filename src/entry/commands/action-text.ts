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

/** The sentence shown after a sync: what is pending and whether anything failed. */
export function syncText(status: { readonly pending: number; readonly errors: readonly unknown[] }): string {
  const errors =
    status.errors.length === 0 ? "no errors" : `${status.errors.length} errors (see the CRM pane)`;
  return `Synchronized: ${status.pending} changes pending, ${errors}.`;
}
