/**
 * What one sync cycle knows while it runs: the ports, the settings and identity it started with, and the
 * initial-sync index. Built by SyncEngine for each cycle or immediate action; never kept between cycles.
 */
import type { PackageFilters } from "../core/customization-package";
import type { FieldMaps } from "../core/field-maps";
import type { MappingOptions } from "../core/mapping";
import type { ClientRole, EntityType, Privilege } from "../core/types";
import type { MailboxItem } from "../ports/mailbox-store";
import type { SyncSettings } from "../ports/settings";
import type { SyncEngineDeps } from "./engine-deps";

/** The signed-in CRM user as the filter and deletion rules need them. */
export interface CycleUser {
  readonly id: string;
  readonly emails: readonly string[];
}

/** Outlook items that the initial synchronization may link to (SPEC §12), by stamped CRM id and by match key. */
export interface LinkIndex {
  readonly byCrmId: Map<string, MailboxItem>;
  /** Key: `${type}:${matchKey}`. Only unlinked, unstamped items. */
  readonly byMatchKey: Map<string, MailboxItem>;
}

export interface CycleContext {
  readonly deps: SyncEngineDeps;
  /** The field mapping of the customization package in force (SPEC §2 by default). */
  readonly maps: FieldMaps;
  /** The local data rules of the package in force (SPEC §4 by default). */
  readonly filters: PackageFilters;
  readonly settings: SyncSettings;
  readonly user: CycleUser;
  readonly privileges: ReadonlySet<Privilege>;
  readonly role: ClientRole;
  /**
   * Entity types that sync at all this cycle: those of the package in force; contacts, appointments and tasks
   * also need SyncToOutlook (SPEC §10).
   */
  readonly syncTypes: ReadonlySet<EntityType>;
  /** The entity types of the package in force, whatever the privileges. */
  readonly packageTypes: ReadonlySet<EntityType>;
  /** The subset of `syncTypes` that also syncs CRM→Outlook by the user's settings (SPEC §9). */
  readonly downloadTypes: ReadonlySet<EntityType>;
  /** Set while the initial synchronization runs: link before create. */
  readonly linkIndex: LinkIndex | null;
}

/** The mapping options of a record: the company field setting and the record's parent account name. */
export function mappingOptions(
  context: CycleContext,
  parentAccountName: string | null | undefined,
): MappingOptions {
  return {
    updateCompanyField: context.settings.updateCompanyField,
    parentAccountName: parentAccountName ?? null,
  };
}

/** True when items of `type` sync in this cycle (e-mail needs no privilege, only the package, SPEC §10, §11). */
export function typeSyncs(context: CycleContext, type: EntityType): boolean {
  return context.syncTypes.has(type);
}
