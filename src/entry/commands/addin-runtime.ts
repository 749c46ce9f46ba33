/**
 * What every add-in runtime (task pane, commands / launch events) is built from, and how it starts the engine.
 * The production pages pass the real adapters; the simulator's pages pass the simulator's. No business logic:
 * the engine decides, this only wires.
 */
import type { SyncError } from "../../core/errors";
import type { SyncEngineDeps } from "../../engine/engine-deps";
import type { MailboxItemRef } from "../../ports/mailbox-store";
import { SyncEngine } from "../../engine/sync-engine";

export { ADDIN_ID } from "./addin-id";

/** The adapters one runtime works with: the engine's ports and identity, plus what only the pages need. */
export interface AddinPorts extends Pick<
  SyncEngineDeps,
  "host" | "mailbox" | "crm" | "cache" | "clock" | "logger" | "clientId" | "settings"
> {
  /** Why the cache is not durable (memory fallback, persistence declined), or null. */
  readonly storageWarning: SyncError | null;
  /**
   * The item selected in a list that Office.js does not show add-ins (a contact or task in the simulator's
   * Explorer), or null. Real Outlook pages leave it out: there the host's current item is the only target.
   */
  readonly explorerSelection?: () => MailboxItemRef | null;
}

/** A started engine with the ports it runs on. */
export interface AddinRuntime extends AddinPorts {
  readonly engine: SyncEngine;
}

const CLIENT_ID_KEY = "outlookCrmSync.clientId";

/** This browser profile's client id, made once and kept in localStorage (a fresh one when storage is refused). */
export function browserClientId(): string {
  try {
    const existing = localStorage.getItem(CLIENT_ID_KEY);
    if (existing) return existing;
    const made = crypto.randomUUID();
    localStorage.setItem(CLIENT_ID_KEY, made);
    return made;
  } catch {
    return crypto.randomUUID();
  }
}

/** Builds the engine over `ports` and starts it (settings, client registration, subscriptions, timer). */
export async function startAddinRuntime(ports: AddinPorts): Promise<AddinRuntime> {
  const engine = new SyncEngine({
    host: ports.host,
    mailbox: ports.mailbox,
    crm: ports.crm,
    cache: ports.cache,
    clock: ports.clock,
    logger: ports.logger,
    clientId: ports.clientId,
    settings: ports.settings,
    newId: () => crypto.randomUUID(),
    random: Math.random,
  });
  try {
    await engine.start();
  } catch (error) {
    engine.dispose();
    throw error;
  }
  return { ...ports, engine };
}
