import { isSyncError } from "../../core/errors";
import type { HostNotice } from "../../ports/outlook-host";
import type { Logger } from "../../ports/logger";

/** The part of an Office add-in command event a command needs: it must be completed exactly once. */
export interface CompletableEvent {
  completed(): void;
}

/** What a ribbon command needs from the host to report its outcome. */
export interface CommandReporter {
  notify(notice: HostNotice): Promise<void>;
  readonly logger: Logger;
}

/** The notification-bar key every CRM command reuses, so a new result replaces the previous one. */
export const COMMAND_NOTICE_KEY = "crmSyncCommand";

/** A failure whose message is already the sentence for the user (another runtime's answer). */
export class ReportedFailure extends Error {
  override readonly name = "ReportedFailure";
}

/** The text a user sees for a failure: the error table's message and action for a SyncError, a generic one otherwise. */
export function failureText(error: unknown): string {
  if (isSyncError(error)) return `${error.userText.message} ${error.userText.action}`;
  if (error instanceof ReportedFailure) return error.message;
  return "CRM Sync hit an unexpected problem. Open the CRM pane for details and the log.";
}

/**
 * Runs one ribbon command (SPEC §7, issue 7): shows `progressText`, runs `action`, then shows its result
 * text (or the failure's message and action) in the item's notification bar. `event.completed()` is called
 * exactly once on every path, also when the notification bar itself fails.
 */
export async function runRibbonCommand(
  event: CompletableEvent,
  reporter: CommandReporter,
  progressText: string,
  action: () => Promise<string>,
): Promise<void> {
  try {
    await reporter.notify({ key: COMMAND_NOTICE_KEY, kind: "progress", text: progressText });
    const result = await action();
    await reporter.notify({ key: COMMAND_NOTICE_KEY, kind: "info", text: result });
  } catch (error) {
    reporter.logger.error("ribbon command failed", { progressText, error: String(error) });
    try {
      await reporter.notify({ key: COMMAND_NOTICE_KEY, kind: "error", text: failureText(error) });
    } catch (notifyError) {
      reporter.logger.error("could not show the command's failure", { error: String(notifyError) });
    }
  } finally {
    event.completed();
  }
}
