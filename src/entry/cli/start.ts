/**
 * `npm start` (after `npm run build`): the CRM sync server on the embedded database (demo data on the first run),
 * the add-in's files and the simulator page from dist/, all on one origin, so the add-in reaches the server
 * without CORS or mixed content. HTTPS with the office-addin-dev-certs certificates when they exist (needed
 * for sideloading); plain HTTP on localhost otherwise, which is enough for the simulator.
 * The simulated mailbox lives here too (simulator-mailbox.ts), saved in DATA_DIR, behind the Graph twin at
 * `/graph/v1.0`, so a reload of the page keeps it, and the add-in reaches it through the real GraphMailboxStore.
 * Settings: PORT (default 3000), HOST (default 127.0.0.1; another address needs SIM_ALLOW_NON_LOOPBACK=true),
 * DATABASE_URL or DATA_DIR (default ./data), DIST_DIR, LOG_LEVEL.
 */
import { existsSync, readFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { homedir } from "node:os";
import path from "node:path";
import {
  createCrmServer,
  createPinoLogger,
  loadDemoData,
  openDatabase,
  SystemClock,
  type CrmServer,
  type Database,
  type OidcSettings,
} from "../../server";
import { lockDataFolder } from "../../server/db/data-folder";
import { sendSecurityHeaders } from "../../server/http/security-headers";
import { SignJWT, generateKeyPair, exportJWK, createLocalJWKSet } from "jose";
import { z } from "zod";
import { SyncError } from "../../core/errors";
import type { Logger } from "../../ports/logger";
import { sendPagePolicies } from "./page-policy";
import { SimulatorMailbox } from "./simulator-mailbox";

/** The simulated mailbox's file inside the data folder (beside the embedded database's files). */
export const MAILBOX_FILE = "simulator-mailbox.json";

/** The user the simulator signs in as; the demo data creates it. */
export const SIMULATOR_USER = "alice";

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".png": "image/png",
  ".xml": "application/xml; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".svg": "image/svg+xml",
  ".ico": "image/x-icon",
};

/** How long a simulator session's token is good for; the page asks for a new one before it runs out. */
export const SESSION_TOKEN_SECONDS = 15 * 60;
const SIM_ISSUER = "urn:outlook-crm-sync:simulator";
const SIM_AUDIENCE = "urn:outlook-crm-sync:crm";
/** The fault switches `PUT /sim/faults` may set; each one left out stays as it is. */
const faultsSchema = z.strictObject({
  crmDown: z.boolean().optional(),
  dropNotices: z.boolean().optional(),
  throttleGraph: z.boolean().optional(),
});
/** The largest body a /sim request may send (a mailbox call carries one item). */
const SIM_BODY_LIMIT = 1024 * 1024;
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(["127.0.0.1", "::1", "localhost"]);

export interface AddinServerOptions {
  /** The webpack output to serve. */
  readonly distDir: string;
  /** PostgreSQL URL; otherwise PGlite in `dataDir` (in memory when both are absent). */
  readonly databaseUrl?: string | undefined;
  readonly dataDir?: string | undefined;
  /** The file the simulated mailbox is saved in; absent keeps it in memory. */
  readonly mailboxFile?: string | undefined;
  /** 0 picks a free port. */
  readonly port: number;
  readonly host: string;
  /** Serve the simulator on an address other than loopback (its endpoints act as the demo user). */
  readonly allowNonLoopback?: boolean;
  /** Key and certificate for HTTPS; null serves HTTP. */
  readonly tls: { readonly key: Buffer; readonly cert: Buffer } | null;
  readonly logger: Logger;
}

export interface AddinServer {
  /** The origin everything is served from, ending with "/". */
  readonly baseUrl: string;
  readonly simulatorUrl: string;
  readonly manifestUrl: string;
  /** "Take the server down" (simulator fault): sync calls have their connection cut until set back. */
  setCrmDown(down: boolean): void;
  /** The sync server's database (owned by this server; a demo reset replaces it), for admin commands run in-process. */
  readonly database: Database;
  /** The simulated mailbox behind the page and the Graph twin. */
  readonly mailbox: SimulatorMailbox;
  /** Starts the demo over: the mailbox, the CRM's data, and the fault switches. */
  resetDemo(): Promise<void>;
  /** Stops serving and closes the server and the database. */
  close(): Promise<void>;
}

