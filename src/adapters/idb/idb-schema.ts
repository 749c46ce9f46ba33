/**
 * The cache database's schema as types (idb's DBSchema), and the upgrades that build it version by version.
 *
 * v1: every store; mappings indexed by crmId, itemId and type; a never-verified mapping had verifiedTime null.
 * v2: mappings also indexed by verifiedTime for the reconciliation slice. IndexedDB leaves null out of an
 *     index, which would hide exactly the never-verified mappings that must be verified first, so the
 *     upgrade rewrites null to 0 before the index is used.
 * v3: a one-row `packageState` store for the customization package state (SPEC §11).
 * v4: drops the verifiedTime index: reconciliation lists folders by id instead of picking the oldest
 *     verified mappings (SPEC §3.3), and every index slows each mapping write.
 * v5: mappings move into `mappingChunks`, up to 16 to a row (mapping-chunks.ts), indexed by the mapIds,
 *     crmIds and itemIds each row lists; the one-row-per-mapping `mappings` store is dropped. Writing a
 *     500-record batch costs each IndexedDB request once per row, so fewer rows are what makes it fast.
 *     Change-log rows may carry `chunk`, the row their mapping was in when they were written (a hint).
 *
 * To add v6: keep the v5 shape as CacheDbV5, write migrateToV6, call it from upgradeCacheDb, raise
 * CACHE_DB_VERSION, and add an upgrade test in test/cache that writes a v5 database first.
 */
import type { DBSchema, IDBPDatabase, IDBPTransaction, StoreNames } from "idb";
import type { EntityType } from "../../core/types";
import type {
  ChangeLogEntry,
  Checkpoint,
  ConflictRecord,
  Mapping,
  PackageState,
  PendingCreate,
  SyncStatus,
} from "../../ports/local-cache";
import type { SyncSettings } from "../../ports/settings";
import type { LogSegmentRow } from "../cache-rules/log-segments";
import { CHUNK_SIZE, chunkRow, type MappingChunkRow } from "./mapping-chunks";

/** The stores besides the mappings, unchanged since v3. Keys of single-row stores are "current"; meta holds counters. */
interface StateStores {
  changes: CacheDbV3["changes"];
  checkpoints: CacheDbV3["checkpoints"];
  pendingCreates: CacheDbV3["pendingCreates"];
  conflicts: CacheDbV3["conflicts"];
  settings: CacheDbV3["settings"];
  status: CacheDbV3["status"];
  logSegments: CacheDbV3["logSegments"];
  meta: CacheDbV3["meta"];
  packageState: CacheDbV3["packageState"];
}

/**
 * A change-log row from v5 on: the entry, and the number of the row that held its mapping when it was written
 * (a hint that saves locating the mapping; absent in rows from before v5, and never trusted without a check).
 */
export type ChangeRow = ChangeLogEntry & { readonly chunk?: number };

/** The current schema (v5): the mappings in chunk rows, change-log rows with their hint, the rest as since v3. */
export interface CacheDb extends DBSchema, Omit<StateStores, "changes"> {
  changes: { key: string; value: ChangeRow; indexes: CacheDbV3["changes"]["indexes"] };
  mappingChunks: {
    key: number;
    value: MappingChunkRow;
    indexes: { byMapId: string; byCrmId: string; byItemId: string };
  };
}

/** The v4 schema, kept so that the v4 → v5 upgrade and its test are typed against what v4 wrote. */
export interface CacheDbV4 extends DBSchema, StateStores {
  mappings: {
    key: string;
    value: Mapping;
    indexes: { byCrmId: string; byItemId: string; byType: EntityType };
  };
}

/** The v3 schema, kept so that the v3 → v4 upgrade and its test are typed against what v3 wrote. */
export interface CacheDbV3 extends CacheDbV2 {
  packageState: { key: "current"; value: PackageState };
}

/** The v2 schema, kept so that the v2 → v3 upgrade and its test are typed against what v2 wrote. */
export interface CacheDbV2 extends DBSchema {
  mappings: {
    key: string;
    value: Mapping;
    indexes: { byCrmId: string; byItemId: string; byType: EntityType; byVerifiedTime: number };
  };
  changes: { key: string; value: ChangeLogEntry; indexes: { byDue: [number, number]; byAttempts: number } };
  checkpoints: { key: string; value: Checkpoint };
  pendingCreates: { key: string; value: PendingCreate; indexes: { byMapId: string } };
  conflicts: { key: number; value: ConflictRecord };
  settings: { key: "current"; value: SyncSettings };
  status: { key: "current"; value: SyncStatus };
  logSegments: { key: number; value: LogSegmentRow };
  meta: { key: "revision"; value: number };
}

/** A v1 mapping row: verifiedTime was null until the first verification. */
export type MappingV1 = Omit<Mapping, "verifiedTime"> & { readonly verifiedTime: number | null };

