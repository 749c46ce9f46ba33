/** Headers every answer of the server carries, Fastify's own errors and the event streams included. */
import type { Server } from "node:http";

/** `X-Content-Type-Options: nosniff` keeps a browser from reading an answer as another type than it says. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = { "X-Content-Type-Options": "nosniff" };

/** Sets {@link SECURITY_HEADERS} on the raw response before any other listener (Fastify's router too) sees it. */
export function sendSecurityHeaders(server: Server): void {
  server.prependListener("request", (_request, response) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
  });
}