/** Resolves a URL path to a file inside `root`, or null when it would leave `root`. */
export function staticFile(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  const relative = decoded === "/" ? "sim.html" : decoded.replace(/^\/+/, "");
  const file = path.resolve(root, relative);
  return file.startsWith(path.resolve(root) + path.sep) ? file : null;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { error: { code, message } });
}

async function serveStatic(
  root: string,
  req: IncomingMessage,
  res: ServerResponse,
  urlPath: string,
): Promise<void> {
  const file = staticFile(root, urlPath);
  if (file === null || !(req.method === "GET" || req.method === "HEAD")) {
    sendError(res, file === null ? 400 : 405, "invalidInput", `cannot ${req.method} ${urlPath}`);
    return;
  }
  const info = await stat(file).catch(() => null);
  if (info === null || !info.isFile()) {
    sendError(res, 404, "notFound", `${urlPath} does not exist`);
    return;
  }
  res.writeHead(200, {
    "content-type": CONTENT_TYPES[path.extname(file)] ?? "application/octet-stream",
    "content-length": info.size,
    "cache-control": "no-cache",
  });
  res.end(req.method === "HEAD" ? undefined : await readFile(file));
}

/** True for an address that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * Whether a request to a /sim or /graph endpoint comes from the simulator page on this server: its Host header
 * names this server (a DNS-rebinding page sends its own name) and its Origin, when sent, is this server's.
 */
export function fromSimulatorPage(
  headers: IncomingMessage["headers"],
  allowedHosts: ReadonlySet<string>,
  scheme: string,
): boolean {
  const host = headers.host;
  if (host === undefined || !allowedHosts.has(host.toLowerCase())) return false;
  const origin = headers.origin;
  return origin === undefined || [...allowedHosts].some((h) => origin.toLowerCase() === `${scheme}://${h}`);
}

/** Reads a JSON body of at most SIM_BODY_LIMIT bytes; an empty body is null. */
async function jsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > SIM_BODY_LIMIT)
      throw new SyncError("invalidInput", { details: `the body is over ${SIM_BODY_LIMIT} bytes.` });
    chunks.push(chunk);
  }
  if (size === 0) return null;
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new SyncError("invalidInput", { details: "the body is not JSON." });
  }
}

/** The key pair that signs the simulator's session tokens, and the server settings that accept them. */
async function simulatorSigner(): Promise<{
  readonly sign: (userId: string, now: number) => Promise<string>;
  readonly oidc: OidcSettings;
}> {
  const { privateKey, publicKey } = await generateKeyPair("ES256");
  const kid = randomUUID();
  const jwks = createLocalJWKSet({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: "ES256" }] });
  return {
    oidc: { issuer: SIM_ISSUER, audience: SIM_AUDIENCE, jwks, algorithms: ["ES256"], userClaims: ["sub"] },
    sign: (userId, now) =>
      new SignJWT({})
        .setProtectedHeader({ alg: "ES256", kid })
        .setSubject(userId)
        .setIssuer(SIM_ISSUER)
        .setAudience(SIM_AUDIENCE)
        .setIssuedAt(Math.floor(now / 1000))
        .setExpirationTime(Math.floor(now / 1000) + SESSION_TOKEN_SECONDS)
        .sign(privateKey),
  };
}

/**
 * Starts the sync server, the simulated mailbox and the add-in's file server on one port. The first start on an
 * empty database loads the demo users and records. The simulator page's endpoints, which act as
 * {@link SIMULATOR_USER}, answer only requests whose Host and Origin name this server:
 * `GET /sim/session` (a token good for {@link SESSION_TOKEN_SECONDS}, signed here, so no token is stored),
 * `GET|POST /sim/mailbox` (the mailbox and the user's actions on it), `/graph/v1.0/…` (the Graph twin),
 * `GET /sim/faults`, `PUT /sim/faults` (`{"crmDown"?, "dropNotices"?, "throttleGraph"?}`), and `POST /sim/reset`. The simulator serves only on loopback unless `allowNonLoopback` is set.
 */
