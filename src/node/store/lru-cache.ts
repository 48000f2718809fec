// A bounded cache that keeps recently used entries (the store caches immutable tree nodes and
// state entries with it; the bound comes from LIMITS). It is a two-generation approximation of
// least-recently-used: entries live in a young and an old Map; a hit in the old generation moves
// the entry to the young one; when the young generation reaches half the capacity, the old one is
// dropped whole and the young one becomes old. So an entry used within the last capacity/2
// insertions is always kept, at most `capacity` entries are held, and a hit in the young
// generation is a single Map lookup. A strict LRU re-inserted the entry on every hit (delete and
// set on a Map of 100,000 entries): a third of the store's read time in a block's verification.
import { assert } from '../../core/errors.js';

/** V excludes undefined, which `get` answers for a miss (the state reader caches absence as null). */
export class LruCache<K, V extends NonNullable<unknown> | null> {
  readonly #half: number;
  #young = new Map<K, V>();
  #old = new Map<K, V>();

  constructor(capacity: number) {
    assert(Number.isInteger(capacity) && capacity > 1, `cache capacity ${capacity} must be at least 2`);
    this.#half = Math.floor(capacity / 2);
  }

  get size(): number {
    return this.#young.size + this.#old.size;
  }

  has(key: K): boolean {
    return this.#young.has(key) || this.#old.has(key);
  }

  /** The cached value, refreshed as recently used. */
  get(key: K): V | undefined {
    const young = this.#young.get(key);
    if (young !== undefined) return young;
    const old = this.#old.get(key);
    if (old === undefined) return undefined;
    this.#old.delete(key);
    this.#promote(key, old);
    return old;
  }

  set(key: K, value: V): void {
    this.#old.delete(key);
    this.#promote(key, value);
  }

  clear(): void {
    this.#young.clear();
    this.#old.clear();
  }

  #promote(key: K, value: V): void {
    this.#young.set(key, value);
    if (this.#young.size >= this.#half) {
      this.#old = this.#young;
      this.#young = new Map();
    }
  }
}
