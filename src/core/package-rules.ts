/**
 * What the add-in does with a customization package the server offers (SPEC §11, §12), as tables:
 * - {@link OFFER_RULES}: keep, reject, apply after pushing local changes, apply on the user's confirmation, or wait;
 * - {@link planPackageRebuild}: which entity types an applied package tears down and which need an initial sync;
 * - {@link unsavedLocalChanges}: the pending local changes a new package could not save (item, field, why);
 * - {@link PACKAGE_PROBLEMS}: what the user is told about each package problem and what to do.
 */
import type { CustomizationPackage, PackageMetadata } from "./customization-package";
import { samePackage } from "./customization-package";
import type { ErrorCode } from "./errors";
import type { FieldMaps } from "./field-maps";
import { firstMatch, type FactRow } from "./rule-table";
import { DOWNLOADABLE_ENTITY_TYPES, SYNCED_ENTITY_TYPES, type EntityType } from "./types";
import { checkPackageCompatibility } from "./version-range";

/**
 * - `keep`: the offered package is the one applied; nothing to do.
 * - `reject`: the add-in's version is not in `products`; the package is not applied.
 * - `applyAfterPush`: push every pending local change under the applied package, then apply (schema compatible,
 *   or the first package, which has nothing to compare with).
 * - `applyConfirmed`: the user confirmed a schema-incompatible package; apply it as it is.
 * - `wait`: schema incompatible and not confirmed; the package waits for the user.
 */
export type OfferAction = "keep" | "reject" | "applyAfterPush" | "applyConfirmed" | "wait";

/** Facts about an offered package that {@link OFFER_RULES} reads. */
export type OfferFact =
  "sameAsApplied" | "productCompatible" | "firstInstall" | "schemaCompatible" | "confirmed";

/** SPEC §11 in order; the first row whose facts hold wins. */
export const OFFER_RULES: readonly FactRow<OfferFact, OfferAction>[] = [
  { when: { sameAsApplied: true }, outcome: "keep" },
  { when: { productCompatible: false }, outcome: "reject" },
  { when: { firstInstall: true }, outcome: "applyAfterPush" },
  { when: { schemaCompatible: true }, outcome: "applyAfterPush" },
  { when: { confirmed: true }, outcome: "applyConfirmed" },
  { when: {}, outcome: "wait" },
];

/** The decision about one offered package. */
export interface OfferDecision {
  readonly action: OfferAction;
  /** The preferred version to report (SPEC §11), or null when it need not be reported. */
  readonly preferredProduct: string | null;
}

/**
 * Decides what to do with `offered` (SPEC §11). `confirmed` says the user confirmed this very package while it
 * waited. Throws `SyncError("invalidVersionRange")` when a range list or version is malformed (the content
 * check has already refused such a package).
 */
export function decidePackageOffer(input: {
  readonly productVersion: string;
  readonly applied: CustomizationPackage | null;
  readonly offered: CustomizationPackage;
  readonly confirmed: boolean;
}): OfferDecision {
  const { productVersion, applied, offered } = input;
  const report = checkPackageCompatibility({
    productVersion,
    current: applied === null ? null : { version: applied.version, entityTypes: applied.entityTypes },
    next: offered,
  });
  const action = firstMatch("OFFER_RULES", OFFER_RULES, {
    sameAsApplied: samePackage(applied, offered),
    productCompatible: report.product === "compatible",
    firstInstall: report.schema === "firstInstall",
    schemaCompatible: report.schema === "compatible",
    confirmed: input.confirmed,
  });
  return { action, preferredProduct: report.preferredProduct };
}

/** What applying a package changes in the local structure (SPEC §11 "Object structure changed", §12). */
export interface RebuildPlan {
  /** Types the new package no longer syncs: their mappings are dropped, items and records stay. */
  readonly teardown: readonly EntityType[];
  /** Types that need an initial synchronization: list from the start, link before creating. */
  readonly build: readonly EntityType[];
}