export async function startAddinServer(options: AddinServerOptions): Promise<AddinServer> {
  const { logger } = options;
  if (!isLoopbackHost(options.host) && options.allowNonLoopback !== true) {
    throw new Error(
      `HOST=${options.host} is not a loopback address: the simulator's endpoints act as the demo user for anyone who reaches them. Set SIM_ALLOW_NON_LOOPBACK=true to serve on it anyway.`,
    );
  }
  const clock = new SystemClock();
  const signer = await simulatorSigner();
  const openCrm = async (): Promise<{ db: Database; crm: CrmServer }> => {
    const db = await openDatabase({ databaseUrl: options.databaseUrl, dataDir: options.dataDir, logger });
    const crm = await createCrmServer({ db, clock, logger, auth: { opaqueTokens: true, oidc: signer.oidc } });
    try {
      if ((await crm.service.users.get(SIMULATOR_USER)) === undefined) {
        const demo = await loadDemoData(crm.service);
        logger.info("loaded the demo data", { records: demo.records });
      }
      await crm.app.ready();
    } catch (error) {
      await crm.close();
      await db.close();
      throw error;
    }
    return { db, crm };
  };
  // With PGlite in dataDir the database holds the data folder's lock; otherwise (DATABASE_URL) the mailbox
  // file still lives there, so it is taken here, and a second npm start or an admin command refuses.
  const folderLock =
    options.mailboxFile !== undefined && options.dataDir === undefined
      ? lockDataFolder(path.dirname(options.mailboxFile), process.argv.slice(1).join(" "))
      : undefined;
  let current = await openCrm().catch((error: unknown) => {
    folderLock?.release();
    throw error;
  });
  const user = await current.crm.service.users.require(SIMULATOR_USER);
  const mailbox = await SimulatorMailbox.open({
    file: options.mailboxFile ?? null,
    owner: {
      emailAddress: user.emails[0] ?? `${user.id}@example.com`,
      displayName: user.displayName ?? user.id,
    },
    clock,
    logger,
  }).catch(async (error: unknown) => {
    await current.crm.close();
    await current.db.close();
    folderLock?.release();
    throw error;
  });

  let crmDown = false;
  let baseUrl = "";
  const allowedHosts = new Set<string>();
  const scheme = options.tls ? "https" : "http";
  const resetDemo = async (): Promise<void> => {
    const old = current;
    await old.crm.close();
    await old.db.exec(`DROP SCHEMA IF EXISTS ${old.db.schema} CASCADE`);
    await old.db.close();
    current = await openCrm();
    mailbox.reset();
    crmDown = false;
  };
  const simulator = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const route = `${req.method ?? ""} ${url.pathname}`;
    if (route === "GET /sim/session") {
      const now = clock.now();
      const expiresAt = now + SESSION_TOKEN_SECONDS * 1000;
      sendJson(res, 200, {
        userId: SIMULATOR_USER,
        token: await signer.sign(SIMULATOR_USER, now),
        expiresAt,
        serverUrl: baseUrl.replace(/\/$/, ""),
        graphUrl: `${baseUrl}graph/v1.0`,
        graphToken: mailbox.graphToken(expiresAt),
        owner: mailbox.mailbox.owner,
      });
    } else if (route === "GET /sim/mailbox") {
      const known = Number(url.searchParams.get("known") ?? "0");
      const snapshot = mailbox.snapshot();
      if (snapshot.version === known) sendJson(res, 200, { version: known });
      else sendJson(res, 200, snapshot);
    } else if (route === "POST /sim/mailbox") {
      sendJson(res, 200, await mailbox.call(await jsonBody(req)));
    } else if (route === "GET /sim/faults") {
      sendJson(res, 200, { crmDown, ...mailbox.faults() });
    } else if (route === "PUT /sim/faults") {
      const body = faultsSchema.safeParse(await jsonBody(req));
      if (!body.success) {
        throw new SyncError("invalidInput", {
          details: 'send {"crmDown": true|false, "dropNotices": true|false, "throttleGraph": true|false}.',
        });
      }
      if (body.data.crmDown !== undefined) crmDown = body.data.crmDown;
      if (body.data.dropNotices !== undefined) mailbox.setDropNotices(body.data.dropNotices);
      if (body.data.throttleGraph !== undefined) mailbox.setThrottleGraph(body.data.throttleGraph);
      sendJson(res, 200, { crmDown, ...mailbox.faults() });
    } else if (route === "POST /sim/reset") {
      await resetDemo();
      sendJson(res, 200, { reset: true });
    } else {
      sendError(res, 404, "notFound", `there is no ${route}`);
    }
  };
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const urlPath = url.pathname;
    if (urlPath.startsWith("/v1/") || urlPath === "/openapi.json") {
      if (crmDown) req.socket.destroy();
      else current.crm.app.routing(req, res);
      return;
    }
    const isGraph = urlPath.startsWith("/graph/");
    if (urlPath.startsWith("/sim/") || isGraph) {
      if (!fromSimulatorPage(req.headers, allowedHosts, scheme)) {
        sendError(res, 403, "forbidden", "only the simulator page on this server may use its endpoints");
        return;
      }
      if (isGraph) mailbox.proxyGraph(req, res, url, `${baseUrl}graph/v1.0`);
      else {
        await simulator(req, res, url).catch((error: unknown) => {
          if (!(error instanceof SyncError)) throw error;
          sendJson(res, error.code === "invalidInput" ? 400 : 409, {
            error: { code: error.code, message: error.message, details: error.details ?? null },
          });
        });
      }
      return;
    }
    await serveStatic(
      options.distDir,
      req,
      res,
      urlPath === "/favicon.ico" ? "/assets/icon-32.png" : urlPath,
    );
  };
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((error: unknown) => {
      logger.error("request failed", { url: req.url, error: String(error) });
      if (!res.headersSent) sendError(res, 500, "serverError", "request failed");
      else res.destroy();
    });
  };
  const server = options.tls ? createHttpsServer(options.tls, listener) : createHttpServer(listener);
  sendSecurityHeaders(server);
  sendPagePolicies(server);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = isLoopbackHost(options.host) ? "localhost" : options.host;
  baseUrl = `${scheme}://${shownHost.includes(":") ? `[${shownHost}]` : shownHost}:${port}/`;
  for (const name of [shownHost, options.host, ...(isLoopbackHost(options.host) ? LOOPBACK_HOSTS : [])]) {
    allowedHosts.add(`${name.includes(":") ? `[${name}]` : name}:${port}`.toLowerCase());
  }

  return {
    get database() {
      return current.db;
    },
    mailbox,
    baseUrl,
    simulatorUrl: `${baseUrl}sim.html`,
    manifestUrl: `${baseUrl}manifest.xml`,
    setCrmDown: (down) => {
      crmDown = down;
    },
    resetDemo,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await mailbox.close();
      folderLock?.release();
      await current.crm.close();
      await current.db.close();
    },
  };
}

