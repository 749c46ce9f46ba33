/**
 * Wire schemas of background sync as a user's own clients see it (docs/SPEC.md "Background sync: the headless
 * engine", "A mailbox has one synchronizer"): whether the server syncs the caller's mailbox, its last run, and the
 * add-in's handover of the mailbox to the server.
 */
import { z } from "zod";
import { ClientIdSchema } from "./sync";

/** The client id the server's headless engine registers under, for every mailbox it syncs. */
export const SERVER_CLIENT_ID = "server";

const isoTime = z.iso.datetime({ offset: true });

/** One finished run of the server's headless engine. */
export const BackgroundRunSchema = z.object({
  startedAt: isoTime,
  durationMs: z.int().min(0),
  outcome: z.enum(["ok", "failed", "throttled"]),
  /** Writes the run made to either side. */
  changes: z.int().min(0),
  /** The run's failure, if it stopped, then the items that failed (the first ones). */
  errors: z.array(z.string()),
});

/** `GET /v1/background-sync`: background sync of the caller's own mailbox. */
export const BackgroundSyncStatusSchema = z.object({
  enabled: z.boolean(),
  lastRun: BackgroundRunSchema.nullable(),
  /** When the next scheduled run is due; null while disabled. */
  nextRunAt: isoTime.nullable(),
  /** A run the user asked for (`POST /v1/background-sync/run`, a release) has not started yet. */
  runPending: z.boolean(),
});

/** Body of `POST /v1/background-sync/release`: the client handing the mailbox to the server. */
export const ReleaseMailboxBodySchema = z.strictObject({ clientId: ClientIdSchema });
