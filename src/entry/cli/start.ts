/**
 * `npm start` (after `npm run build`): the CRM sync server on the embedded database (demo data on the first run),
 * the add-in's files and the simulator page from dist/, all on one origin, so the add-in reaches the server
 * without CORS or mixed content. HTTPS with the office-addin-dev-certs certificates when they exist (needed
 * for sideloading); plain HTTP on localhost otherwise, which is enough for the simulator.
 * Settings: PORT (default 3000), HOST (default 127.0.0.1), DATABASE_URL or DATA_DIR (default ./data), DIST_DIR.
 */
import { existsSync, readFileSync } from "node:fs";
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
  type Database,
} from "../../server";
import type { Logger } from "../../ports/logger";

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
};

export interface AddinServerOptions {
  /** The webpack output to serve. */
  readonly distDir: string;
  /** PostgreSQL URL; otherwise PGlite in `dataDir` (in memory when both are absent). */
  readonly databaseUrl?: string | undefined;
  readonly dataDir?: string | undefined;
  /** 0 picks a free port. */
  readonly port: number;
  readonly host: string;
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
  /** The sync server's database (owned by this server), for admin commands run in-process, as tests do. */
  readonly database: Database;
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

async function serveStatic(
  root: string,
  req: IncomingMessage,
  res: ServerResponse,
  urlPath: string,
): Promise<void> {
  const file = staticFile(root, urlPath);
  if (file === null || !(req.method === "GET" || req.method === "HEAD")) {
    sendJson(res, file === null ? 400 : 405, {
      error: { code: "invalidInput", message: `cannot ${req.method} ${urlPath}` },
    });
    return;
  }
  const info = await stat(file).catch(() => null);
  if (info === null || !info.isFile()) {
    sendJson(res, 404, { error: { code: "notFound", message: `${urlPath} does not exist` } });
    return;
  }
  res.writeHead(200, {
    "content-type": CONTENT_TYPES[path.extname(file)] ?? "application/octet-stream",
    "content-length": info.size,
    "cache-control": "no-cache",
  });
  res.end(req.method === "HEAD" ? undefined : await readFile(file));
}

/**
 * Starts the sync server and the add-in's file server on one port. The first start on an empty database loads
 * the demo users and records. For the simulator page, `GET /sim/session` gives a fresh token for
 * {@link SIMULATOR_USER} and `PUT /sim/crm-down?down=true|false` takes the sync server down or up (this is a
 * development tool: it serves on the host it is told, 127.0.0.1 by default).
 */
export async function startAddinServer(options: AddinServerOptions): Promise<AddinServer> {
  const { logger } = options;
  const db = await openDatabase({ databaseUrl: options.databaseUrl, dataDir: options.dataDir, logger });
  const crm = await createCrmServer({ db, clock: new SystemClock(), logger });
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

  let crmDown = false;
  let baseUrl = "";
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const urlPath = new URL(req.url ?? "/", "http://localhost").pathname;
    if (urlPath.startsWith("/v1/") || urlPath === "/openapi.json") {
      if (crmDown) req.socket.destroy();
      else crm.app.routing(req, res);
      return;
    }
    if (urlPath === "/sim/session" && req.method === "GET") {
      const token = await crm.service.users.issueToken(SIMULATOR_USER, "simulator");
      sendJson(res, 200, { userId: SIMULATOR_USER, token, serverUrl: baseUrl.replace(/\/$/, "") });
      return;
    }
    if (urlPath === "/sim/crm-down" && req.method === "PUT") {
      crmDown = new URL(req.url ?? "/", "http://localhost").searchParams.get("down") === "true";
      sendJson(res, 200, { down: crmDown });
      return;
    }
    await serveStatic(options.distDir, req, res, urlPath);
  };
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((error: unknown) => {
      logger.error("request failed", { url: req.url, error: String(error) });
      if (!res.headersSent) sendJson(res, 500, { error: { code: "serverError", message: "request failed" } });
      else res.destroy();
    });
  };
  const server = options.tls ? createHttpsServer(options.tls, listener) : createHttpServer(listener);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  baseUrl = `${options.tls ? "https" : "http"}://${options.host === "127.0.0.1" ? "localhost" : options.host}:${port}/`;

  return {
    database: db,
    baseUrl,
    simulatorUrl: `${baseUrl}sim.html`,
    manifestUrl: `${baseUrl}manifest.xml`,
    setCrmDown: (down) => {
      crmDown = down;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await crm.close();
      await db.close();
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
  const server = await startAddinServer({
    distDir,
    databaseUrl: env["DATABASE_URL"],
    dataDir: env["DATABASE_URL"] ? undefined : (env["DATA_DIR"] ?? path.join(root, "data")),
    port: Number(env["PORT"] ?? 3000),
    host: env["HOST"] ?? "127.0.0.1",
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
