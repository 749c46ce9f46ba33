/**
 * The scenario's ref table (docs/SCENARIOS.md "Refs"): one ref per logical object. Refs given by the file stick
 * to the item or record they named; a linked pair shares one ref (found through the CRM id stamped on the
 * item); an object sync made without a ref gets `<type>#<n>` in the order it is first seen.
 */
import { SyncError } from "../../core/errors";
import type { FieldValue, Fields } from "../../core/types";

/** CRM keys whose scenario value is another record's ref. */
const RECORD_REFERENCE_KEYS: readonly string[] = ["parentaccount", "seriesid"];

/** An object the table is told about, on one side. */
export interface SeenObject {
  readonly id: string;
  readonly type: string;
}

export class ScenarioRefs {
  private readonly itemRefs = new Map<string, string>();
  private readonly recordRefs = new Map<string, string>();
  private readonly itemsByRef = new Map<string, string>();
  private readonly recordsByRef = new Map<string, string>();
  private readonly counters = new Map<string, number>();

  /** Names an Outlook item; a ref already naming another item moves to this one (a sent draft). */
  setItem(ref: string, itemId: string): void {
    const old = this.itemsByRef.get(ref);
    if (old !== undefined) this.itemRefs.delete(old);
    this.itemsByRef.set(ref, itemId);
    this.itemRefs.set(itemId, ref);
  }

  setRecord(ref: string, crmId: string): void {
    this.recordsByRef.set(ref, crmId);
    this.recordRefs.set(crmId, ref);
  }

  itemRef(itemId: string): string | undefined {
    return this.itemRefs.get(itemId);
  }

  recordRef(crmId: string): string | undefined {
    return this.recordRefs.get(crmId);
  }

  /**
   * A CRM field bag with the refs its reference keys name (a contact's account, an exception's series) replaced
   * by the record ids; throws as {@link recordOf} for a ref without a record.
   */
  resolve(fields: Fields): Fields {
    const resolved: Record<string, FieldValue> = { ...fields };
    for (const key of RECORD_REFERENCE_KEYS) {
      const ref = fields[key];
      if (typeof ref === "string") resolved[key] = this.recordOf(ref);
    }
    return resolved;
  }

  /** The item a ref names; throws SyncError("invalidInput") when the ref has none (yet). */
  itemOf(ref: string): string {
    const itemId = this.itemsByRef.get(ref);
    if (itemId === undefined)
      throw new SyncError("invalidInput", { details: `ref "${ref}" names no Outlook item` });
    return itemId;
  }

  /** The record a ref names; throws SyncError("invalidInput") when the ref has none (yet). */
  recordOf(ref: string): string {
    const crmId = this.recordsByRef.get(ref);
    if (crmId === undefined)
      throw new SyncError("invalidInput", { details: `ref "${ref}" names no CRM record` });
    return crmId;
  }

  /** A linked pair: the side without a ref takes the other side's ref (the copy takes the original's ref). */
  link(itemId: string, crmId: string): void {
    const itemRef = this.itemRefs.get(itemId);
    const recordRef = this.recordRefs.get(crmId);
    if (itemRef !== undefined && recordRef === undefined && !this.recordsByRef.has(itemRef))
      this.setRecord(itemRef, crmId);
    if (recordRef !== undefined && itemRef === undefined && !this.itemsByRef.has(recordRef))
      this.setItem(recordRef, itemId);
  }

  /** Gives every object that has no ref yet one of its own, `<type>#<n>`, in the order given. */
  nameUnseen(items: readonly SeenObject[], records: readonly SeenObject[]): void {
    for (const item of items) if (!this.itemRefs.has(item.id)) this.setItem(this.fresh(item.type), item.id);
    for (const record of records)
      if (!this.recordRefs.has(record.id)) this.setRecord(this.fresh(record.type), record.id);
  }

  private fresh(type: string): string {
    for (;;) {
      const n = (this.counters.get(type) ?? 0) + 1;
      this.counters.set(type, n);
      const ref = `${type}#${n}`;
      if (!this.itemsByRef.has(ref) && !this.recordsByRef.has(ref)) return ref;
    }
  }
}