/** The office-addin-dev-certs certificate and key, when `npx office-addin-dev-certs install` made them. */
function devCertificates(): { key: Buffer; cert: Buffer } | null {
  const dir = path.join(homedir(), ".office-addin-dev-certs");
  const key = path.join(dir, "localhost.key");
  const cert = path.join(dir, "localhost.crt");
  return existsSync(key) && existsSync(cert) ? { key: readFileSync(key), cert: readFileSync(cert) } : null;
}

/** `npm start`: serves until SIGINT or SIGTERM, printing the simulator's and the manifest's URLs. */
export async function main(): Promise<void> {
  const env = process.env;
  const root = path.resolve(import.meta.dirname, "../../..");
  const distDir = path.resolve(env["DIST_DIR"] ?? path.join(root, "dist"));
  if (!existsSync(path.join(distDir, "manifest.xml"))) {
    throw new Error(`${distDir} holds no build: run "npm run build" first (npm start does).`);
  }
  const tls = devCertificates();
  const dataDir = path.resolve(env["DATA_DIR"] ?? path.join(root, "data"));
  const server = await startAddinServer({
    distDir,
    databaseUrl: env["DATABASE_URL"],
    dataDir: env["DATABASE_URL"] ? undefined : dataDir,
    mailboxFile: path.join(dataDir, MAILBOX_FILE),
    port: Number(env["PORT"] ?? 3000),
    host: env["HOST"] ?? "127.0.0.1",
    allowNonLoopback: env["SIM_ALLOW_NON_LOOPBACK"] === "true",
    tls,
    logger: createPinoLogger({ level: env["LOG_LEVEL"] ?? "info" }),
  });
  console.log(
    `\nOutlook CRM Sync is running.\n  simulator: ${server.simulatorUrl}\n  manifest:  ${server.manifestUrl}`,
  );
  if (tls === null) {
    console.log(
      '  (plain HTTP: to sideload into Outlook on the web, run "npx office-addin-dev-certs install" once, then npm start again)',
    );
  }
  const stop = (): void => {
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(String(error));
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
