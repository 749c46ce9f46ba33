import { SyncError } from "../../core/errors";
import type { CommandServices } from "./command-services";

/**
 * Builds the command services over the real adapters. The sync engine is not part of this build yet, so this
 * rejects with a SyncError that the command runner turns into a notification; the events still complete.
 */
export function connectCommandServices(): Promise<CommandServices> {
  return Promise.reject(
    new SyncError("serverError", { details: "The sync engine is not wired into this build yet." }),
  );
}
