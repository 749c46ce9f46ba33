import { SyncError } from "../../core/errors";
import { handedBackRetryAt } from "../../core/retry-policy";
import type { EntityType, FieldValue, Fields } from "../../core/types";
import type { Clock, Disposable } from "../../ports/clock";
import type { ItemIdTranslator } from "../../ports/item-ids";
import {
  customPropertiesPropertyId,
  customPropertiesWithLink,
  DEFAULT_CALENDAR_WINDOW,
  IDEMPOTENCY_PROPERTY_ID,
  linkFromCustomProperties,
  stampMessageId,
  parseCustomProperties,
  type CalendarWindow,
  type CreateOutcome,
  type CrmLinkStamp,
  type FolderCheckpoint,
  type FolderScanRequest,
  type FolderScan,
  type ItemIdPage,
  type MailboxChangeFeed,
  type MailboxChangeNotice,
  type MailboxFolder,
  type MailboxItem,
  type MailboxItemPatch,
  type MailboxItemRef,
  type NewMailboxItem,
  type MailboxStore,
  type SeriesInfo,
} from "../../ports/mailbox-store";
import {
  codeFor,
  describe,
  GraphClient,
  MAX_BATCH,
  NetworkLost,
  parseAnswer,
  type Answer,
} from "./graph-client";
import {
  changedProperties,
  checkFields,
  CONTACT_EXTENDED_FIELDS,
  DRAFT_ONLY_MESSAGE_FIELDS,
  fieldsToGraph,
  graphToFields,
} from "./graph-fields";
import {
  collectionSchema,
  folderListSchema,
  folderSchema,
  idSchema,
  instanceSchema,
  removedSchema,
  resourceSchema,
  taskPartsSchema,
  translateResultSchema,
  type GraphResource,
} from "./graph-schemas";
import type { TokenProvider } from "./token-provider";

/**
 * MailboxStore over Microsoft Graph with an injected `fetch` and token provider (transport: graph-client.ts).
 * One piece over 500 lines: every method shares the folder ids, the series memory and the item codec
 * (`toItem`), and each is one short Graph conversation. Guarantees:
 * - a create stamps its idempotency key in the same POST (events: transactionId, which Graph de-duplicates;
 *   To Do tasks: a linkedResource; others: an extended property); contacts, tasks and messages look the key up
 *   before every attempt but a `firstAttempt`'s first, so a create whose answer was lost is found, not
 *   repeated, and a create that cannot have happened yet costs one request, or a twentieth of one through
 *   `createItems` (sequential `$batch` requests of 20);
 * - an update sends only the properties that change; a sent or received message gets only categories and
 *   extended properties (message-update: the other properties are writable only while isDraft);
 * - bodies are read and written as text (`Prefer: outlook.body-content-type="text"`, itemBody contentType
 *   text), the Outlook field's kind, so no HTML ↔ text conversion happens on a round trip;
 * - delta scans report `@removed` entries as removals, except events that still exist (they left the
 *   calendarView window); 410 / syncStateNotFound restarts the folder from scratch with `fullRescan: true`;
 * - the link stamp is the Office.js custom properties (`cecp-<add-in id>`) on contacts, events and messages;
 *   To Do tasks, which Office.js never sees, keep it in an open extension (todoTask has no extended properties);
 * - every call asks for immutable ids, so an item keeps its id when it moves to another folder; `storeIdsFor`
 *   turns REST ids (what Office.js gives after convertToRestId) into them.
 */

export const GRAPH_URL = "https://graph.microsoft.com/v1.0";
const DAY_MS = 86_400_000;
/** user-list-messages: "$top ... within the range of 1 and 1000"; the id-only listing asks for full pages. */
const LIST_PAGE_LIMIT = 1000;
/** user-translateexchangeids: "Maximum size of this collection is 1000 strings." */
const TRANSLATE_LIMIT = 1000;
/** The event properties the store reads (graph-fields, toItem), cancelledOccurrences included. */
const EVENT_SELECT: readonly string[] = [
  "subject",
  "body",
  "start",
  "end",
  "isAllDay",
  "location",
  "attendees",
  "organizer",
  "importance",
  "showAs",
  "iCalUId",
  "recurrence",
  "originalStart",
  "cancelledOccurrences",
  "type",
  "seriesMasterId",
  "transactionId",
  "categories",
  "changeKey",
  "lastModifiedDateTime",
];
/** linkedResource.applicationName of the create key a To Do task carries (todotask-post-linkedresources). */
export const TASK_KEY_APPLICATION = "outlook-crm-sync";
/** The open extension holding a To Do task's link stamp (opentypeextension: reverse-DNS extensionName). */
export const TASK_LINK_EXTENSION = "com.outlookcrmsync.crmLink";

/** The ids of the well-known folders the store works in (none of them can be deleted from a mailbox). */
export interface WellKnownFolderIds {
  readonly contacts: string;
  readonly calendar: string;
  readonly tasks: string;
  readonly inbox: string;
  readonly sent: string;
}

type Folders = WellKnownFolderIds;

type ExtendedProperty = { id: string; value: string };

