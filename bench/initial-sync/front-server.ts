/**
 * The one origin the benchmark page talks to, so no request is cross-origin: `/` and `/bundle.js` are the page,
 * `/pouch/…` the PouchDB HTTP server (express-pouchdb), `/graph/…` the Graph twin of the current run (its own
 * base URL in answers, such as next links, rewritten to this origin), and every other path the sync server.
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface FrontServer {
  readonly url: string;
  /** Where `/graph/v1.0` goes from now on (the Graph twin of the next run). */
  useGraph(baseUrl: string): void;
  close(): Promise<void>;
}

/** Passes a request to `target` (an origin) and streams its answer back. */
function pass(req: IncomingMessage, res: ServerResponse, target: URL, path: string): void {
  const upstream = request(
    { host: target.hostname, port: target.port, method: req.method, path, headers: req.headers },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on("error", () => res.destroy());
  req.pipe(upstream);
}

/** Passes a Graph request to the twin, its answer with the twin's base URL replaced by `publicBase`. */
function passGraph(
  req: IncomingMessage,
  res: ServerResponse,
  twinBase: string,
  publicBase: string,
  path: string,
): void {
  const target = new URL(twinBase);
  const upstream = request(
    { host: target.hostname, port: target.port, method: req.method, path, headers: req.headers },
    (answer) => {
      const chunks: Buffer[] = [];
      answer.on("data", (chunk: Buffer) => chunks.push(chunk));
      answer.on("error", () => res.destroy());
      answer.on("end", () => {
        const body = Buffer.from(Buffer.concat(chunks).toString("utf8").split(twinBase).join(publicBase));
        const headers: Record<string, string | number> = { "content-length": body.length };
        for (const name of ["content-type", "retry-after"]) {
          const value = answer.headers[name];
          if (typeof value === "string") headers[name] = value;
        }
        res.writeHead(answer.statusCode ?? 502, headers).end(body);
      });
    },
  );
  upstream.on("error", () => res.destroy());
  req.pipe(upstream);
}

export async function startFrontServer(options: {
  readonly script: string;
  readonly crmUrl: string;
  readonly pouch: (req: IncomingMessage, res: ServerResponse) => void;
}): Promise<FrontServer> {
  const html =
    '<!doctype html><meta charset="utf-8"><title>initial sync</title><script src="/bundle.js"></script>';
  const crm = new URL(options.crmUrl);
  let graphBase: string | null = null;
  let origin = "";
  const server = createServer((req, res) => {
    const url = req.url ?? "/";
    if (url === "/") res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(html);
    else if (url === "/bundle.js")
      res.writeHead(200, { "content-type": "text/javascript; charset=utf-8" }).end(options.script);
    else if (url.startsWith("/pouch/")) {
      req.url = url.slice("/pouch".length);
      options.pouch(req, res);
    } else if (url.startsWith("/graph/")) {
      if (graphBase === null) res.writeHead(503).end();
      else passGraph(req, res, graphBase, `${origin}/graph/v1.0`, url.slice("/graph".length));
    } else pass(req, res, crm, url);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${origin}/`,
    useGraph: (baseUrl) => {
      graphBase = baseUrl;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
