// The synchronous StateReader the pure core applies blocks over (state-kv.ts), answered from
// LevelDB with getSync (about 9x the rate of async get here, STACK-NOTES) through a bounded cache.
// The cache holds encoded bytes, never decoded objects, so no caller can alter a cached value by
// mutating what it was given; absent keys are cached too, because most policy reads miss.
//
// Only the buckets block application reads back go through the cache (CACHED_BUCKETS). Three of
// the nine are written for every transaction and never read back there: 'outcome' and 'patient'
// (read by the API and audits only) and 'seen' (the replay guard, read once per new transaction
// and then absent). Caching them was four of a validator's six cache insertions per transaction
// (counted at 700 tx/s: each a key string built and hashed, the value held until its generation
// was dropped, so promoted to V8's old generation first), and they pushed the entries that are
// read back, consents and transfers, out of the cache three times as fast. Those three buckets are
// read from LevelDB every time, so they can never be stale here.
import { type CborValue, decodeCanonical } from '../../core/codec/canonical.js';
import { BayledgerError, fail } from '../../core/errors.js';
import type { StateBucket, StateReader, StateWrite } from '../../core/ledger/state-kv.js';
import { LIMITS } from '../../core/limits.js';
import { stateKey } from './buckets.js';
import { LruCache } from './lru-cache.js';
import type { ByteDb } from './open-db.js';

const ABSENT = null;

/** Buckets block application reads back after writing; the other buckets bypass the cache. */
const CACHED_BUCKETS: Readonly<Record<StateBucket, boolean>> = {
  consent: true,
  transfer: true,
  patient: false,
  counter: true,
  counted: true,
  seen: false,
  policy: true,
  evidence: true,
  outcome: false,
};

/** A stored state entry's canonical bytes decoded; DATABASE_CORRUPT naming the entry if they do not. */
export function decodeStateValue(bucket: StateBucket, key: string, encoded: Uint8Array): CborValue {
  try {
    return decodeCanonical(encoded);
  } catch (error) {
    if (error instanceof BayledgerError) {
      fail('DATABASE_CORRUPT', `state entry unreadable: ${error.message}`, `state ${bucket}/${key}`);
    }
    throw error;
  }
}

export class StoreStateReader implements StateReader {
  readonly #db: ByteDb;
  readonly #cache = new LruCache<string, Uint8Array | typeof ABSENT>(LIMITS.maxStateCacheEntries);

  constructor(db: ByteDb) {
    this.#db = db;
  }

  get(bucket: StateBucket, key: string): CborValue | undefined {
    const encoded = this.getEncoded(bucket, key);
    return encoded === undefined ? undefined : decodeStateValue(bucket, key, encoded);
  }

  /** The stored canonical bytes of one entry, or undefined. */
  getEncoded(bucket: StateBucket, key: string): Uint8Array | undefined {
    if (!CACHED_BUCKETS[bucket]) return this.#db.getSync(stateKey(bucket, key));
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
      if (CACHED_BUCKETS[write.bucket]) {
        this.#cache.set(`${write.bucket}\u0000${write.key}`, encodedValues[i] ?? ABSENT);
      }
    });
  }
}
