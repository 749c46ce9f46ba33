/** The few PouchDB calls the initial-sync benchmark makes (the packages ship no types). */
declare module "pouchdb-browser" {
  interface ReplicationResult {
    readonly ok: boolean;
    readonly errors: readonly unknown[];
    readonly docs_written: number;
  }
  export default class PouchDB {
    constructor(name: string);
    readonly replicate: { from(remote: string): Promise<ReplicationResult> };
    info(): Promise<{ readonly doc_count: number }>;
    close(): Promise<void>;
  }
}

declare module "pouchdb-core" {
  interface Database {
    bulkDocs(docs: readonly object[]): Promise<unknown>;
    info(): Promise<{ readonly doc_count: number }>;
    destroy(): Promise<void>;
  }
  interface Constructor {
    new (name: string): Database;
    plugin(plugin: unknown): Constructor;
    defaults(options: { readonly adapter: string }): Constructor;
  }
  const PouchDB: Constructor;
  export default PouchDB;
}

declare module "pouchdb-adapter-memory" {
  const plugin: unknown;
  export default plugin;
}

declare module "pouchdb-mapreduce" {
  const plugin: unknown;
  export default plugin;
}

declare module "pouchdb-replication" {
  const plugin: unknown;
  export default plugin;
}

declare module "express-pouchdb" {
  import type { IncomingMessage, ServerResponse } from "node:http";
  export default function expressPouchdb(
    pouchdb: unknown,
    options: { readonly mode: string; readonly inMemoryConfig: boolean; readonly logPath: string },
  ): (req: IncomingMessage, res: ServerResponse) => void;
}
