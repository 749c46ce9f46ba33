/**
 * Input limits of the sync protocol. The server rejects anything beyond them with a 400 that names the field;
 * the client can check them before sending. Changing one is a protocol change: keep client and server in step.
 */
export const LIMITS = {
  /** Largest accepted request body, in bytes. */
  bodyBytes: 1_048_576,
  /** Longest string value of one record field, in characters (an e-mail body fits). */
  fieldStringLength: 100_000,
  /** Most fields on one record. */
  fieldsPerRecord: 200,
  /** Longest field key. */
  fieldKeyLength: 64,
  /** Most entries in a list value (attendees, recipients). */
  listItems: 500,
  /** Longest entry of a list value. */
  listItemLength: 320,
  /** Largest GetSyncData page. */
  pageSize: 1000,
  /** GetSyncData page size when the client does not ask for one. */
  defaultPageSize: 500,
  /** Most ids in one GetSpecificSyncData call. */
  specificIds: 500,
  /** Most record ids one PostSync reports as removed from the user's Outlook. */
  removedIds: 500,
  /** Longest client id. */
  clientIdLength: 100,
  /** Idempotency key length range. */
  idempotencyKeyMin: 8,
  idempotencyKeyMax: 128,
  /** Longest look-up text. */
  lookupText: 100,
  /** Most look-up results. */
  lookupResults: 50,
  /** Largest record: its fields as JSON, in UTF-8 bytes, after an update's patch is merged. */
  recordBytes: 1_000_000,
  /**
   * Largest GetSpecificSyncData answer: the records' fields as JSON, in UTF-8 bytes. Records past it are listed
   * in `deferred` (ask for them again); the first record is always answered.
   */
  answerBytes: 4_000_000,
} as const;
