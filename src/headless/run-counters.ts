/**
 * What the headless runner counts for its report: Graph requests and 429 answers (at the fetch), and the
 * writes a cycle makes to the CRM and to the mailbox (at the ports, so a retried request counts once).
 */
import type { EntityType } from "../core/types";
import type { Disposable } from "../ports/clock";
import type { CrmClient } from "../ports/crm-client";
import {
  createItemsIn,
  type CreateOutcome,
  type FolderCheckpoint,
  type FolderScanRequest,
  type FolderScan,
  type ItemIdPage,
  type MailboxChangeNotice,
  type MailboxFolder,
  type MailboxItem,
  type MailboxItemPatch,
  type MailboxItemRef,
  type MailboxStore,
  type NewMailboxItem,
} from "../ports/mailbox-store";

export interface RunCounters {
  graphRequests: number;
  graphThrottled: number;
  changes: number;
}

/** `fetch` that counts requests and 429 answers, and fails every request once `signal` is aborted. */
export function countingFetch(
  base: typeof fetch,
  counters: RunCounters,
  signal: AbortSignal | undefined,
): typeof fetch {
  return async (input, init) => {
    counters.graphRequests += 1;
    const signals = [init?.signal, signal].filter((s): s is AbortSignal => s !== undefined && s !== null);
    const response = await base(input, {
      ...init,
      ...(signals.length === 0 ? {} : { signal: AbortSignal.any(signals) }),
    });
    if (response.status === 429) counters.graphThrottled += 1;
    return response;
  };
}

/** The CRM client with its writes counted as changes. */
export function countingCrmClient(crm: CrmClient, counters: RunCounters): CrmClient {
  const counted = async <T>(write: Promise<T>): Promise<T> => {
    const result = await write;
    counters.changes += 1;
    return result;
  };
  return {
    whoAmI: () => crm.whoAmI(),
    registerClient: (clientId) => crm.registerClient(clientId),
    setPrimaryClient: (clientId) => crm.setPrimaryClient(clientId),
    prepareSync: (clientId) => crm.prepareSync(clientId),
    getSyncData: (request) => crm.getSyncData(request),
    getSpecificSyncData: (ids) => crm.getSpecificSyncData(ids),
    postSync: (request) => crm.postSync(request),
    createRecord: (request) => counted(crm.createRecord(request)),
    updateRecord: (request) => counted(crm.updateRecord(request)),
    deleteRecord: (request) => counted(crm.deleteRecord(request)),
    setTrackedByHand: (id, tracked) => counted(crm.setTrackedByHand(id, tracked)),
    lookup: (request) => crm.lookup(request),
    checkPackage: (etag) => crm.checkPackage(etag),
    backgroundSyncStatus: () => crm.backgroundSyncStatus(),
    requestBackgroundRun: () => crm.requestBackgroundRun(),
    releaseToBackgroundSync: (clientId) => crm.releaseToBackgroundSync(clientId),
    watchChanges: (listener) => crm.watchChanges(listener),
  };
}

/** The mailbox store with its item writes counted as changes. */
export class CountingMailboxStore implements MailboxStore {
  constructor(
    private readonly store: MailboxStore,
    private readonly counters: RunCounters,
  ) {}

  listFolders(types: readonly EntityType[]): Promise<readonly MailboxFolder[]> {
    return this.store.listFolders(types);
  }

  scanFolder(folderId: string, checkpoint: FolderCheckpoint | null): Promise<FolderScan> {
    return this.store.scanFolder(folderId, checkpoint);
  }

  scanFolders(requests: readonly FolderScanRequest[]): Promise<readonly FolderScan[]> {
    return this.store.scanFolders(requests);
  }

  listItemIds(folderId: string, page: string | null): Promise<ItemIdPage> {
    return this.store.listItemIds(folderId, page);
  }

  getItems(refs: readonly MailboxItemRef[]): Promise<ReadonlyMap<string, MailboxItem | null>> {
    return this.store.getItems(refs);
  }

  createItem(input: NewMailboxItem): Promise<MailboxItem> {
    return this.count(this.store.createItem(input));
  }

  /** The inner store's batched creates (one by one when it has none), each item made counted as a change. */
  async createItems(inputs: readonly NewMailboxItem[]): Promise<readonly CreateOutcome[]> {
    const outcomes = await createItemsIn(this.store, inputs);
    this.counters.changes += outcomes.filter((outcome) => "item" in outcome).length;
    return outcomes;
  }

  findByIdempotencyKey(type: EntityType, idempotencyKey: string): Promise<MailboxItem | null> {
    return this.store.findByIdempotencyKey(type, idempotencyKey);
  }

  updateItem(ref: MailboxItemRef, patch: MailboxItemPatch): Promise<MailboxItem> {
    return this.count(this.store.updateItem(ref, patch));
  }

  updateOccurrence(
    seriesMasterId: string,
    originalStart: string,
    patch: MailboxItemPatch,
  ): Promise<MailboxItem> {
    return this.count(this.store.updateOccurrence(seriesMasterId, originalStart, patch));
  }

  listExceptions(seriesMasterId: string): Promise<readonly MailboxItem[]> {
    return this.store.listExceptions(seriesMasterId);
  }

  deleteItem(ref: MailboxItemRef): Promise<void> {
    return this.count(this.store.deleteItem(ref));
  }

  watch(listener: (notice: MailboxChangeNotice) => void): Disposable {
    return this.store.watch(listener);
  }

  private async count<T>(write: Promise<T>): Promise<T> {
    const result = await write;
    this.counters.changes += 1;
    return result;
  }
}
