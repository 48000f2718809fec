// Ledger state as a key-value space of canonical CBOR values, split into named buckets.
//
// The pure core never holds the whole state: block application reads through a synchronous
// `StateReader` (the store answers from LevelDB with getSync and a cache; tests use a Map) and
// records its changes in a `StateOverlay`. The overlay's writes, sorted, are what the store
// commits in the block's atomic batch, and their hash feeds the header's stateHash, so every node
// commits to exactly the same state changes.
import { type CborValue, compareTextKeys, encodeCanonical } from '../codec/canonical.js';
import { sha256 } from '../crypto/hash.js';

export const STATE_BUCKETS = [
  'consent', // consentId -> consent state
  'transfer', // transferId -> transfer state
  'patient', // patient pseudonym (hex) + '/' + object id -> index entry
  'counter', // sender + '/' + year -> distinct patients that year
  'counted', // sender + '/' + year + '/' + patient -> true (for distinct counting)
  'seen', // body hash -> txId of the first record with that body (replay guard)
  'policy', // 'current' -> active policy
  'evidence', // evidence id -> equivocation evidence
  'outcome', // txId (hex) -> { accepted, reasons } verdict of that transaction
] as const;
export type StateBucket = (typeof STATE_BUCKETS)[number];

export interface StateReader {
  get(bucket: StateBucket, key: string): CborValue | undefined;
}

export interface StateWrite {
  readonly bucket: StateBucket;
  readonly key: string;
  /** null deletes the entry. */
  readonly value: CborValue | null;
}

/** Reads through to a base reader; collects writes in memory, last write per key wins. */
export class StateOverlay implements StateReader {
  readonly #base: StateReader;
  readonly #writes = new Map<string, StateWrite>();

  constructor(base: StateReader) {
    this.#base = base;
  }

  get(bucket: StateBucket, key: string): CborValue | undefined {
    const write = this.#writes.get(`${bucket}\u0000${key}`);
    if (write) return write.value === null ? undefined : write.value;
    return this.#base.get(bucket, key);
  }

  set(bucket: StateBucket, key: string, value: CborValue | null): void {
    this.#writes.set(`${bucket}\u0000${key}`, { bucket, key, value });
  }

  /** Writes sorted by bucket then key, so their encoding is deterministic. */
  writes(): StateWrite[] {
    return [...this.#writes.values()].sort(
      (a, b) =>
        STATE_BUCKETS.indexOf(a.bucket) - STATE_BUCKETS.indexOf(b.bucket) || compareTextKeys(a.key, b.key),
    );
  }

  /** A child overlay for one transaction: merged into this one only if the transaction applies. */
  fork(): StateOverlay {
    return new StateOverlay(this);
  }

  /** Copies a child's writes into this overlay. */
  absorb(child: StateOverlay): void {
    for (const write of child.writes()) this.set(write.bucket, write.key, write.value);
  }
}

/** In-memory state for tests and the simulator. */
export class MemoryState implements StateReader {
  readonly entries = new Map<string, CborValue>();
  get(bucket: StateBucket, key: string): CborValue | undefined {
    return this.entries.get(`${bucket}\u0000${key}`);
  }
  apply(writes: readonly StateWrite[]): void {
    for (const write of writes) {
      const key = `${write.bucket}\u0000${write.key}`;
      if (write.value === null) this.entries.delete(key);
      else this.entries.set(key, write.value);
    }
  }
}

/** stateHash(h) = SHA-256(stateHash(h-1) || SHA-256(canonical writes of block h)). */
export function nextStateHash(previousStateHash: Uint8Array, writes: readonly StateWrite[]): Uint8Array {
  const encoded = encodeCanonical(writes.map((write) => [write.bucket, write.key, write.value]));
  return sha256(previousStateHash, sha256(encoded));
}
