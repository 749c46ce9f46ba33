/**
 * The simulator's mailbox as `npm start` keeps it: one SimulatedMailbox in the server process, served to the
 * add-in through the Graph twin (`startGraphSubsetServer`, reached through `/graph/…` on the page's origin) and to
 * the page's Outlook view through `/sim/mailbox`, and saved to a JSON file after every change, so a reload or a
 * restart finds the mailbox as it was left. `reset()` puts the demo mailbox back.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import path from "node:path";
import { z } from "zod";
import { SyncError } from "../../core/errors";
import type { Clock } from "../../ports/clock";
import type { Logger } from "../../ports/logger";
import type { MailboxChangeNotice } from "../../ports/mailbox-store";
import {
  startGraphSubsetServer,
  type GraphSubsetServer,
  type GraphTokenVerdict,
} from "../../sim/graph/graph-subset-server";
import { SimulatedMailbox, type MailboxState } from "../../sim/mailbox/simulated-mailbox";
import { loadDemoMailbox } from "./demo-mailbox";

/** The mailbox methods the page may call on the user's behalf (what Outlook lets a user or an add-in do). */
export const PAGE_CALLS = [
  "createItem",
  "updateItem",
  "deleteItem",
  "moveItem",
  "archiveItem",
  "createFolder",
  "saveRoamingSettings",
  "addMasterCategories",
  "removeMasterCategories",
  "sendDraft",
] as const;
export type PageCall = (typeof PAGE_CALLS)[number];

/** What a page call answers: the method's result, the notices it made, and the mailbox afterwards. */
export interface CallAnswer {
  readonly result: unknown;
  readonly notices: readonly MailboxChangeNotice[];
  readonly version: number;
  readonly state: MailboxState;
}

/** The page's view of the mailbox: the state and a version that changes with every write. */
export interface MailboxSnapshot {
  readonly version: number;
  readonly state: MailboxState;
}

/** The Retry-After every Graph call answers with while "Throttle Graph" is on (seconds). */
export const THROTTLE_RETRY_AFTER_SECONDS = 60;

const callSchema = z.object({
  method: z.enum(PAGE_CALLS),
  args: z.array(z.unknown()).max(4),
});

/** Enough of a saved state to be sure it is one; the mailbox's own checks catch the rest on use. */
const stateSchema = z.object({
  folders: z.array(z.object({ folderId: z.string(), name: z.string() }).loose()),
  items: z.array(z.object({ immutableId: z.string(), itemId: z.string(), type: z.string() }).loose()),
  deltaEpochs: z.array(z.tuple([z.string(), z.number()])),
  masterCategories: z.array(z.object({ displayName: z.string(), color: z.string() })),
  roaming: z.array(z.tuple([z.string(), z.record(z.string(), z.unknown())])),
  seq: z.number().int().nonnegative(),
  nextId: z.number().int().nonnegative(),
  nextFolder: z.number().int().nonnegative(),
});

export interface SimulatorMailboxOptions {
  /** The JSON file the mailbox lives in; null keeps it in memory only. */
  readonly file: string | null;
  readonly owner: { readonly emailAddress: string; readonly displayName: string };
  readonly clock: Clock;
  readonly logger: Logger;
}

export class SimulatorMailbox {
  private version = 1;
  private dirty = false;
  private saving: Promise<void> | null = null;
  private notices: MailboxChangeNotice[] = [];
  private dropping = false;
  private throttling = false;

  private constructor(
    readonly mailbox: SimulatedMailbox,
    private readonly graph: GraphSubsetServer,
    private readonly tokens: GraphTokens,
    private readonly options: SimulatorMailboxOptions,
  ) {
    mailbox.subscribe((notice) => this.notices.push(notice));
  }

  /** Opens the mailbox from its file (the demo mailbox when there is none) and starts its Graph twin. */
  static async open(options: SimulatorMailboxOptions): Promise<SimulatorMailbox> {
    const mailbox = new SimulatedMailbox({ clock: options.clock, owner: options.owner });
    const saved = options.file === null ? null : await readSaved(options.file);
    if (saved === null) loadDemoMailbox(mailbox, options.clock.now());
    else mailbox.importState(saved);
    const tokens = new GraphTokens(options.clock);
    const graph = await startGraphSubsetServer({
      mailbox,
      clock: options.clock,
      token: (presented) => tokens.judge(presented),
    });
    const opened = new SimulatorMailbox(mailbox, graph, tokens, options);
    if (saved === null) opened.changed();
    return opened;
  }

  /** The Graph twin's own loopback URL; the page reaches it through {@link proxyGraph}. */
  get graphTwinUrl(): string {
    return this.graph.baseUrl;
  }

  /** A bearer token for the Graph twin, good until `expiresAt` (epoch ms); signed, so nothing is stored. */
  graphToken(expiresAt: number): string {
    return this.tokens.issue(expiresAt);
  }

  snapshot(): MailboxSnapshot {
    return { version: this.version, state: this.mailbox.exportState() };
  }

  /** Runs one page call (the JSON body of `POST /sim/mailbox`); a bad call is a SyncError("invalidInput"). */
  async call(body: unknown): Promise<CallAnswer> {
    const parsed = callSchema.safeParse(body);
    if (!parsed.success) {
      throw new SyncError("invalidInput", {
        details: `a mailbox call is {"method": one of ${PAGE_CALLS.join(", ")}, "args": [...]}.`,
      });
    }
    this.notices = [];
    const { method, args } = parsed.data;
    const calls = this.mailbox as unknown as Record<PageCall, (...values: unknown[]) => unknown>;
    try {
      const result: unknown = await calls[method](...args);
      // Notices are delivered on a later tick (SimulatedMailbox.announce).
      await new Promise((resolve) => setImmediate(resolve));
      return { result: result ?? null, notices: this.notices, ...this.snapshot() };
    } finally {
      this.changed();
    }
  }

