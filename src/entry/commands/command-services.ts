import type { CommandReporter } from "./command-runner";

/**
 * What the ribbon commands ask of the add-in, each call acting on the current item.
 * Every method resolves to the sentence shown in the notification bar, or rejects with a SyncError.
 */
export interface CommandServices extends CommandReporter {
  track(): Promise<string>;
  untrack(): Promise<string>;
  syncNow(): Promise<string>;
}
