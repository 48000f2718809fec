// The synchronous StateReader the pure core applies blocks over (state-kv.ts), answered from
// LevelDB with getSync (about 9x the rate of async get here, STACK-NOTES) through a bounded cache.
// The cache holds encoded bytes, never decoded objects, so no caller can alter a cached value by
// mutating what it was given; absent keys are cached too, because most policy reads miss.
import { type CborValue, decodeCanonical } from '../../core/codec/canonical.js';
import { BayledgerError, fail } from '../../core/errors.js';
import type { StateBucket, StateReader, StateWrite } from '../../core/ledger/state-kv.js';
import { LIMITS } from '../../core/limits.js';
import { stateKey } from './buckets.js';
import { LruCache } from './lru-cache.js';
import type { ByteDb } from './open-db.js';

const ABSENT = null;

export class StoreStateReader implements StateReader {
  readonly #db: ByteDb;
  readonly #cache = new LruCache<string, Uint8Array | typeof ABSENT>(LIMITS.maxStateCacheEntries);

  constructor(db: ByteDb) {
    this.#db = db;
  }

  get(bucket: StateBucket, key: string): CborValue | undefined {
    const encoded = this.getEncoded(bucket, key);
    if (encoded === undefined) return undefined;
    try {
      return decodeCanonical(encoded);
    } catch (error) {
      if (error instanceof BayledgerError) {
        fail('DATABASE_CORRUPT', `state entry unreadable: ${error.message}`, `state ${bucket}/${key}`);
      }
      throw error;
    }
  }

  /** The stored canonical bytes of one entry, or undefined. */
  getEncoded(bucket: StateBucket, key: string): Uint8Array | undefined {
    const cacheKey = `${bucket}\u0000${key}`;
    const cached = this.#cache.get(cacheKey);
    if (cached !== undefined) return cached === ABSENT ? undefined : cached;
    const stored = this.#db.getSync(stateKey(bucket, key));
    this.#cache.set(cacheKey, stored ?? ABSENT);
    return stored;
  }

  /** Called after a block's batch is durable: the cache then mirrors the new state. */
  committed(writes: readonly StateWrite[], encodedValues: readonly (Uint8Array | null)[]): void {
    writes.forEach((write, i) => {
      this.#cache.set(`${write.bucket}\u0000${write.key}`, encodedValues[i] ?? ABSENT);
    });
  }
}