function sameRules(a: FieldMaps, b: FieldMaps, type: EntityType): boolean {
  return JSON.stringify(a[type]) === JSON.stringify(b[type]);
}

function sameFilter(a: PackageMetadata, b: PackageMetadata, type: EntityType): boolean {
  if (!(DOWNLOADABLE_ENTITY_TYPES as readonly string[]).includes(type)) return true;
  const key = type as (typeof DOWNLOADABLE_ENTITY_TYPES)[number];
  return JSON.stringify([...a.filters[key]].sort()) === JSON.stringify([...b.filters[key]].sort());
}

/**
 * The rebuild an applied package needs, compared with what was in force before (`previous.role` is null while
 * the default package was in force). A type is torn down when the new package drops it. A type needs an initial
 * synchronization when the new package adds it, maps its fields differently or filters it differently, and every
 * type does when the role changed (a metadata change of the user, SPEC §12). Types keep SPEC order.
 */
export function planPackageRebuild(
  previous: { readonly role: string | null; readonly metadata: PackageMetadata },
  next: { readonly role: string; readonly metadata: PackageMetadata },
): RebuildPlan {
  const before = previous.metadata;
  const after = next.metadata;
  const roleChanged = previous.role !== null && previous.role !== next.role;
  return {
    teardown: SYNCED_ENTITY_TYPES.filter(
      (type) => before.entityTypes.includes(type) && !after.entityTypes.includes(type),
    ),
    build: SYNCED_ENTITY_TYPES.filter(
      (type) =>
        after.entityTypes.includes(type) &&
        (roleChanged ||
          !before.entityTypes.includes(type) ||
          !sameRules(before.fieldMaps, after.fieldMaps, type) ||
          !sameFilter(before, after, type)),
    ),
  };
}

/** A pending local change: the item's mapping, its type, what happened, and the Outlook fields it changed. */
export interface LocalChange {
  readonly mapId: string;
  readonly type: EntityType;
  /** `track`: a new item to create in the CRM; `upsert`: edited fields; `remove`: a delete or untrack. */
  readonly kind: "track" | "upsert" | "remove";
  /** Outlook keys whose values changed since the snapshot (every field with a value for `track`). */
  readonly fields: readonly string[];
}

/** Why a new package could not save a local change. */
export type UnsavedReason = "typeNotSynced" | "fieldNotSynced";

/** One local change that the new package could not save: the item, the field (null: the whole change) and why. */
export interface UnsavedChange {
  readonly mapId: string;
  readonly type: EntityType;
  readonly field: string | null;
  readonly reason: UnsavedReason;
}

/**
 * The pending local changes that `next` could not save (SPEC §11 "Schema incompatible"): a change of a type the
 * package does not sync at all, and each edited field that no rule of the package sends to the CRM (a `both`
 * rule; a new item also sends `onTrack` rules).
 */
export function unsavedLocalChanges(changes: readonly LocalChange[], next: PackageMetadata): UnsavedChange[] {
  const unsaved: UnsavedChange[] = [];
  for (const change of changes) {
    if (!next.entityTypes.includes(change.type)) {
      unsaved.push({ mapId: change.mapId, type: change.type, field: null, reason: "typeNotSynced" });
      continue;
    }
    if (change.kind === "remove") continue;
    const sent = new Set(
      next.fieldMaps[change.type]
        .filter(
          (rule) => rule.direction === "both" || (change.kind === "track" && rule.direction === "onTrack"),
        )
        .flatMap((rule) => rule.outlook),
    );
    for (const field of change.fields) {
      if (!sent.has(field))
        unsaved.push({ mapId: change.mapId, type: change.type, field, reason: "fieldNotSynced" });
    }
  }
  return unsaved;
}

/** The plural the user reads for an entity type. */
export const ENTITY_PLURALS: Readonly<Record<EntityType, string>> = {
  contact: "contacts",
  appointment: "appointments",
  task: "tasks",
  email: "e-mails",
};