  /** Starts over with the demo mailbox (the fault switches are cleared too). */
  reset(): void {
    const fresh = new SimulatedMailbox({ clock: this.options.clock, owner: this.mailbox.owner });
    loadDemoMailbox(fresh, this.options.clock.now());
    this.mailbox.importState(fresh.exportState());
    this.mailbox.faults.deliverNotices();
    this.mailbox.faults.endThrottle();
    this.dropping = false;
    this.throttling = false;
    this.changed();
  }

  /** The page's fault switches that act on the mailbox and its Graph twin. */
  faults(): { readonly dropNotices: boolean; readonly throttleGraph: boolean } {
    return { dropNotices: this.dropping, throttleGraph: this.throttling };
  }

  setDropNotices(drop: boolean): void {
    this.dropping = drop;
    if (drop) this.mailbox.faults.dropNotices("all");
    else this.mailbox.faults.deliverNotices();
  }

  /** While on, every Graph call answers 429 with {@link THROTTLE_RETRY_AFTER_SECONDS}. */
  setThrottleGraph(throttle: boolean): void {
    this.throttling = throttle;
    this.mailbox.faults.endThrottle();
    if (throttle) this.mailbox.faults.throttle("all", THROTTLE_RETRY_AFTER_SECONDS);
  }

  /**
   * Forwards a `/graph/v1.0/…` request to the Graph twin, with the twin's own URLs in the answer (paging and
   * delta links) rewritten to `publicUrl`, where the page reaches it. A write counts as a change of the mailbox.
   */
  proxyGraph(req: IncomingMessage, res: ServerResponse, url: URL, publicUrl: string): void {
    const target = new URL(this.graph.baseUrl);
    const headers: Record<string, string> = {};
    for (const name of ["authorization", "prefer", "content-type", "content-length"]) {
      const value = req.headers[name];
      if (typeof value === "string") headers[name] = value;
    }
    const done = (): void => {
      if (req.method !== "GET") this.changed();
    };
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: url.pathname.replace(/^\/graph/, "") + url.search,
        headers,
      },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on("data", (chunk: Buffer) => chunks.push(chunk));
        answer.on("error", () => {
          done();
          res.destroy();
        });
        answer.on("end", () => {
          done();
          const passed: Record<string, string> = { "cache-control": "no-store" };
          for (const name of ["content-type", "retry-after"]) {
            const value = answer.headers[name];
            if (typeof value === "string") passed[name] = value;
          }
          res.writeHead(answer.statusCode ?? 502, passed);
          res.end(Buffer.concat(chunks).toString("utf8").split(this.graph.baseUrl).join(publicUrl));
        });
      },
    );
    upstream.on("error", () => {
      done();
      res.destroy();
    });
    req.pipe(upstream);
  }

  /** Saves what is pending and stops the Graph twin. */
  async close(): Promise<void> {
    await this.saving;
    await this.graph.close();
  }

  private changed(): void {
    this.version += 1;
    if (this.options.file === null) return;
    this.dirty = true;
    this.saving ??= this.flush(this.options.file);
  }

  /** Writes the newest state until nothing is pending, each time whole (a temporary file, then a rename). */
  private async flush(file: string): Promise<void> {
    try {
      await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
      while (this.dirty) {
        this.dirty = false;
        const temporary = `${file}.tmp`;
        await writeFile(temporary, JSON.stringify(this.mailbox.exportState()));
        await rename(temporary, file);
      }
    } catch (error) {
      this.options.logger.error("could not save the simulated mailbox", { file, error: String(error) });
    } finally {
      this.saving = null;
    }
  }
}

/**
 * The Graph twin's short-lived bearer tokens: `sim.<expiry ms>.<HMAC of it>` under a key of this process, so a
 * token is judged without storing it, and none survives a restart of `npm start`.
 */
class GraphTokens {
  private readonly key = randomBytes(32);

  constructor(private readonly clock: Clock) {}

  issue(expiresAt: number): string {
    return `sim.${expiresAt}.${this.mac(String(expiresAt)).toString("base64url")}`;
  }

  judge(presented: string): GraphTokenVerdict {
    const match = /^sim\.(\d{1,16})\.([A-Za-z0-9_-]{43})$/.exec(presented);
    if (match === null) return "invalid";
    const [, expiry = "", mac = ""] = match;
    if (!timingSafeEqual(Buffer.from(mac, "base64url"), this.mac(expiry))) return "invalid";
    return Number(expiry) > this.clock.now() ? "valid" : "expired";
  }

  private mac(text: string): Buffer {
    return createHmac("sha256", this.key).update(text).digest();
  }
}

/** The saved state, null when there is no file; a file that is not a saved mailbox stops the start, naming it. */
async function readSaved(file: string): Promise<MailboxState | null> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${file} is not JSON: move it away to start with the demo mailbox.`);
  }
  const parsed = stateSchema.safeParse(json);
  if (!parsed.success) {
    throw new Error(
      `${file} is not a saved simulator mailbox (${parsed.error.issues[0]?.path.join(".") ?? "$"}): move it away to start with the demo mailbox.`,
    );
  }
  return json as MailboxState;
}
