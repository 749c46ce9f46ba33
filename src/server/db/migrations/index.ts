/** Every migration in order. Append new ones; never edit one that has shipped. */
import { initialSchema } from "./0001-initial-schema";
import { administrators } from "./0002-administrators";
import { packageAccess } from "./0003-package-access";
import { recordSize } from "./0004-record-size";
import { tokenExpiry } from "./0006-token-expiry";
import { recordIdIndexes } from "./0005-record-id-indexes";
import { serverMailboxes } from "./0007-server-mailboxes";
import { signInIdentity } from "./0008-sign-in-identity";
import { graphSubscriptions } from "./0009-graph-subscriptions";
import { removedFromOutlook } from "./0010-removed-from-outlook";
import { mailboxHandover } from "./0011-mailbox-handover";

/** One schema change: applied once, in `version` order, inside the start-up transaction. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  initialSchema,
  administrators,
  packageAccess,
  recordSize,
  recordIdIndexes,
  tokenExpiry,
  serverMailboxes,
  signInIdentity,
  graphSubscriptions,
  removedFromOutlook,
  mailboxHandover,
];