/** The words of {@link UNSAVED_REASON_TEXT}: the new package's version, the item, and the change's field. */
export interface UnsavedFacts {
  readonly version: string;
  readonly type: EntityType;
  /** The item as the user knows it (subject or name). */
  readonly label: string;
  readonly field: string | null;
}

/** Which change could not be saved and why, as the user reads it. */
export const UNSAVED_REASON_TEXT: Readonly<Record<UnsavedReason, (facts: UnsavedFacts) => string>> = {
  typeNotSynced: (f) =>
    `Your change to the ${f.type} "${f.label}" cannot be saved in the CRM: package ${f.version} does not sync ${ENTITY_PLURALS[f.type]}.`,
  fieldNotSynced: (f) =>
    `Your change to "${f.field ?? ""}" of the ${f.type} "${f.label}" cannot be saved in the CRM: package ${f.version} does not send that field.`,
};

/**
 * The causes of a package problem:
 * - `forbidden`: the download answered 403 (missing privilege);
 * - `notPublished`: no package is published for the user's role;
 * - `content`: the zip is not a valid package (a required file missing, info.xml or a metadata file malformed);
 * - `productIncompatible`: the add-in's version is not in the package's `products`;
 * - `schemaIncompatible`: the package waits for the user's confirmation.
 */
export type PackageProblemCause =
  "forbidden" | "notPublished" | "content" | "productIncompatible" | "schemaIncompatible";

/** The words a problem's text needs; each template reads the ones its cause has. */
export interface PackageProblemFacts {
  readonly role: string;
  /** The offered package's version, when one was read. */
  readonly version: string | null;
  readonly productVersion: string;
  readonly preferredProduct: string | null;
  /** What the content check said. */
  readonly detail: string | null;
}

/** What the user is told about a package problem: the error code, what happened (likely cause) and what to do. */
export interface PackageProblemText {
  readonly code: Extract<ErrorCode, "packageUnavailable" | "productIncompatible" | "schemaIncompatible">;
  readonly message: (facts: PackageProblemFacts) => string;
  readonly action: string;
}

const KEEPS_OLD = "The CRM package in use stays in force.";

const named = (version: string | null): string =>
  version === null ? "The CRM package" : `CRM package ${version}`;

/** One row per cause (Oracle and Siebel seeds: the likely cause, and what the user or administrator does). */
export const PACKAGE_PROBLEMS: Readonly<Record<PackageProblemCause, PackageProblemText>> = {
  forbidden: {
    code: "packageUnavailable",
    message: () =>
      `The CRM package could not be downloaded: you lack the privilege to download it (HTTP 403). ${KEEPS_OLD}`,
    action: "Ask your CRM administrator for the privilege, then sync again.",
  },
  notPublished: {
    code: "packageUnavailable",
    message: (f) => `No CRM package is published for your role "${f.role}". ${KEEPS_OLD}`,
    action: "Ask your CRM administrator to publish a package for your role.",
  },
  content: {
    code: "packageUnavailable",
    message: (f) => `${named(f.version)} is incomplete or damaged: ${f.detail ?? "unreadable"}. ${KEEPS_OLD}`,
    action: "Tell your CRM administrator: every package zip must hold info.xml and all the metadata files.",
  },
  productIncompatible: {
    code: "productIncompatible",
    message: (f) =>
      `${named(f.version)} does not support this add-in version ${f.productVersion}, so it was not applied.` +
      (f.preferredProduct === null ? "" : ` The preferred add-in version is ${f.preferredProduct}.`),
    action: "Install the preferred add-in version, or ask your CRM administrator.",
  },
  schemaIncompatible: {
    code: "schemaIncompatible",
    message: (f) =>
      `${named(f.version)} is not schema-compatible with the package in use, so it waits for your confirmation.`,
    action: "Review the listed changes, then confirm the package in the task pane.",
  },
};
