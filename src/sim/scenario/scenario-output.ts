/**
 * The final state of a run as docs/SCENARIOS.md "Output" shows it: CRM records and Outlook items keyed by ref,
 * deleted ones with `deleted: true`, `fields` with values only (record ids inside fields shown as refs),
 * the conflict history and the user-visible errors.
 */
import type { FieldValue, Fields } from "../../core/types";
import type { CrmRecord } from "../../ports/crm-client";
import {
  customPropertiesPropertyId,
  linkFromCustomProperties,
  stampMessageId,
  type CrmLinkStamp,
} from "../../ports/mailbox-store";
import { TASK_LINK_EXTENSION } from "../../adapters/graph/graph-mailbox-store";
import { taskExtensionData } from "../graph/graph-todo";
import type { SimulatedItem } from "../mailbox/simulated-mailbox";
import type { OutputPackages } from "./scenario-packages";

export interface OutputRecord {
  readonly type: string;
  readonly owner: string;
  readonly deleted: boolean;
  readonly fields: Record<string, FieldValue>;
}

export interface OutputItem {
  readonly type: string;
  readonly deleted: boolean;
  readonly tracked: boolean;
  readonly categories: readonly string[];
  readonly fields: Record<string, FieldValue>;
}

export interface OutputConflict {
  readonly ref: string;
  readonly field: string;
  readonly kept: FieldValue;
  readonly overwritten: FieldValue;
  readonly winner: string;
}

/** A user-visible error; a package problem has `ref: null` and names its client. */
export interface OutputError {
  readonly ref: string | null;
  readonly client?: string;
  readonly code: string;
  readonly message: string;
}

export interface ScenarioOutput {
  readonly crm: Record<string, OutputRecord>;
  readonly outlook: Record<string, OutputItem>;
  readonly conflicts: readonly OutputConflict[];
  readonly errors: readonly OutputError[];
  /** Per client: the customization package in force, waiting, and the preferred version to report. */
  readonly packages: Record<string, OutputPackages>;
}

/** Fields with values only; a string that is a known record id is shown as that record's ref. */
export function outputFields(
  fields: Fields,
  refOfRecord: (crmId: string) => string | undefined,
): Record<string, FieldValue> {
  const shown: Record<string, FieldValue> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value === null || value === undefined) continue;
    shown[key] = typeof value === "string" ? (refOfRecord(value) ?? value) : value;
  }
  return shown;
}

/** A record as the output shows it. */
export function outputRecord(
  record: CrmRecord,
  refOfRecord: (crmId: string) => string | undefined,
): OutputRecord {
  return {
    type: record.type,
    owner: record.owner,
    deleted: record.deleted,
    fields: outputFields(record.fields, refOfRecord),
  };
}

/** An item as the output shows it; `tracked` means linked to a record (the stamp names a CRM id). */
export function outputItem(
  item: {
    readonly type: string;
    readonly deleted: boolean;
    readonly categories: readonly string[];
    readonly fields: Fields;
  },
  link: CrmLinkStamp | null,
  refOfRecord: (crmId: string) => string | undefined,
): OutputItem {
  return {
    type: item.type,
    deleted: item.deleted,
    tracked: link?.state === "tracked" && link.crmId !== null,
    categories: [...item.categories],
    fields: outputFields(item.fields, refOfRecord),
  };
}

/**
 * The link stamp on a simulated item, read from the custom properties the add-in wrote; on a To Do task, from
 * the open extension GraphMailboxStore keeps it in when there is one.
 */
export function itemLink(item: SimulatedItem, addinId: string): CrmLinkStamp | null {
  const extension = item.type === "task" ? taskExtensionData(item, TASK_LINK_EXTENSION) : null;
  if (extension !== null) return linkFromCustomProperties(extension);
  const raw = item.extendedProperties[customPropertiesPropertyId(addinId)];
  if (raw === undefined) return null;
  try {
    const parsed: unknown = JSON.parse(raw);
    return typeof parsed === "object" && parsed !== null
      ? linkFromCustomProperties(parsed as Record<string, unknown>, stampMessageId(item.type, item.fields))
      : null;
  } catch {
    return null;
  }
}
