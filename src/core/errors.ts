/**
 * The one error type of the product, and the one table that says what a user is told about each code.
 * Expected errors (network down, 403, bad input) are part of normal operation and shown to the user;
 * a broken invariant is a {@link BugError} and is never expected.
 */

/** Every error code the product can raise, with the message a user sees and what they should do. */
export const ERROR_TABLE = {
  network: {
    message: "The CRM server could not be reached.",
    action: "Check your connection. Sync retries automatically.",
  },
  mailboxUnreachable: {
    message: "Your mailbox (Microsoft Graph) could not be reached.",
    action: "Check your connection. Sync retries automatically.",
  },
  mailboxServerError: {
    message: "Your mailbox (Microsoft Graph) had a problem with this request.",
    action: "Sync retries automatically. If this persists, reload Outlook.",
  },
  serverError: {
    message: "The CRM server had a problem with this request.",
    action: "Sync retries automatically. If this persists, tell your CRM administrator.",
  },
  unauthorized: {
    message: "Your sign-in to the CRM has expired or is not valid.",
    action: "Sign in again from the task pane's settings.",
  },
  forbidden: {
    message: "You do not have permission for this CRM operation.",
    action: "Ask your CRM administrator for the privilege.",
  },
  notFound: {
    message: "The CRM record no longer exists.",
    action: "Nothing to do: the item is unlinked at the next sync.",
  },
  conflict: {
    message: "The CRM record was changed by someone else at the same time.",
    action: "Sync merges both changes automatically at the next sync.",
  },
  invalidInput: {
    message: "Some data was not valid.",
    action: "Correct the field named in the details and try again.",
  },
  rateLimited: {
    message: "The server asked to slow down.",
    action: "Sync waits and retries automatically.",
  },
  backgroundSyncOff: {
    message: "The CRM server does not sync your mailbox in the background.",
    action: "Sync from Outlook, or ask your CRM administrator to enable background sync for you.",
  },
  resyncRequired: {
    message: "This client was offline too long to catch up change by change.",
    action: "A full synchronization runs automatically.",
  },
  noSyncPrivilege: {
    message: "Contacts, appointments and tasks do not sync because you lack the SyncToOutlook privilege.",
    action: "Ask your CRM administrator for SyncToOutlook. E-mail tracking still works.",
  },
  noOfflinePrivilege: {
    message: "CRM data is not kept on this device because you lack the GoOffline privilege.",
    action: "Ask your CRM administrator for GoOffline if you need offline look-ups.",
  },
  storageUnavailable: {
    message: "This browser does not allow the add-in to store data.",
    action: "Sync state will not survive a reload. Leave private browsing or allow site storage.",
  },
  storageNotPersistent: {
    message: "The browser may clear the add-in's stored data when space runs low.",
    action: "Nothing is lost in the CRM; a cleared cache is rebuilt without duplicates.",
  },
  storageClosed: {
    message:
      "The add-in's local storage was closed: a newer version of the add-in opened in another tab, or the browser closed it.",
    action: "Reload this tab to continue syncing.",
  },
  quotaExceeded: {
    message: "The browser's storage for the add-in is full.",
    action: "Free space in the browser or clear old site data, then sync again.",
  },
  syncFailed: {
    message: "This item failed to sync several times.",
    action: "Check the error details, correct the item if needed, then press Retry.",
  },
  productIncompatible: {
    message: "The CRM's customization package needs a different version of the add-in.",
    action: "Install the preferred version named in the details, or ask your administrator.",
  },
  schemaIncompatible: {
    message: "The new customization package cannot save some of your local changes.",
    action: "Review the listed changes, then confirm to apply the package.",
  },
  packageUnavailable: {
    message: "The customization package could not be downloaded or is incomplete.",
    action: "The previous package stays in use. Tell your CRM administrator.",
  },
  changeNotSaved: {
    message: "A local change was not saved in the CRM: the customization package in force does not sync it.",
    action: "Enter the change in the CRM yourself if it is still needed, then dismiss this message.",
  },
  notInPackage: {
    message: "The customization package for your role does not sync this kind of item.",
    action: "Ask your CRM administrator to add it to the package for your role.",
  },
  invalidScenario: {
    message: "The scenario file is not valid.",
    action: "Fix the JSON path named in the details.",
  },
  invalidVersionRange: {
    message: "A version range is malformed.",
    action: "Fix the range at the position named in the details.",
  },
  outlookFailed: {
    message: "Outlook refused an operation on the item.",
    action: "Sync retries automatically. If this persists, reopen the item or reload Outlook.",
  },
} as const satisfies Record<string, { message: string; action: string }>;

export type ErrorCode = keyof typeof ERROR_TABLE;

/** The product's error: a code from {@link ERROR_TABLE}, details for logs, a cause, and whether expected. */
/** Marks a SyncError whatever bundle made it (the global symbol registry is shared by every realm). */
const SYNC_ERROR_BRAND = Symbol.for("outlook-crm-sync.SyncError");

export class SyncError extends Error {
  override readonly name = "SyncError";
  readonly [SYNC_ERROR_BRAND] = true;
  readonly code: ErrorCode;
  readonly expected: boolean;
  readonly details: string | undefined;
  /** Set when the server asked to be called again no sooner than this time (ms since the epoch): a throttle handed back. */
  readonly retryAt: number | undefined;

  constructor(
    code: ErrorCode,
    options: { details?: string; cause?: unknown; expected?: boolean; retryAt?: number } = {},
  ) {
    super(options.details ? `${ERROR_TABLE[code].message} ${options.details}` : ERROR_TABLE[code].message, {
      cause: options.cause,
    });
    this.code = code;
    this.expected = options.expected ?? true;
    this.details = options.details;
    this.retryAt = options.retryAt;
  }

  /** What the user is told: the message, the details when there are any, and what to do. */
  get userText(): { message: string; action: string; details: string | undefined } {
    return {
      message: ERROR_TABLE[this.code].message,
      action: ERROR_TABLE[this.code].action,
      details: this.details,
    };
  }
}

/**
 * True for a SyncError, also one made in another frame's bundle: the simulator page's add-in frames share one
 * runtime, whose errors are of the page's SyncError class, not the frame's, so `instanceof` cannot tell.
 */
export function isSyncError(value: unknown): value is SyncError {
  return (
    value instanceof SyncError ||
    (typeof value === "object" &&
      value !== null &&
      (value as Record<symbol, unknown>)[SYNC_ERROR_BRAND] === true)
  );
}

/** A broken invariant: a defect in this code, never the user's fault and never retried as if transient. */
export class BugError extends Error {
  override readonly name = "BugError";
}

/** Throws a {@link BugError} when `condition` is false. */
export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new BugError(message);
}
