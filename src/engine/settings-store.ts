/**
 * SyncSettings in Outlook roaming settings (SPEC §9). Values read back are validated: anything missing or
 * malformed falls back to the given defaults field by field, so a hand-edited or older roaming object can
 * never break the engine.
 */
import { DOWNLOADABLE_ENTITY_TYPES, type DownloadableEntityType } from "../core/types";
import type { SyncSettings } from "../ports/settings";

const ROAMING_KEYS = [
  "entities",
  "updateCompanyField",
  "syncClientId",
  "roaming",
  "intervalMinutes",
] as const;

/**
 * The roaming settings object for `settings` saved by client `clientId`. Roaming settings are shared by every
 * client of the mailbox, so "this client is the synchronizing client" is stored as the synchronizing client's
 * id (`syncClientId`); another client's claim is kept unless this client takes it over. Login options stay
 * per client and are not roamed.
 */
export function settingsToRoaming(
  settings: SyncSettings,
  clientId: string,
  previous: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const claimed = typeof previous["syncClientId"] === "string" ? previous["syncClientId"] : null;
  return {
    entities: [...settings.entities],
    updateCompanyField: settings.updateCompanyField,
    syncClientId: settings.isSyncClient ? clientId : claimed === clientId ? null : claimed,
    roaming: settings.roaming,
    intervalMinutes: settings.intervalMinutes,
  };
}

function isDownloadable(value: unknown): value is DownloadableEntityType {
  return typeof value === "string" && (DOWNLOADABLE_ENTITY_TYPES as readonly string[]).includes(value);
}

/**
 * Settings of client `clientId` from a roaming object, or null when it holds none of the keys; invalid values
 * take the defaults.
 */
export function settingsFromRoaming(
  values: Readonly<Record<string, unknown>>,
  defaults: SyncSettings,
  clientId: string,
): SyncSettings | null {
  if (!ROAMING_KEYS.some((key) => key in values)) return null;
  const { entities, updateCompanyField, syncClientId, roaming, intervalMinutes } = values;
  return {
    ...defaults,
    entities: Array.isArray(entities) && entities.every(isDownloadable) ? entities : defaults.entities,
    updateCompanyField:
      typeof updateCompanyField === "boolean" ? updateCompanyField : defaults.updateCompanyField,
    isSyncClient: typeof syncClientId === "string" ? syncClientId === clientId : defaults.isSyncClient,
    roaming: typeof roaming === "boolean" ? roaming : defaults.roaming,
    intervalMinutes:
      typeof intervalMinutes === "number" && Number.isInteger(intervalMinutes) && intervalMinutes >= 0
        ? intervalMinutes
        : defaults.intervalMinutes,
  };
}
