/**
 * Item ids cross three id spaces. Office.js names the open item by an EWS-format id; the Office.js host turns it
 * into a REST-format id with `mailbox.convertToRestId(id, RestVersion.v2_0)`; the mailbox store and the cache
 * key every item by the store's own id, which for Microsoft Graph is the immutable REST id
 * (`Prefer: IdType="ImmutableId"`), because a REST id changes when the item moves to another folder.
 *
 * The Office.js host asks this port for the store id of the REST id it read, so no EWS id and no movable REST
 * id reaches the engine, Graph or the cache. GraphMailboxStore implements it with `POST /me/translateExchangeIds`
 * (sourceIdType `restId`, targetIdType `restImmutableEntryId`); the simulated store with the simulated mailbox.
 */
export interface ItemIdTranslator {
  /**
   * The store id of each REST-format id. Every requested id is a key of the result; an id the mailbox does not
   * know maps to null. Batched by the adapter; answers on a later tick.
   */
  storeIdsFor(restIds: readonly string[]): Promise<ReadonlyMap<string, string | null>>;
}