function quote(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export class GraphMailboxStore implements MailboxStore, ItemIdTranslator {
  private readonly client: GraphClient;
  private readonly clock: Clock;
  private readonly window: CalendarWindow;
  private readonly feed: MailboxChangeFeed | null;
  private readonly pageSize: number;
  private readonly listPageSize: number;
  private readonly mailScanDays: number;
  private readonly calendarRollDays: number;
  private readonly cecpId: string;
  /** Occurrences seen in a calendar view, by id, with their series master's id (SPEC §15). */
  private readonly seriesOf = new Map<string, string>();
  private folderIds: Promise<Folders> | null = null;
  /** The path of the mailbox's user: `/me` or `/users/{address}`. */
  private readonly user: string;
  /** Graph's root, as the client's URLs and Graph's own links start. */
  private readonly graphUrl: string;

  constructor(options: {
    readonly fetch: typeof fetch;
    readonly tokens: TokenProvider;
    readonly clock: Clock;
    /** The add-in id whose custom properties hold the link stamp. */
    readonly addinId: string;
    /** Default https://graph.microsoft.com/v1.0. */
    readonly baseUrl?: string;
    /** A number in [0, 1) for jitter; default Math.random. */
    readonly random?: () => number;
    readonly calendarWindow?: CalendarWindow;
    /** What the add-in observed (Office.js events) or the simulator's notices; without it `watch` reports nothing. */
    readonly changeFeed?: MailboxChangeFeed;
    /**
     * Whose mailbox: omitted for the signed-in user (`/me`, delegated token), or the mailbox's address for an
     * application token (`/users/{address}`; graph/api/resources/mail-api-overview).
     */
    readonly mailboxAddress?: string;
    /** Tries per request, default 5. */
    readonly maxAttempts?: number;
    /** Delta page size asked with Prefer: odata.maxpagesize, default 100. */
    readonly pageSize?: number;
    /** Ids per page of an id-only listing ($top), 1 to 1,000, default 1,000. */
    readonly listPageSize?: number;
    /** How far back a first Sent Items scan reads (days, by receivedDateTime), default 90. */
    readonly mailScanDays?: number;
    /** How many days a calendarView delta round's window serves before the store rolls it forward, default 7. */
    readonly calendarRollDays?: number;
    /**
     * The folder ids an earlier store of the same mailbox read ({@link knownFolderIds}), so this one does not read
     * them again: Exchange's well-known folders and the default To Do list cannot be deleted, so their ids last.
     */
    readonly folderIds?: WellKnownFolderIds;
  }) {
    this.client = new GraphClient({
      fetch: options.fetch,
      baseUrl: options.baseUrl ?? GRAPH_URL,
      tokens: options.tokens,
      clock: options.clock,
      random: options.random ?? Math.random,
      maxAttempts: options.maxAttempts ?? 5,
    });
    this.clock = options.clock;
    this.graphUrl = (options.baseUrl ?? GRAPH_URL).replace(/\/$/, "");
    this.window = options.calendarWindow ?? DEFAULT_CALENDAR_WINDOW;
    this.feed = options.changeFeed ?? null;
    this.pageSize = options.pageSize ?? 100;
    this.listPageSize = Math.min(
      LIST_PAGE_LIMIT,
      Math.max(1, Math.floor(options.listPageSize ?? LIST_PAGE_LIMIT)),
    );
    this.mailScanDays = options.mailScanDays ?? DEFAULT_CALENDAR_WINDOW.pastDays;
    this.calendarRollDays = options.calendarRollDays ?? 7;
    this.cecpId = customPropertiesPropertyId(options.addinId);
    this.user =
      options.mailboxAddress === undefined ? "/me" : `/users/${encodeURIComponent(options.mailboxAddress)}`;
    if (options.folderIds !== undefined) this.folderIds = Promise.resolve(options.folderIds);
  }

  /** The folder ids once read (or given), to hand to the mailbox's next store; null before. */
  async knownFolderIds(): Promise<WellKnownFolderIds | null> {
    return this.folderIds === null ? null : this.folderIds.catch(() => null);
  }

  async listFolders(types: readonly EntityType[]): Promise<readonly MailboxFolder[]> {
    const folders = await this.folders();
    const byType: Record<EntityType, MailboxFolder> = {
      contact: { folderId: folders.contacts, type: "contact", name: "Contacts" },
      appointment: { folderId: folders.calendar, type: "appointment", name: "Calendar" },
      task: { folderId: folders.tasks, type: "task", name: "Tasks" },
      email: { folderId: folders.sent, type: "email", name: "Sent Items" },
    };
    return [...new Set(types)].map((type) => byType[type]);
  }

  async scanFolder(folderId: string, checkpoint: FolderCheckpoint | null): Promise<FolderScan> {
    return this.scanFrom(folderId, checkpoint, undefined);
  }

  /**
   * The first delta pages of the folders with a stored delta link in one `$batch` (json-batching: GET requests
   * may be batched, at most 20, each against its own limits), then each folder's round read on as
   * {@link scanFolder} reads it. A first page that did not come back 200 (a 410 round, say) is asked for again
   * alone, where the single-folder rules apply; so is the first round of a folder with no link yet.
   */
  async scanFolders(requests: readonly FolderScanRequest[]): Promise<readonly FolderScan[]> {
    if (requests.length < 2) {
      return Promise.all(requests.map(({ folderId, checkpoint }) => this.scanFolder(folderId, checkpoint)));
    }
    // Only a round that goes on from a stored delta link is batched; a folder's first round computes its window.
    const batched = requests.flatMap(({ checkpoint }, index) => {
      const link = splitWindow(checkpoint?.deltaLink ?? null).link;
      const relative = link?.startsWith(this.graphUrl) ? link.slice(this.graphUrl.length) : null;
      return relative?.startsWith("/")
        ? [{ id: String(index), method: "GET", url: relative, headers: { Prefer: this.maxPageSize() } }]
        : [];
    });
    const answers = await this.client.batch(batched);
    const scans: FolderScan[] = [];
    for (const [index, { folderId, checkpoint }] of requests.entries()) {
      const answer = answers.get(String(index));
      scans.push(await this.scanFrom(folderId, checkpoint, answer?.status === 200 ? answer.body : undefined));
    }
    return scans;
  }

  /** {@link scanFolder}, with the round's first page already read when `firstPage` is given. */
  private async scanFrom(
    folderId: string,
    checkpoint: FolderCheckpoint | null,
    firstPage: unknown,
  ): Promise<FolderScan> {
    const folders = await this.folders();
    const type = this.folderType(folders, folderId);
    const stored = splitWindow(checkpoint?.deltaLink ?? null);
    const round = await this.deltaRound(type, folderId, stored.link, stored.window, firstPage);
    const { seen, fullRescan } = round;
    let { deltaLink, window } = round;
    const rollAfter = this.window.pastDays * DAY_MS + this.calendarRollDays * DAY_MS;
    if (
      type === "appointment" &&
      !fullRescan &&
      window !== null &&
      this.clock.now() - window[0] >= rollAfter
    ) {
      // event-delta: a round keeps the window it started with. Once the old round is read to its end, a fresh
      // round over the window from now adds only the events the old window did not hold.
      const old = window;
      const fresh = await this.deltaRound(type, folderId, null, null);
      const candidates = [...fresh.seen]
        .filter(([id, kind]) => kind === "changed" && !seen.has(id))
        .map(([id]) => id);
      const items = await this.getItems(candidates.map((itemId) => ({ itemId, type })));
      for (const [id, item] of items) {
        if (item !== null && !overlaps(item.fields, old)) seen.set(id, "changed");
      }
      deltaLink = fresh.deltaLink;
      window = fresh.window;
    }
    const ids = [...seen.keys()];
    const items = new Map(await this.getItems(ids.map((itemId) => ({ itemId, type }))));
    if (type === "appointment") await this.foldOccurrences(seen, items);
    const changed: MailboxItem[] = [];
    const removed: string[] = [];
    for (const [id, kind] of seen) {
      const item = items.get(id) ?? null;
      if (item === null) {
        if (kind === "removed" || !fullRescan) removed.push(id);
      } else if (kind === "changed" || type === "appointment") changed.push(item);
      else removed.push(id);
    }
    const watermark = changed.reduce<number | null>(
      (max, item) => (max === null || item.modifiedAt > max ? item.modifiedAt : max),
      fullRescan ? null : (checkpoint?.watermark ?? null),
    );
    return {
      changed,
      removed: fullRescan ? [] : removed,
      fullRescan,
      checkpoint: { deltaLink: withWindow(deltaLink, window), watermark },
    };
  }

  async listItemIds(folderId: string, page: string | null): Promise<ItemIdPage> {
    const folders = await this.folders();
    const type = this.folderType(folders, folderId);
    const first = `${this.listPath(type, folderId)}?$select=id&$top=${this.listPageSize}`;
    if (page !== null && !this.isListPage(type, folderId, page))
      throw new SyncError("invalidInput", {
        details: `page must be a next link this store gave for folder ${folderId}`,
      });
    const answer = parseAnswer(
      collectionSchema,
      await this.client.request("GET", page ?? first),
      "id listing page",
    );
    const itemIds = answer.value.map((entry) => parseAnswer(idSchema, entry, "listed item").id);
    return { itemIds, next: answer["@odata.nextLink"] ?? null };
  }

  /** A next link of this folder's listing: Graph's own URL (graph/paging: "treat it as opaque") of its path. */
  private isListPage(type: EntityType, folderId: string, page: string): boolean {
    try {
      const url = new URL(page);
      return url.pathname.endsWith(this.listPath(type, folderId)) && url.searchParams.get("$select") === "id";
    } catch {
      return false;
    }
  }

  /**
   * The collection a folder's id-only listing reads. user-list-events: /me/events lists the default calendar's
   * single events and series masters (no occurrences, no exceptions); contacts, To Do tasks and messages by folder.
   */
  private listPath(type: EntityType, folderId: string): string {
    const id = encodeURIComponent(folderId);
    switch (type) {
      case "contact":
        return `${this.user}/contactFolders/${id}/contacts`;
      case "appointment":
        return `${this.user}/events`;
      case "task":
        return `${this.user}/todo/lists/${id}/tasks`;
      case "email":
        return `${this.user}/mailFolders/${id}/messages`;
    }
  }

  /**
   * One delta round read to its delta link, from `link` (a stored delta link) or from the start; 410 /
   * syncStateNotFound restarts it once from the start. `window` is the calendarView window the round uses.
   */
  private async deltaRound(
    type: EntityType,
    folderId: string,
    link: string | null,
    window: CalendarSpan | null,
    firstPage: unknown = undefined,
  ): Promise<{
    seen: Map<string, "changed" | "removed">;
    deltaLink: string;
    fullRescan: boolean;
    window: CalendarSpan | null;
  }> {
    let fullRescan = false;
    let start = link === null ? this.firstDelta(type, folderId) : { url: link, window };
    let url = start.url;
    let given = firstPage;
    const seen = new Map<string, "changed" | "removed">();
    for (;;) {
      let page: unknown;
      try {
        page = given ?? (await this.client.request("GET", url, undefined, { Prefer: this.maxPageSize() }));
        given = undefined;
      } catch (error) {
        if (!(error instanceof SyncError && error.code === "resyncRequired") || fullRescan) throw error;
        fullRescan = true;
        seen.clear();
        start = this.firstDelta(type, folderId);
        url = start.url;
        continue;
      }
      const parsed = parseAnswer(collectionSchema, page, "delta page");
      for (const entry of parsed.value) {
        const removed = removedSchema.safeParse(entry);
        const id = removed.success ? removed.data.id : parseAnswer(resourceSchema, entry, "delta entry").id;
        seen.set(id, removed.success ? "removed" : "changed");
      }
      const next = parsed["@odata.nextLink"];
      const deltaLink = parsed["@odata.deltaLink"];
      if (next !== undefined) url = next;
      else if (deltaLink !== undefined) return { seen, deltaLink, fullRescan, window: start.window };
      else
        throw new SyncError("mailboxServerError", {
          details: "Graph delta page without a next or delta link",
        });
    }
  }

  /** The page size every delta request asks for (delta-query-overview: `Prefer: odata.maxpagesize`). */
  private maxPageSize(): string {
    return `odata.maxpagesize=${this.pageSize}`;
  }

  /**
   * A calendar view lists a series as its occurrences ("Get incremental changes to events in a calendar view"):
   * each occurrence seen, changed or removed, stands for its master instead, which is read and listed (or
   * listed as removed when it is gone). An occurrence removed before this store saw it is not traced back.
   */
  private async foldOccurrences(
    seen: Map<string, "changed" | "removed">,
    items: Map<string, MailboxItem | null>,
  ): Promise<void> {
    const masters = new Set<string>();
    for (const id of [...seen.keys()]) {
      const masterId = this.seriesOf.get(id);
      if (masterId === undefined) continue;
      masters.add(masterId);
      if (seen.get(id) === "removed") this.seriesOf.delete(id);
      seen.delete(id);
    }
    const found = await this.getItems([...masters].map((itemId) => ({ itemId, type: "appointment" })));
    for (const [id, master] of found) {
      seen.set(id, master === null ? "removed" : "changed");
      items.set(id, master);
    }
  }

  async getItems(refs: readonly MailboxItemRef[]): Promise<ReadonlyMap<string, MailboxItem | null>> {
    const folders = await this.folders();
    const result = new Map<string, MailboxItem | null>(refs.map((ref) => [ref.itemId, null]));
    if (refs.length === 0) return result;
    const unique = new Map(refs.map((ref) => [`${ref.type} ${ref.itemId}`, ref]));
    const requests = [...unique.values()].map((ref, index) => ({
      id: String(index),
      itemId: ref.itemId,
      type: ref.type,
      url: this.itemPath(folders, ref.type, ref.itemId, true),
    }));
    const answers = await this.client.batch(
      requests.map(({ id, url }) => ({ id, method: "GET", url, headers: {} })),
    );
    for (const request of requests) {
      const answer = answers.get(request.id);
      if (answer === undefined || answer.status === 404) continue;
      if (answer.status !== 200)
        throw new SyncError(codeFor(answer.status), {
          details: `GET ${request.url}: ${describe(answer.body)}`,
        });
      result.set(request.itemId, this.toItem(folders, request.type, answer.body));
    }
    return result;
  }

  async createItem(input: NewMailboxItem): Promise<MailboxItem> {
    const cancelled = input.fields.cancelledOccurrences;
    const created = await this.createOnce(input);
    if (input.type !== "appointment" || cancelled === undefined || cancelled === null) return created;
    await this.cancelOccurrences(created.itemId, cancelled);
    return (await this.getItems([created])).get(created.itemId) ?? created;
  }

  /**
   * Creates in sequential `$batch` requests of up to 20 creates (json-batching, dependsOn), each of which takes
   * one of the mailbox's 4 concurrent requests (throttling-limits, Outlook service), so up to 80 creates are
   * under way at once within the budget. A create the batch did not run (429, or 424 after a failed one) is
   * made on its own as createItem makes it; so is every create of a batch whose answer was lost, after
   * looking its key up (the batch may have run). A create that has to look its key up first (not a
   * `firstAttempt`; events need none, transactionId de-duplicates them) and a series with cancelled
   * occurrences are made on their own.
   */
  async createItems(inputs: readonly NewMailboxItem[]): Promise<readonly CreateOutcome[]> {
    const outcomes: CreateOutcome[] = [];
    const alone: number[] = [];
    const batched: number[] = [];
    for (const [index, input] of inputs.entries()) {
      const cancelled = input.type === "appointment" ? input.fields.cancelledOccurrences : undefined;
      const lookUpFirst = input.type !== "appointment" && input.firstAttempt !== true;
      (lookUpFirst || (cancelled !== undefined && cancelled !== null) ? alone : batched).push(index);
    }
    const one = async (index: number, input: NewMailboxItem): Promise<void> => {
      try {
        outcomes[index] = { item: await this.createItem(input) };
      } catch (error) {
        outcomes[index] = { error };
      }
    };
    const sequences: number[][] = [];
    for (let start = 0; start < batched.length; start += MAX_BATCH)
      sequences.push(batched.slice(start, start + MAX_BATCH));
    await Promise.all([
      ...alone.map((index) => one(index, inputs[index] as NewMailboxItem)),
      ...sequences.map(async (sequence) => {
        const redo = await this.createSequence(
          sequence.map((index) => inputs[index] as NewMailboxItem),
          (position, outcome) => {
            outcomes[sequence[position] as number] = outcome;
          },
        );
        for (const { position, input } of redo) await one(sequence[position] as number, input);
      }),
    ]);
    return outcomes;
  }

  /**
   * One sequential `$batch` of creates: reports each create the batch settled through `settle`, and returns
   * the ones to make again on their own, with `firstAttempt` kept only where the batch certainly did not run it.
   */
  private async createSequence(
    inputs: readonly NewMailboxItem[],
    settle: (position: number, outcome: CreateOutcome) => void,
  ): Promise<{ position: number; input: NewMailboxItem }[]> {
    const folders = await this.folders();
    const requests: {
      position: number;
      input: NewMailboxItem;
      payload: Record<string, unknown>;
      extended: ExtendedProperty[];
    }[] = [];
    for (const [position, input] of inputs.entries()) {
      try {
        requests.push({ position, input, ...this.createPayload(input) });
      } catch (error) {
        settle(position, { error });
      }
    }
    let answers: Map<string, Answer>;
    try {
      answers = await this.client.sequence(
        requests.map(({ position, input, payload }) => ({
          id: String(position),
          method: "POST",
          url: this.collectionPath(folders, input.type),
          headers: { "Content-Type": "application/json" },
          body: payload,
        })),
      );
    } catch (error) {
      if (!(error instanceof NetworkLost)) throw error;
      return requests.map(({ position, input }) => ({ position, input: { ...input, firstAttempt: false } }));
    }
    const redo: { position: number; input: NewMailboxItem }[] = [];
    // A throttle too long to wait in place is handed back for every create the batch did not run.
    let handBack: SyncError | null = null;
    for (const { position, input, extended } of requests) {
      const answer = answers.get(String(position));
      const retryAt =
        answer?.status === 429 ? handedBackRetryAt(answer.retryAfter, this.clock.now()) : undefined;
      if (retryAt !== undefined)
        handBack ??= new SyncError("rateLimited", {
          details: `POST ${this.collectionPath(folders, input.type)}: Graph throttled the mailbox; retry after ${answer?.retryAfter ?? ""} s.`,
          retryAt,
        });
      if (handBack !== null && (answer === undefined || answer.status === 429 || answer.status === 424)) {
        settle(position, { error: handBack });
      } else if (answer === undefined || answer.status === 429 || answer.status === 424) {
        redo.push({ position, input });
      } else if (answer.status >= 500) {
        redo.push({ position, input: { ...input, firstAttempt: false } });
      } else if (answer.status !== 201 && answer.status !== 200) {
        settle(position, {
          error: new SyncError(codeFor(answer.status), {
            details: `POST ${this.collectionPath(folders, input.type)}: ${describe(answer.body)}`,
          }),
        });
      } else {
        try {
          const created = parseAnswer(resourceSchema, answer.body, input.type);
          settle(position, { item: await this.createdItem(folders, input.type, created, extended) });
        } catch (error) {
          settle(position, { error });
        }
      }
    }
    return redo;
  }

  /** The POST body of a create, and the extended properties it writes (checked first: throws on bad fields). */
  private createPayload(input: NewMailboxItem): {
    payload: Record<string, unknown>;
    extended: ExtendedProperty[];
  } {
    checkFields(input.type, input.fields);
    const fields = withDuration(input.type, input.fields, {});
    const body = fieldsToGraph(input.type, fields);
    const payload: Record<string, unknown> = { ...body, categories: [...(input.categories ?? [])] };
    const extended = (body.singleValueExtendedProperties as ExtendedProperty[] | undefined) ?? [];
    if (input.type === "task") {
      // todoTask has no extended properties (metadata: EntityType todoTask): the key is a linked resource,
      // the stamp an open extension, both created with the task (todotask-post-tasks).
      payload.linkedResources = [
        {
          applicationName: TASK_KEY_APPLICATION,
          externalId: input.idempotencyKey,
          displayName: "CRM sync create key",
        },
      ];
      if (input.link != null) payload.extensions = [taskLinkExtension(input.link)];
    } else {
      if (input.type !== "appointment")
        extended.push({ id: IDEMPOTENCY_PROPERTY_ID, value: input.idempotencyKey });
      if (input.link != null)
        extended.push({
          id: this.cecpId,
          value: JSON.stringify(
            customPropertiesWithLink({}, input.link, stampMessageId(input.type, input.fields)),
          ),
        });
      if (extended.length > 0) payload.singleValueExtendedProperties = extended;
      // event-post-events: "transactionId … Graph uses it to avoid creating the same event twice".
      if (input.type === "appointment") payload.transactionId = input.idempotencyKey;
    }
    return { payload, extended };
  }

  /** The item a create's answer describes; a To Do task answered without its linked resources is read again. */
  private async createdItem(
    folders: Folders,
    type: EntityType,
    created: GraphResource,
    extended: readonly ExtendedProperty[],
  ): Promise<MailboxItem> {
    if (type === "task")
      return "linkedResources" in created
        ? this.toItem(folders, type, created)
        : this.toItem(
            folders,
            type,
            await this.client.request("GET", this.itemPath(folders, type, created.id, true)),
          );
    return this.toItem(folders, type, { ...created, singleValueExtendedProperties: extended });
  }

  /** The create itself, retried on a lost answer without a duplicate (the idempotency key finds the first). */
  private async createOnce(input: NewMailboxItem): Promise<MailboxItem> {
    const { payload, extended } = this.createPayload(input);
    const folders = await this.folders();
    for (let attempt = 1; ; attempt += 1) {
      if (input.type !== "appointment" && (attempt > 1 || input.firstAttempt !== true)) {
        const existing = await this.findByIdempotencyKey(input.type, input.idempotencyKey);
        if (existing !== null) return existing;
      }
      try {
        const created = parseAnswer(
          resourceSchema,
          await this.client.request("POST", this.collectionPath(folders, input.type), payload, {}, false),
          input.type,
        );
        return await this.createdItem(folders, input.type, created, extended);
      } catch (error) {
        if (!(error instanceof NetworkLost) || attempt >= this.client.maxAttempts) {
          throw error instanceof NetworkLost
            ? new SyncError("mailboxUnreachable", { details: error.message, cause: error })
            : error;
        }
        await this.client.wait(this.client.backoff(attempt));
      }
    }
  }

  async findByIdempotencyKey(type: EntityType, idempotencyKey: string): Promise<MailboxItem | null> {
    const folders = await this.folders();
    const filter =
      type === "appointment"
        ? `transactionId eq ${quote(idempotencyKey)}`
        : type === "task"
          ? `linkedResources/any(r: r/applicationName eq ${quote(TASK_KEY_APPLICATION)} and r/externalId eq ${quote(idempotencyKey)})`
          : `singleValueExtendedProperties/any(ep: ep/id eq ${quote(IDEMPOTENCY_PROPERTY_ID)} and ep/value eq ${quote(idempotencyKey)})`;
    const url = `${this.collectionPath(folders, type)}?$filter=${encodeURIComponent(filter)}&${this.expandQuery(type)}`;
    const page = parseAnswer(collectionSchema, await this.client.request("GET", url), "filtered list");
    const first = page.value[0];
    if (first === undefined) return null;
    const found = this.toItem(folders, type, first);
    // A list answers no cancelledOccurrences: a series master is read again by its id.
    return found.series?.eventType === "seriesMaster"
      ? ((await this.getItems([found])).get(found.itemId) ?? null)
      : found;
  }

  async updateItem(ref: MailboxItemRef, requested: MailboxItemPatch): Promise<MailboxItem> {
    const folders = await this.folders();
    const { itemId, type: itemType } = ref;
    checkFields(itemType, requested.fields ?? {});
    const { cancelledOccurrences, ...otherFields } = requested.fields ?? {};
    if (itemType === "appointment" && cancelledOccurrences !== undefined)
      await this.cancelOccurrences(itemId, cancelledOccurrences);
    const patch: MailboxItemPatch = {
      ...requested,
      ...(requested.fields !== undefined && { fields: otherFields }),
    };
    const path = this.itemPath(folders, itemType, itemId, false);
    const current = parseAnswer(
      resourceSchema,
      await this.client.request("GET", `${path}?${this.readQuery(itemType)}`),
      itemType,
    );
    const currentItem = this.toItem(folders, itemType, current);
    if (itemType === "email" && current.isDraft === false) {
      const refused = Object.keys(patch.fields ?? {}).find((key) => DRAFT_ONLY_MESSAGE_FIELDS.has(key));
      if (refused !== undefined)
        throw new SyncError("invalidInput", {
          details: `email field "${refused}": a sent or received message keeps it (only drafts change it)`,
        });
    }
    const merged = withDuration(itemType, { ...currentItem.fields, ...patch.fields }, patch.fields ?? {});
    const payload = changedProperties(itemType, currentItem.fields, merged);
    if (patch.categories !== undefined) payload.categories = [...patch.categories];
    if (itemType === "task") {
      if (patch.link !== undefined) await this.writeTaskLink(path, current, patch.link);
    } else if (patch.link !== undefined) {
      const stored = current.singleValueExtendedProperties?.find((entry) => entry.id === this.cecpId)?.value;
      const value = JSON.stringify(
        customPropertiesWithLink(parseCustomProperties(stored), patch.link, stampMessageId(itemType, merged)),
      );
      const written = (payload.singleValueExtendedProperties as ExtendedProperty[] | undefined) ?? [];
      payload.singleValueExtendedProperties = [...written, { id: this.cecpId, value }];
    }
    if (itemType === "task" && patch.link !== undefined) {
      if (Object.keys(payload).length > 0) await this.client.request("PATCH", path, payload);
      return this.toItem(
        folders,
        itemType,
        await this.client.request("GET", `${path}?${this.readQuery(itemType)}`),
      );
    }
    if (Object.keys(payload).length === 0) return currentItem;
    const updated = parseAnswer(resourceSchema, await this.client.request("PATCH", path, payload), itemType);
    const extended = new Map(
      (current.singleValueExtendedProperties ?? []).map((entry) => [entry.id, entry.value]),
    );
    for (const entry of (payload.singleValueExtendedProperties as ExtendedProperty[] | undefined) ?? [])
      extended.set(entry.id, entry.value);
    return this.toItem(folders, itemType, {
      ...updated,
      // An update's answer holds no cancelledOccurrences (returned only on a $select Get); the Get above did.
      ...(current.cancelledOccurrences !== undefined && {
        cancelledOccurrences: current.cancelledOccurrences,
      }),
      singleValueExtendedProperties: [...extended].map(([id, value]) => ({ id, value })),
      ...(itemType === "task" && {
        linkedResources: current.linkedResources,
        extensions: current.extensions,
      }),
    });
  }

  /**
   * "List instances" of the series for the minute starting at `originalStart`, then "Update event" on the
   * instance whose originalStart matches: Graph turns an updated occurrence into an exception.
   */
  async updateOccurrence(
    seriesMasterId: string,
    originalStart: string,
    patch: MailboxItemPatch,
  ): Promise<MailboxItem> {
    return this.updateItem(
      { itemId: await this.findInstance(seriesMasterId, originalStart), type: "appointment" },
      patch,
    );
  }

  /**
   * "List instances" of the series over the calendar window, ids and types only, page by page through the next
   * links; the instances of type exception are then read whole (with their stamps) by id.
   */
  async listExceptions(seriesMasterId: string): Promise<readonly MailboxItem[]> {
    const now = this.clock.now();
    const [start, end] = [now - this.window.pastDays * DAY_MS, now + this.window.futureDays * DAY_MS].map(
      (ms) => encodeURIComponent(new Date(ms).toISOString()),
    );
    const ids: string[] = [];
    let url: string | null =
      `${this.user}/events/${encodeURIComponent(seriesMasterId)}/instances?startDateTime=${start}` +
      `&endDateTime=${end}&$select=id,type&$top=${this.listPageSize}`;
    while (url !== null) {
      const answer: unknown = await this.client.request("GET", url);
      const page = parseAnswer(collectionSchema, answer, "instances");
      for (const entry of page.value) {
        const instance = parseAnswer(instanceSchema, entry, "instance");
        if (instance.type === "exception") ids.push(instance.id);
      }
      url = page["@odata.nextLink"] ?? null;
    }
    const items = await this.getItems(ids.map((itemId) => ({ itemId, type: "appointment" })));
    return ids.flatMap((id) => {
      const item = items.get(id);
      return item == null ? [] : [item];
    });
  }

  /** The id of the series' instance (occurrence or exception) whose originalStart is `originalStart`. */
  private async findInstance(seriesMasterId: string, originalStart: string): Promise<string> {
    const at = Date.parse(originalStart);
    if (Number.isNaN(at))
      throw new SyncError("invalidInput", { details: `originalStart "${originalStart}" is not a date-time` });
    const window = `startDateTime=${new Date(at).toISOString()}&endDateTime=${new Date(at + 60_000).toISOString()}`;
    const page = parseAnswer(
      collectionSchema,
      await this.client.request(
        "GET",
        `${this.user}/events/${encodeURIComponent(seriesMasterId)}/instances?${window}`,
      ),
      "instances",
    );
    const instance = page.value
      .map((entry) => parseAnswer(instanceSchema, entry, "instance"))
      .find((entry) => entry.originalStart !== undefined && Date.parse(entry.originalStart) === at);
    if (instance === undefined)
      throw new SyncError("notFound", {
        details: `series ${seriesMasterId} has no occurrence at ${originalStart}`,
      });
    return instance.id;
  }

  /**
   * Cancels the occurrences a new `cancelledOccurrences` list adds ("Delete event" on each instance); a list
   * that drops a cancelled occurrence is refused first, since Graph cannot bring one back.
   */
  private async cancelOccurrences(masterId: string, value: FieldValue): Promise<void> {
    const master = (await this.getItems([{ itemId: masterId, type: "appointment" }])).get(masterId);
    if (master == null) throw new SyncError("notFound", { details: `event ${masterId} does not exist` });
    const wanted = Array.isArray(value) ? (value as readonly string[]).map((start) => Date.parse(start)) : [];
    const current = master.fields.cancelledOccurrences;
    const now = Array.isArray(current) ? (current as readonly string[]) : [];
    const restored = now.filter((start) => !wanted.includes(Date.parse(start)));
    if (restored.length > 0) {
      throw new SyncError("invalidInput", {
        details: `appointment field "cancelledOccurrences": a cancelled occurrence cannot come back (${restored.join(", ")})`,
      });
    }
    const cancelled = new Set(now.map((start) => Date.parse(start)));
    for (const at of wanted.filter((start) => !cancelled.has(start))) {
      const instanceId = await this.findInstance(masterId, new Date(at).toISOString());
      await this.client.request("DELETE", `${this.user}/events/${encodeURIComponent(instanceId)}`);
    }
  }

  async deleteItem(ref: MailboxItemRef): Promise<void> {
    const folders = await this.folders();
    try {
      await this.client.request("DELETE", this.itemPath(folders, ref.type, ref.itemId, false));
    } catch (error) {
      if (!(error instanceof SyncError && error.code === "notFound")) throw error;
    }
  }

  watch(listener: (notice: MailboxChangeNotice) => void): Disposable {
    return this.feed?.subscribe(listener) ?? { dispose: () => undefined };
  }

  async storeIdsFor(restIds: readonly string[]): Promise<ReadonlyMap<string, string | null>> {
    const result = new Map<string, string | null>(restIds.map((id) => [id, null]));
    const unique = [...new Set(restIds)];
    const chunks: string[][] = [];
    for (let i = 0; i < unique.length; i += TRANSLATE_LIMIT)
      chunks.push(unique.slice(i, i + TRANSLATE_LIMIT));
    await Promise.all(
      chunks.map(async (inputIds) => {
        const answer = await this.client.request("POST", `${this.user}/translateExchangeIds`, {
          inputIds,
          sourceIdType: "restId",
          targetIdType: "restImmutableEntryId",
        });
        for (const entry of parseAnswer(translateResultSchema, answer, "translateExchangeIds answer").value) {
          if (result.has(entry.sourceId)) result.set(entry.sourceId, entry.targetId ?? null);
        }
      }),
    );
    return result;
  }

  /** Writes a To Do task's stamp into its open extension (opentypeextension-post / -update / -delete). */
  private async writeTaskLink(
    taskPath: string,
    current: GraphResource,
    link: CrmLinkStamp | null,
  ): Promise<void> {
    const existing = parseAnswer(taskPartsSchema, current, "task").extensions?.find(
      (entry) => entry.extensionName === TASK_LINK_EXTENSION,
    );
    const extensionPath = existing && `${taskPath}/extensions/${encodeURIComponent(existing.id)}`;
    if (link === null) {
      if (extensionPath !== undefined) await this.client.request("DELETE", extensionPath);
      return;
    }
    const { "@odata.type": _type, extensionName: _name, ...data } = taskLinkExtension(link);
    if (extensionPath !== undefined) await this.client.request("PATCH", extensionPath, data);
    else await this.client.request("POST", `${taskPath}/extensions`, taskLinkExtension(link));
  }

  private folders(): Promise<Folders> {
    this.folderIds ??= (async () => {
      const [contacts, calendar, lists, inbox, sent] = await Promise.all([
        // user-list-contactfolders lists the default folder's children; the default folder itself has the
        // well-known name "contacts".
        this.client.request("GET", `${this.user}/contactFolders/contacts`),
        this.client.request("GET", `${this.user}/calendar`),
        this.client.request("GET", `${this.user}/todo/lists`),
        this.client.request("GET", `${this.user}/mailFolders/inbox`),
        this.client.request("GET", `${this.user}/mailFolders/sentitems`),
      ]);
      const list = parseAnswer(folderListSchema, lists, "To Do lists").value.find(
        (entry) => entry.wellknownListName === "defaultList",
      );
      if (list === undefined)
        throw new SyncError("mailboxServerError", { details: "the mailbox has no default To Do list" });
      return {
        contacts: parseAnswer(folderSchema, contacts, "contacts folder").id,
        calendar: parseAnswer(folderSchema, calendar, "calendar").id,
        tasks: list.id,
        inbox: parseAnswer(folderSchema, inbox, "inbox").id,
        sent: parseAnswer(folderSchema, sent, "sent items").id,
      };
    })();
    this.folderIds.catch(() => (this.folderIds = null));
    return this.folderIds;
  }

  private folderType(folders: Folders, folderId: string): EntityType {
    if (folderId === folders.contacts) return "contact";
    if (folderId === folders.calendar) return "appointment";
    if (folderId === folders.tasks) return "task";
    if (folderId === folders.sent || folderId === folders.inbox) return "email";
    throw new SyncError("notFound", { details: `folder ${folderId} is not a synced folder` });
  }

  /** The first request of a delta round, and for the calendar the window it covers (now − past, now + future). */
  private firstDelta(type: EntityType, folderId: string): { url: string; window: CalendarSpan | null } {
    const id = encodeURIComponent(folderId);
    switch (type) {
      case "contact":
        return { url: `${this.user}/contactFolders/${id}/contacts/delta`, window: null };
      case "appointment": {
        const now = this.clock.now();
        const window: CalendarSpan = [
          now - this.window.pastDays * DAY_MS,
          now + this.window.futureDays * DAY_MS,
        ];
        const [start, end] = window.map((ms) => encodeURIComponent(new Date(ms).toISOString()));
        return { url: `${this.user}/calendarView/delta?startDateTime=${start}&endDateTime=${end}`, window };
      }
      case "task":
        return { url: `${this.user}/todo/lists/${id}/tasks/delta`, window: null };
      case "email": {
        // message-delta: a round may start at a receivedDateTime (ge), so the first scan reads recent mail only.
        const from = new Date(this.clock.now() - this.mailScanDays * DAY_MS).toISOString();
        return {
          url: `${this.user}/mailFolders/${id}/messages/delta?$filter=${encodeURIComponent(`receivedDateTime ge ${from}`)}`,
          window: null,
        };
      }
    }
  }

  private collectionPath(folders: Folders, type: EntityType): string {
    switch (type) {
      case "contact":
        return `${this.user}/contactFolders/${encodeURIComponent(folders.contacts)}/contacts`;
      case "appointment":
        return `${this.user}/events`;
      case "task":
        return `${this.user}/todo/lists/${encodeURIComponent(folders.tasks)}/tasks`;
      case "email":
        return `${this.user}/messages`;
    }
  }

  private itemPath(folders: Folders, type: EntityType, itemId: string, expand: boolean): string {
    const base =
      type === "contact"
        ? `${this.user}/contacts`
        : type === "appointment"
          ? `${this.user}/events`
          : type === "task"
            ? `${this.user}/todo/lists/${encodeURIComponent(folders.tasks)}/tasks`
            : `${this.user}/messages`;
    return `${base}/${encodeURIComponent(itemId)}${expand ? `?${this.readQuery(type)}` : ""}`;
  }

  /**
   * The query of a Get of one item by id: the expansions, and for an event a `$select` of every property the
   * codec reads, since "event resource type" returns a master's `cancelledOccurrences` "only on $select in a
   * Get operation which specifies the ID … of a series master event".
   */
  private readQuery(type: EntityType): string {
    const expand = this.expandQuery(type);
    return type === "appointment"
      ? `${expand}&$select=${encodeURIComponent(EVENT_SELECT.join(","))}`
      : expand;
  }

  private expandQuery(type: EntityType): string {
    if (type === "task") return `$expand=${encodeURIComponent("linkedResources,extensions")}`;
    const ids = [
      this.cecpId,
      ...(type === "appointment" ? [] : [IDEMPOTENCY_PROPERTY_ID]),
      ...(type === "contact" ? Object.values(CONTACT_EXTENDED_FIELDS) : []),
    ];
    const filter = ids.map((id) => `id eq ${quote(id)}`).join(" or ");
    return `$expand=${encodeURIComponent(`singleValueExtendedProperties($filter=${filter})`)}`;
  }

  private toItem(folders: Folders, type: EntityType, json: unknown): MailboxItem {
    const resource: GraphResource = parseAnswer(resourceSchema, json, type);
    const raw = graphToFields(type, resource);
    const fields: Record<string, FieldValue> = {};
    for (const [key, value] of Object.entries(raw)) {
      if (value !== null && !(Array.isArray(value) && value.length === 0)) fields[key] = value;
    }
    if (type === "appointment" && typeof fields.start === "string" && typeof fields.end === "string") {
      fields.duration = Math.round((Date.parse(fields.end) - Date.parse(fields.start)) / 60_000);
    }
    if (type === "email")
      fields.direction = resource.parentFolderId === folders.inbox ? "incoming" : "outgoing";
    const folderId =
      type === "appointment"
        ? folders.calendar
        : type === "task"
          ? folders.tasks
          : (resource.parentFolderId ?? (type === "contact" ? folders.contacts : folders.sent));
    let link: CrmLinkStamp | null;
    let idempotencyKey: string | null;
    if (type === "task") {
      const parts = parseAnswer(taskPartsSchema, json, "task");
      const extension = parts.extensions?.find((entry) => entry.extensionName === TASK_LINK_EXTENSION);
      link = extension === undefined ? null : linkFromCustomProperties(extension);
      idempotencyKey =
        parts.linkedResources?.find((entry) => entry.applicationName === TASK_KEY_APPLICATION)?.externalId ??
        null;
    } else {
      const extended = new Map(
        (resource.singleValueExtendedProperties ?? []).map((entry) => [entry.id, entry.value]),
      );
      link = extended.has(this.cecpId)
        ? linkFromCustomProperties(
            parseCustomProperties(extended.get(this.cecpId)),
            stampMessageId(type, fields),
          )
        : null;
      idempotencyKey =
        type === "appointment"
          ? (resource.transactionId ?? null)
          : (extended.get(IDEMPOTENCY_PROPERTY_ID) ?? null);
    }
    if (resource.type === "occurrence" && typeof resource.seriesMasterId === "string")
      this.seriesOf.set(resource.id, resource.seriesMasterId);
    const series: SeriesInfo | null =
      resource.type === "seriesMaster"
        ? { eventType: "seriesMaster", seriesMasterId: null }
        : (resource.type === "exception" || resource.type === "occurrence") &&
            typeof resource.seriesMasterId === "string"
          ? { eventType: resource.type, seriesMasterId: resource.seriesMasterId }
          : null;
    return {
      ...(series !== null && { series }),
      itemId: resource.id,
      type,
      folderId,
      fields,
      modifiedAt: Date.parse(resource.lastModifiedDateTime),
      changeKey: resource.changeKey ?? resource["@odata.etag"] ?? resource.lastModifiedDateTime,
      categories: resource.categories ?? [],
      link,
      idempotencyKey,
    };
  }
}

/** A calendarView window: [start, end) in ms. */
type CalendarSpan = readonly [number, number];

/**
 * The window a calendar round started with travels in the stored delta link's fragment (never sent: fetch
 * drops fragments), so a checkpoint alone tells when to roll it.
 */
const WINDOW_FRAGMENT = "#calendarWindow=";

function withWindow(deltaLink: string, window: CalendarSpan | null): string {
  return window === null ? deltaLink : `${deltaLink}${WINDOW_FRAGMENT}${window[0]},${window[1]}`;
}

function splitWindow(stored: string | null): { link: string | null; window: CalendarSpan | null } {
  if (stored === null) return { link: null, window: null };
  const at = stored.indexOf(WINDOW_FRAGMENT);
  if (at < 0) return { link: stored, window: null };
  const [start, end] = stored
    .slice(at + WINDOW_FRAGMENT.length)
    .split(",")
    .map(Number);
  const window: CalendarSpan | null =
    Number.isFinite(start) && Number.isFinite(end) ? [start ?? 0, end ?? 0] : null;
  return { link: stored.slice(0, at), window };
}

/** calendarView: an event belongs to a window it overlaps (an event without a start belongs to none). */
function overlaps(fields: Fields, window: CalendarSpan): boolean {
  if (typeof fields.start !== "string") return false;
  const start = Date.parse(fields.start);
  const end = typeof fields.end === "string" ? Date.parse(fields.end) : start;
  return start < window[1] && end >= window[0];
}

/** A To Do task's link stamp as an open extension (opentypeextension: extensionName plus custom data). */
function taskLinkExtension(link: CrmLinkStamp): Record<string, unknown> {
  return {
    "@odata.type": "microsoft.graph.openTypeExtension",
    extensionName: TASK_LINK_EXTENSION,
    crmId: link.crmId,
    state: link.state,
  };
}

/** Keeps an appointment's end in step when only `duration` is written (end = start + duration). */
function withDuration(type: EntityType, fields: Fields, written: Fields): Fields {
  const duration = written.duration ?? fields.duration;
  if (type !== "appointment" || typeof duration !== "number" || written.end !== undefined) return fields;
  if (written.duration === undefined && fields.end !== undefined) return fields;
  if (typeof fields.start !== "string")
    throw new SyncError("invalidInput", { details: 'appointment field "duration": needs a start' });
  return {
    ...fields,
    end: new Date(Date.parse(fields.start) + duration * 60_000).toISOString().replace(".000Z", "Z"),
  };
}
