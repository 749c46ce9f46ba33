/**
 * The Mailbox requirement set a simulated Outlook client supports, and the Api set of every simulated member that
 * needs more than Mailbox 1.1. Each version is the `[Api set: Mailbox x.y]` remark of the member in
 * `@types/office-js` (test/sim/office checks this table against those remarks). A member above the client's level
 * is missing from the object, as it is in a real client of that level, and
 * `Office.context.requirements.isSetSupported("Mailbox", v)` answers whether the level reaches `v`.
 */

/** A Mailbox requirement set version, "major.minor". */
export type MailboxVersion = `${number}.${number}`;

/** The level a client of Outlook on the web supports when nothing else is said. */
export const DEFAULT_MAILBOX_LEVEL: MailboxVersion = "1.14";

/** The Api set of each gated member, by the @types/office-js interface that declares it. */
export const MEMBER_API_SETS = {
  MessageRead: { categories: "1.8", notificationMessages: "1.3" },
  AppointmentRead: { categories: "1.8", notificationMessages: "1.3" },
  MessageCompose: {
    categories: "1.8",
    notificationMessages: "1.3",
    saveAsync: "1.3",
    getItemIdAsync: "1.8",
    getComposeTypeAsync: "1.10",
    from: "1.7",
  },
  Body: { getAsync: "1.3", setAsync: "1.3" },
  Mailbox: {
    masterCategories: "1.8",
    addHandlerAsync: "1.5",
    removeHandlerAsync: "1.5",
    convertToRestId: "1.3",
    convertToEwsId: "1.3",
  },
  UI: { displayDialogAsync: "1.4" },
  MailboxEnums: {
    CategoryColor: "1.8",
    ItemNotificationMessageType: "1.3",
    RestVersion: "1.3",
    ComposeType: "1.10",
  },
} as const satisfies Record<string, Record<string, MailboxVersion>>;

/** Compares two "major.minor" versions numerically (1.10 is above 1.9). */
export function compareMailboxVersions(a: string, b: string): number {
  const [am = 0, an = 0] = a.split(".").map(Number);
  const [bm = 0, bn = 0] = b.split(".").map(Number);
  return am - bm || an - bn;
}

/** Checks that `level` is a version "major.minor"; throws naming it otherwise. */
export function checkedLevel(level: string): MailboxVersion {
  if (!/^1\.\d{1,2}$/.test(level))
    throw new Error(`"${level}" is not a Mailbox requirement set (1.1 … 1.15)`);
  return level as MailboxVersion;
}

/**
 * `object` without the members that need more than `level` (the versions of `sets`, one interface's entry of
 * MEMBER_API_SETS). The object is changed in place and returned.
 */
export function withinLevel<T extends object>(
  object: T,
  level: MailboxVersion,
  sets: Readonly<Record<string, MailboxVersion>>,
): T {
  for (const [member, version] of Object.entries(sets)) {
    if (compareMailboxVersions(version, level) > 0) delete (object as Record<string, unknown>)[member];
  }
  return object;
}

/** Whether `version` ("major.minor", or the deprecated number form: 1.1 means "1.1") is at most `supported`. */
function reaches(minVersion: unknown, supported: string): boolean {
  if (minVersion === undefined) return true;
  const wanted = typeof minVersion === "number" ? minVersion.toFixed(1) : minVersion;
  if (typeof wanted !== "string") return false;
  return compareMailboxVersions(wanted, supported) <= 0;
}

/**
 * `Office.context.requirements.isSetSupported` of a client at `level`: the Mailbox set up to the level; DialogApi
 * as Outlook brings it (dialog-api-requirement-sets, "Outlook support": displayDialogAsync and messageParent in
 * Mailbox 1.4, messageChild, i.e. DialogApi 1.2, in Mailbox 1.9); NestedAppAuth 1.1 where the client has nested
 * app authentication (nested-app-auth-requirement-sets).
 */
export function isSetSupportedAt(
  level: MailboxVersion,
  nestedAppAuth: boolean,
): (name: unknown, minVersion?: unknown) => boolean {
  return (name, minVersion) => {
    if (typeof name !== "string") return false;
    switch (name.toLowerCase()) {
      case "mailbox":
        return reaches(minVersion, level);
      case "dialogapi": {
        const dialogApi =
          compareMailboxVersions(level, "1.9") >= 0
            ? "1.2"
            : compareMailboxVersions(level, "1.4") >= 0
              ? "1.1"
              : null;
        return dialogApi !== null && reaches(minVersion, dialogApi);
      }
      case "nestedappauth":
        return nestedAppAuth && reaches(minVersion, "1.1");
      default:
        return false;
    }
  };
}
