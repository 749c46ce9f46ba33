/**
 * A simulated storage quota for IndexedDB: once the values written into a database reach its limit, the
 * next put or add throws QuotaExceededError, as a full browser profile does. Patches the realm's
 * IDBObjectStore prototype once; databases without a limit are untouched.
 */
const limits = new Map<string, { readonly bytes: number; used: number }>();
let installed = false;

/** Gives database `name` a quota of `bytes` (counted as the JSON length of every value written). */
export function limitDatabase(name: string, bytes: number): void {
  limits.set(name, { bytes, used: 0 });
  if (installed) return;
  installed = true;
  const proto = IDBObjectStore.prototype;
  for (const method of ["put", "add"] as const) {
    const original: (this: IDBObjectStore, value: unknown, key?: IDBValidKey) => IDBRequest<IDBValidKey> =
      Reflect.get(proto, method);
    proto[method] = function (
      this: IDBObjectStore,
      value: unknown,
      key?: IDBValidKey,
    ): IDBRequest<IDBValidKey> {
      const limit = limits.get(this.transaction.db.name);
      if (limit) {
        limit.used += JSON.stringify(value).length;
        if (limit.used > limit.bytes) throw new DOMException("simulated quota reached", "QuotaExceededError");
      }
      return key === undefined ? original.call(this, value) : original.call(this, value, key);
    };
  }
}