/** The v1 schema, kept so that the v1 → v2 upgrade and its test are typed against what v1 wrote. */
export interface CacheDbV1 extends DBSchema {
  mappings: {
    key: string;
    value: MappingV1;
    indexes: { byCrmId: string; byItemId: string; byType: EntityType };
  };
  changes: CacheDbV2["changes"];
  checkpoints: CacheDbV2["checkpoints"];
  pendingCreates: CacheDbV2["pendingCreates"];
  conflicts: CacheDbV2["conflicts"];
  settings: CacheDbV2["settings"];
  status: CacheDbV2["status"];
  logSegments: CacheDbV2["logSegments"];
  meta: CacheDbV2["meta"];
}

type UpgradeTransaction<S> = IDBPTransaction<S, StoreNames<S>[], "versionchange">;

/** v1: creates every store and the v1 indexes. */
export function migrateToV1(db: IDBPDatabase<CacheDbV1>): void {
  const mappings = db.createObjectStore("mappings", { keyPath: "mapId" });
  mappings.createIndex("byCrmId", "crmId", { unique: true });
  mappings.createIndex("byItemId", "itemId", { unique: true });
  mappings.createIndex("byType", "type");
  const changes = db.createObjectStore("changes", { keyPath: "mapId" });
  changes.createIndex("byDue", ["nextAttemptAt", "revision"]);
  changes.createIndex("byAttempts", "attempts");
  db.createObjectStore("checkpoints", { keyPath: "key" });
  db.createObjectStore("pendingCreates", { keyPath: "idempotencyKey" }).createIndex("byMapId", "mapId");
  db.createObjectStore("conflicts", { autoIncrement: true });
  db.createObjectStore("settings");
  db.createObjectStore("status");
  db.createObjectStore("logSegments", { keyPath: "seq" });
  db.createObjectStore("meta");
}

/** v2: rewrites never-verified mappings to verifiedTime 0, then indexes verifiedTime. */
export async function migrateToV2(tx: UpgradeTransaction<CacheDbV1>): Promise<void> {
  const store = tx.objectStore("mappings");
  let cursor = await store.openCursor();
  while (cursor) {
    if (cursor.value.verifiedTime === null) await cursor.update({ ...cursor.value, verifiedTime: 0 });
    cursor = await cursor.continue();
  }
  // The v1 store type does not know the v2 index name; the store is the same object.
  (tx as unknown as UpgradeTransaction<CacheDbV2>)
    .objectStore("mappings")
    .createIndex("byVerifiedTime", "verifiedTime");
}

/** v3: adds the package state store; a database from before has applied no package. */
export function migrateToV3(db: IDBPDatabase<CacheDbV1>): void {
  // The v1 type does not know the v3 store name; the database is the same object.
  (db as unknown as IDBPDatabase<CacheDbV3>).createObjectStore("packageState");
}

/** v4: drops the mappings' verifiedTime index, which nothing reads any more. */
export function migrateToV4(tx: UpgradeTransaction<CacheDbV1>): void {
  // The v1 store type does not know the v2 index name; the store is the same object.
  (tx as unknown as UpgradeTransaction<CacheDbV2>).objectStore("mappings").deleteIndex("byVerifiedTime");
}

/** v5: packs the mappings, in mapId order, into chunk rows, then drops the `mappings` store. */
export async function migrateToV5(
  db: IDBPDatabase<CacheDbV1>,
  tx: UpgradeTransaction<CacheDbV1>,
): Promise<void> {
  // The v1 types do not know the v5 store; the database and transaction are the same objects.
  const chunks = (db as unknown as IDBPDatabase<CacheDb>).createObjectStore("mappingChunks", {
    keyPath: "chunk",
  });
  chunks.createIndex("byMapId", "mapIds", { multiEntry: true });
  chunks.createIndex("byCrmId", "crmIds", { multiEntry: true });
  chunks.createIndex("byItemId", "itemIds", { multiEntry: true });
  const mappings = await (tx as unknown as UpgradeTransaction<CacheDbV4>).objectStore("mappings").getAll();
  const upgrade = tx as unknown as UpgradeTransaction<CacheDb>;
  const writes: Promise<unknown>[] = [];
  for (let start = 0; start < mappings.length; start += CHUNK_SIZE) {
    const row = chunkRow(start / CHUNK_SIZE + 1, mappings.slice(start, start + CHUNK_SIZE));
    writes.push(upgrade.objectStore("mappingChunks").add(row));
  }
  await Promise.all(writes);
  db.deleteObjectStore("mappings");
}

/** The version this code opens; older databases are upgraded on open. */
export const CACHE_DB_VERSION = 5;

/**
 * Runs every migration above `oldVersion`, in order, inside the open request's versionchange transaction.
 * A migration that fails aborts that transaction, so the database stays at its old version.
 */
export async function upgradeCacheDb(
  db: IDBPDatabase<CacheDbV1>,
  tx: UpgradeTransaction<CacheDbV1>,
  oldVersion: number,
): Promise<void> {
  if (oldVersion < 1) migrateToV1(db);
  if (oldVersion < 2) await migrateToV2(tx);
  if (oldVersion < 3) migrateToV3(db);
  if (oldVersion < 4) migrateToV4(tx);
  if (oldVersion < 5) await migrateToV5(db, tx);
}
