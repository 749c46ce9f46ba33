/**
 * Mappings packed into chunk rows (schema v5): up to {@link CHUNK_SIZE} mappings share one IndexedDB row, so a
 * batch of 500 mappings made together (one pulled page) is about 32 row writes instead of 500. A row lists
 * its mapIds, crmIds and itemIds in arrays that multiEntry indexes cover, so every look-up is still one index
 * read; the uniqueness of those ids is checked here, over the rows a write loaded, because a unique index
 * would reject a row written before the row that gives the id up. New mappings go into the last row until it
 * is full; a write rewrites each row it touches whole and deletes a row it empties, so a batch of mappings
 * made at different times (one in each row) writes up to CHUNK_SIZE times the bytes it changes.
 */
import { unwrap, type IDBPObjectStore, type StoreNames } from "idb";
import { z } from "zod";
import { BugError } from "../../core/errors";
import type { Mapping } from "../../ports/local-cache";
import { checkStored, mappingSchema } from "../cache-rules/cache-records";
import { mapIdInUseError, uniqueKeyError } from "../cache-rules/cache-errors";
import type { CacheDb } from "./idb-schema";

/**
 * Mappings per chunk row. In Chromium (bench/README.md "IndexedDB cache") 16 applies a 500-record page about
 * as fast as 32 while halving the cost of a batch spread over many rows; 8 made the page slower.
 */
export const CHUNK_SIZE = 16;

/** Keys this many or more are located with one range read of their index instead of one read each. */
const RANGE_READ_MIN = 16;

/** One chunk row: its number, the ids its indexes cover, and its mappings in the order they were added. */
export interface MappingChunkRow {
  readonly chunk: number;
  readonly mapIds: readonly string[];
  readonly crmIds: readonly string[];
  readonly itemIds: readonly string[];
  readonly mappings: readonly Mapping[];
}

type ChunkIndex = "byMapId" | "byCrmId" | "byItemId";
type ChunkStore<M extends IDBTransactionMode> = IDBPObjectStore<
  CacheDb,
  ArrayLike<StoreNames<CacheDb>>,
  "mappingChunks",
  M
>;

/** What a chunk row must hold to be read at all; each mapping is checked in full when it is handed out. */
const chunkRowSchema = z.object({
  chunk: z.int().positive(),
  mappings: z.array(
    z.looseObject({ mapId: z.string(), crmId: z.string().nullable(), itemId: z.string().nullable() }),
  ),
});

function checkedRow(row: unknown, key: number): MappingChunkRow {
  checkStored(chunkRowSchema, row, `mappingChunks/${key}`);
  return row as MappingChunkRow;
}

function checkedMapping(mapping: Mapping, chunk: number): Mapping {
  return checkStored(mappingSchema, mapping, `mappings/${mapping.mapId} (mappingChunks/${chunk})`);
}

/** Builds the row that stores `mappings` as chunk `chunk`. */
export function chunkRow(chunk: number, mappings: readonly Mapping[]): MappingChunkRow {
  return {
    chunk,
    mapIds: mappings.map((m) => m.mapId),
    crmIds: mappings.flatMap((m) => (m.crmId === null ? [] : [m.crmId])),
    itemIds: mappings.flatMap((m) => (m.itemId === null ? [] : [m.itemId])),
    mappings,
  };
}

/** The mapping whose `index` key is `key`, read with one index read. */
export async function findMapping(
  store: ChunkStore<IDBTransactionMode>,
  index: ChunkIndex,
  key: string,
): Promise<Mapping | undefined> {
  const found = await store.index(index).get(key);
  if (!found) return undefined;
  const row = checkedRow(found, found.chunk);
  const field = index === "byMapId" ? "mapId" : index === "byCrmId" ? "crmId" : "itemId";
  const mapping = row.mappings.find((m) => m[field] === key);
  return mapping && checkedMapping(mapping, row.chunk);
}

/** Every mapping (of one type when given), ordered by mapId. */
export async function allMappings(
  store: ChunkStore<IDBTransactionMode>,
  type?: Mapping["type"],
): Promise<Mapping[]> {
  const rows = await store.getAll();
  const mappings = rows.flatMap((found) => {
    const row = checkedRow(found, found.chunk);
    return row.mappings.map((m) => checkedMapping(m, row.chunk));
  });
  const wanted = type === undefined ? mappings : mappings.filter((m) => m.type === type);
  return wanted.sort((a, b) => (a.mapId < b.mapId ? -1 : a.mapId > b.mapId ? 1 : 0));
}

/** The mappings of `mapIds`, each row that holds one read once, keyed by mapId; an unknown id is absent. */
export async function findMappings(
  store: ChunkStore<IDBTransactionMode>,
  mapIds: readonly string[],
): Promise<Map<string, Mapping>> {
  const chunks = new MappingChunks(store);
  await chunks.load({ mapIds });
  const found = new Map<string, Mapping>();
  for (const mapId of mapIds) {
    const mapping = chunks.get(mapId);
    if (mapping) found.set(mapId, mapping);
  }
  return found;
}

