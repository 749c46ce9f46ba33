import type { SendDecision } from "../../ports/outlook-host";
import type { CommandReporter } from "./command-runner";

/**
 * What the ribbon commands and the send events ask of the add-in, each call acting on the current item.
 * Every method resolves to the sentence shown in the notification bar, or rejects with a SyncError.
 */
export interface CommandServices extends CommandReporter {
  track(): Promise<string>;
  untrack(): Promise<string>;
  syncNow(): Promise<string>;
  /** Decides an OnMessageSend event; never blocks a send for a sync reason (issue 7). */
  messageSend(): Promise<SendDecision>;
  /** Syncs a tracked appointment on OnAppointmentSend; the send always proceeds. */
  appointmentSend(): Promise<void>;
}
