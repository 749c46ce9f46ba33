/**
 * A twin of `OfficeRuntime.storage`: the persistent, unencrypted key-value store that the JavaScript-only
 * runtime offers instead of localStorage. One instance stands for one add-in domain; every runtime of the
 * add-in that is handed the same instance sees the same data. Promise-based, answering on a later tick.
 */

/** The `OfficeRuntime.storage` methods ("Custom functions runtime: OfficeRuntime.storage", method list). */
export interface OfficeRuntimeStorageApi {
  getItem(key: string): Promise<string | null>;
  setItem(key: string, value: string): Promise<void>;
  removeItem(key: string): Promise<void>;
  getItems(keys: string[]): Promise<Record<string, string | null>>;
  setItems(values: Record<string, string>): Promise<void>;
  removeItems(keys: string[]): Promise<void>;
  getKeys(): Promise<string[]>;
}

// "The Storage object offers 10 MB of data per domain" (Custom functions runtime, OfficeRuntime.storage).
const DOMAIN_LIMIT_BYTES = 10 * 1024 * 1024;

function checkKey(key: unknown): string {
  if (typeof key !== "string" || key === "") throw new TypeError("a storage key must be a non-empty string");
  return key;
}

function checkValue(key: string, value: unknown): string {
  // Values are strings: the doc's example stores strings and objects go in as JSON.
  if (typeof value !== "string") throw new TypeError(`the value of "${key}" must be a string`);
  return value;
}

/** The storage of one domain. `size()` is what it holds, in UTF-16 bytes of keys and values. */
export class SimulatedOfficeRuntimeStorage implements OfficeRuntimeStorageApi {
  private readonly values = new Map<string, string>();

  size(): number {
    let bytes = 0;
    for (const [key, value] of this.values) bytes += (key.length + value.length) * 2;
    return bytes;
  }

  getItem(key: string): Promise<string | null> {
    return this.later(() => this.values.get(checkKey(key)) ?? null);
  }

  setItem(key: string, value: string): Promise<void> {
    return this.setItems({ [key]: value });
  }

  removeItem(key: string): Promise<void> {
    return this.removeItems([key]);
  }

  getItems(keys: string[]): Promise<Record<string, string | null>> {
    return this.later(() =>
      Object.fromEntries(keys.map((key) => [key, this.values.get(checkKey(key)) ?? null] as const)),
    );
  }

  setItems(values: Record<string, string>): Promise<void> {
    return this.later(() => {
      const next = new Map(this.values);
      for (const [key, value] of Object.entries(values)) next.set(checkKey(key), checkValue(key, value));
      let bytes = 0;
      for (const [key, value] of next) bytes += (key.length + value.length) * 2;
      // Over the domain's 10 MB nothing of the call is written.
      if (bytes > DOMAIN_LIMIT_BYTES) throw new Error("OfficeRuntime.storage is full (10 MB per domain)");
      for (const [key, value] of next) this.values.set(key, value);
    });
  }

  removeItems(keys: string[]): Promise<void> {
    return this.later(() => {
      for (const key of keys) this.values.delete(checkKey(key));
    });
  }

  getKeys(): Promise<string[]> {
    return this.later(() => [...this.values.keys()]);
  }

  private later<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) =>
      queueMicrotask(() => {
        try {
          resolve(work());
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      }),
    );
  }
}