/** How many mappings there are: one entry per mapping in the mapId index. */
export async function mappingCount(store: ChunkStore<IDBTransactionMode>): Promise<number> {
  return await store.index("byMapId").count();
}

/**
 * The chunk rows one write works on, loaded by the ids it names, changed in memory with the same rules
 * (and the same errors) as single mapping rows, and written back by {@link flush}. Only ids whose rows were
 * loaded are known: load every mapId, crmId and itemId a write reads or puts before changing anything.
 * A readonly store serves reads ({@link load}, {@link get}); changes and {@link flush} need a readwrite one.
 */
export class MappingChunks {
  private readonly chunks = new Map<number, Map<string, Mapping>>();
  private readonly chunkOf = new Map<string, number>();
  private readonly crmOwner = new Map<string, string>();
  private readonly itemOwner = new Map<string, string>();
  private readonly dirty = new Set<number>();
  /** The highest chunk number stored (null: none), once {@link load} was asked to prepare appends. */
  private last: number | null | undefined;

  constructor(private readonly store: ChunkStore<IDBTransactionMode>) {}

  /**
   * Loads every row that holds one of the ids; with `append`, also the last row, where new mappings go.
   * Loading again after changes keeps the changed rows as they are in memory.
   */
  async load(
    ids: {
      readonly mapIds?: readonly string[];
      readonly crmIds?: readonly string[];
      readonly itemIds?: readonly string[];
    },
    append = false,
  ): Promise<void> {
    const [byMapId, byCrmId, byItemId, last] = await Promise.all([
      this.locate("byMapId", ids.mapIds ?? [], this.chunkOf),
      this.locate("byCrmId", ids.crmIds ?? [], this.crmOwner),
      this.locate("byItemId", ids.itemIds ?? [], this.itemOwner),
      append && this.last === undefined ? this.lastChunk() : Promise.resolve(undefined),
    ]);
    if (last !== undefined) this.last = last;
    const found = [byMapId, byCrmId, byItemId];
    for (const row of found.flatMap((f) => f.rows)) if (!this.chunks.has(row.chunk)) this.adopt(row);
    const wanted = new Set(found.flatMap((f) => f.chunks));
    if (last !== undefined && last !== null) wanted.add(last);
    const missing = [...wanted].filter((chunk) => !this.chunks.has(chunk));
    const rows = await Promise.all(missing.map((chunk) => this.store.get(chunk)));
    rows.forEach((row, i) => {
      const chunk = missing[i] ?? 0;
      if (!row) throw new BugError(`mappingChunks/${chunk} is indexed but missing`);
      this.adopt(checkedRow(row, chunk));
    });
  }

  /**
   * Loads what writing `mappings` after deleting `deleted` needs: the rows of their mapIds, then those of
   * the crmIds and itemIds those rows do not hold, and the last row when one of them becomes new.
   */
  async loadForWrite(mappings: readonly Mapping[], deleted: readonly string[] = []): Promise<void> {
    await this.load({ mapIds: [...deleted, ...mappings.map((m) => m.mapId)] });
    await this.load({
      crmIds: mappings.flatMap((m) => (m.crmId === null ? [] : [m.crmId])),
      itemIds: mappings.flatMap((m) => (m.itemId === null ? [] : [m.itemId])),
    });
    const gone = new Set(deleted);
    if (mappings.some((m) => !this.has(m.mapId) || gone.has(m.mapId))) await this.load({}, true);
  }

  /**
   * Loads rows by number, as a hint of where mappings are (a row that is gone is skipped); a later
   * {@link load} then reads nothing for the ids these rows hold.
   */
  async loadRows(chunks: readonly number[]): Promise<void> {
    const missing = [...new Set(chunks)].filter((chunk) => !this.chunks.has(chunk));
    const rows = await Promise.all(missing.map((chunk) => this.store.get(chunk)));
    rows.forEach((row, i) => {
      if (row) this.adopt(checkedRow(row, missing[i] ?? 0));
    });
  }

  /** The number of the row that holds `mapId`, when it is loaded. */
  rowOf(mapId: string): number | undefined {
    return this.chunkOf.get(mapId);
  }

  has(mapId: string): boolean {
    return this.chunkOf.has(mapId);
  }

  get(mapId: string): Mapping | undefined {
    const chunk = this.chunkOf.get(mapId);
    const mapping = chunk === undefined ? undefined : this.chunks.get(chunk)?.get(mapId);
    return mapping && chunk !== undefined ? checkedMapping(mapping, chunk) : undefined;
  }

  byCrmId(crmId: string): Mapping | undefined {
    const owner = this.crmOwner.get(crmId);
    return owner === undefined ? undefined : this.get(owner);
  }

  byItemId(itemId: string): Mapping | undefined {
    const owner = this.itemOwner.get(itemId);
    return owner === undefined ? undefined : this.get(owner);
  }

  /** Adds a new mapping; its mapId must be free (load it first). */
  add(mapping: Mapping): void {
    if (this.chunkOf.has(mapping.mapId)) throw mapIdInUseError(mapping.mapId);
    this.put(mapping);
  }

  /**
   * Inserts or replaces a mapping (last writer wins per mapId). A crmId or itemId held by another mapping
   * rejects with uniqueKeyError naming both. A new mapId needs `load(…, true)` first.
   */
  put(mapping: Mapping): void {
    for (const [owners, key] of [
      [this.crmOwner, mapping.crmId],
      [this.itemOwner, mapping.itemId],
    ] as const) {
      const owner = key === null ? undefined : owners.get(key);
      if (owner !== undefined && owner !== mapping.mapId) throw uniqueKeyError(mapping.mapId, owner);
    }
    const chunk = this.chunkOf.get(mapping.mapId) ?? this.appendChunk();
    this.forget(mapping.mapId);
    this.place(chunk, mapping);
    this.dirty.add(chunk);
  }

  delete(mapId: string): void {
    const chunk = this.chunkOf.get(mapId);
    if (chunk === undefined) return;
    this.forget(mapId);
    this.dirty.add(chunk);
  }

  /** Issues the writes of every changed row: a put of the row, or a delete of a row left empty. */
  flush(issue: (request: IDBRequest) => void): void {
    const store = unwrap(this.store);
    for (const chunk of this.dirty) {
      const mappings = [...(this.chunks.get(chunk)?.values() ?? [])];
      issue(mappings.length === 0 ? store.delete(chunk) : store.put(chunkRow(chunk, mappings)));
    }
    this.dirty.clear();
  }

  /**
   * Where `keys` of one index are, skipping keys already known: a few keys are read one by one, each read
   * giving its row; many are located with one read of the index's primary keys over their range (at most
   * twice their number), or one by one when the range holds more.
   */
  private async locate(
    index: ChunkIndex,
    keys: readonly string[],
    known: ReadonlyMap<string, unknown>,
  ): Promise<{ rows: MappingChunkRow[]; chunks: number[] }> {
    const wanted = [...new Set(keys)].filter((key) => !known.has(key)).sort();
    const first = wanted[0];
    const lastKey = wanted.at(-1);
    if (first === undefined || lastKey === undefined) return { rows: [], chunks: [] };
    const source = this.store.index(index);
    if (wanted.length < RANGE_READ_MIN) {
      const rows = await Promise.all(wanted.map((key) => source.get(key)));
      return { rows: rows.flatMap((row) => (row ? [checkedRow(row, row.chunk)] : [])), chunks: [] };
    }
    const limit = wanted.length * 2;
    const inRange = await source.getAllKeys(IDBKeyRange.bound(first, lastKey), limit);
    if (inRange.length < limit) return { rows: [], chunks: inRange };
    const chunks = await Promise.all(wanted.map((key) => source.getKey(key)));
    return { rows: [], chunks: chunks.filter((chunk) => chunk !== undefined) };
  }

  private async lastChunk(): Promise<number | null> {
    const cursor = await this.store.openKeyCursor(null, "prev");
    return cursor ? cursor.key : null;
  }

  /** The row a new mapping goes into: the last one while it has room, else a new one after it. */
  private appendChunk(): number {
    if (this.last === undefined)
      throw new BugError("MappingChunks.put of a new mapping without load(…, true)");
    const tail = this.last === null ? undefined : this.chunks.get(this.last);
    if (this.last !== null && tail && tail.size < CHUNK_SIZE) return this.last;
    const next = (this.last ?? 0) + 1;
    this.chunks.set(next, new Map());
    this.last = next;
    return next;
  }

  private adopt(row: MappingChunkRow): void {
    this.chunks.set(row.chunk, new Map());
    for (const mapping of row.mappings) this.place(row.chunk, mapping);
  }

  private place(chunk: number, mapping: Mapping): void {
    this.chunks.get(chunk)?.set(mapping.mapId, mapping);
    this.chunkOf.set(mapping.mapId, chunk);
    if (mapping.crmId !== null) this.crmOwner.set(mapping.crmId, mapping.mapId);
    if (mapping.itemId !== null) this.itemOwner.set(mapping.itemId, mapping.mapId);
  }

  private forget(mapId: string): void {
    const chunk = this.chunkOf.get(mapId);
    const old = chunk === undefined ? undefined : this.chunks.get(chunk)?.get(mapId);
    if (chunk === undefined || !old) return;
    this.chunks.get(chunk)?.delete(mapId);
    this.chunkOf.delete(mapId);
    if (old.crmId !== null) this.crmOwner.delete(old.crmId);
    if (old.itemId !== null) this.itemOwner.delete(old.itemId);
  }
}
