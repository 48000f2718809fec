// Ledger state as a key-value space of canonical CBOR values, split into named buckets.
//
// The pure core never holds the whole state: block application reads through a synchronous
// `StateReader` (the store answers from LevelDB with getSync and a cache; tests use a Map) and
// records its changes in a `StateOverlay`. The overlay's writes, sorted, are what the store
// commits in the block's atomic batch, and their hash feeds the header's stateHash, so every node
// commits to exactly the same state changes.
import {
  type CborValue,
  compareTextKeys,
  encodeCanonical,
  encodeCanonicalKnowing,
} from '../codec/canonical.js';
import { encodeHead } from '../codec/fast-encode.js';
import { sha256 } from '../crypto/hash.js';
import { assert } from '../errors.js';

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

function compareAsciiKeys(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Position of each bucket in STATE_BUCKETS: the order writes are sorted and hashed in. */
const BUCKET_POSITION: Readonly<Record<StateBucket, number>> = Object.fromEntries(
  STATE_BUCKETS.map((bucket, position) => [bucket, position]),
) as Record<StateBucket, number>;

/** Reads through to a base reader; collects writes in memory, last write per key wins. */
export class StateOverlay implements StateReader {
  readonly #base: StateReader;
  // One map per bucket (by position): no composite key string is built per access, and writes()
  // sorts within each bucket only.
  readonly #writes: Map<string, StateWrite>[] = STATE_BUCKETS.map(() => new Map());

  constructor(base: StateReader) {
    this.#base = base;
  }

  get(bucket: StateBucket, key: string): CborValue | undefined {
    const write = this.#writes[BUCKET_POSITION[bucket]]!.get(key);
    if (write) return write.value === null ? undefined : write.value;
    return this.#base.get(bucket, key);
  }

  /**
   * The value this overlay itself holds for the key: a value, null for a delete, or undefined
   * when it wrote nothing there (its base is not consulted).
   */
  written(bucket: StateBucket, key: string): CborValue | null | undefined {
    return this.#writes[BUCKET_POSITION[bucket]]!.get(key)?.value;
  }

  set(bucket: StateBucket, key: string, value: CborValue | null): void {
    this.#writes[BUCKET_POSITION[bucket]]!.set(key, { bucket, key, value });
  }

  /** Writes sorted by bucket then key, so their encoding is deterministic. */
  writes(): StateWrite[] {
    const sorted: StateWrite[] = [];
    for (const bucketWrites of this.#writes) {
      if (bucketWrites.size === 0) continue;
      const keys = [...bucketWrites.keys()];
      // Every key bayledger writes is ASCII, where section 4.2.1 order is length, then code units;
      // compareTextKeys checks both keys for ASCII on each of the n log n comparisons.
      keys.sort(keys.every(isAscii) ? compareAsciiKeys : compareTextKeys);
      for (const key of keys) sorted.push(bucketWrites.get(key)!);
    }
    return sorted;
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

/**
 * Canonical bytes of each write's value, aligned with `writes`; null for a delete. `known` maps
 * values embedded unchanged in the records (transaction bodies) to their canonical bytes.
 *
 * Each value is encoded on its own: the codec recognises a known body only as a direct field of
 * the value it encodes, so wrapping a block's values in one array (one call, one buffer) lost
 * that and encoded every embedded body again.
 */
export function encodeWriteValues(
  writes: readonly StateWrite[],
  known?: ReadonlyMap<object, Uint8Array>,
): (Uint8Array | null)[] {
  return writes.map((write) => {
    if (write.value === null) return null;
    const simple = encodeSimple(write.value);
    if (simple !== undefined) return simple;
    return known === undefined ? encodeCanonical(write.value) : encodeCanonicalKnowing(write.value, known);
  });
}

const TRUE_ENCODED = Uint8Array.of(0xf5);
const FALSE_ENCODED = Uint8Array.of(0xf4);

/**
 * The canonical bytes of a value whose encoding is only a head (RFC 8949 section 4.2.1, shortest
 * form) and its content: a byte string (a replay guard's txId), a boolean or a safe unsigned
 * integer (counters); undefined for anything else, which the codec encodes. A third of a block's
 * state values are of these kinds, and the general encoder's setup cost more than their bytes.
 */
function encodeSimple(value: CborValue): Uint8Array | undefined {
  if (value instanceof Uint8Array) {
    const head = encodeHead(2, value.byteLength);
    const encoded = new Uint8Array(head.byteLength + value.byteLength);
    encoded.set(head, 0);
    encoded.set(value, head.byteLength);
    return encoded;
  }
  if (value === true) return TRUE_ENCODED.slice();
  if (value === false) return FALSE_ENCODED.slice();
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return encodeHead(0, value);
  return undefined;
}

const NULL_ENCODED = Uint8Array.from([0xf6]);
/** RFC 8949 head of an array of three items (major type 4, length 3). */
const TRIPLE_HEAD = 0x83;
const ENCODED_BUCKETS: readonly Uint8Array[] = STATE_BUCKETS.map((bucket) => encodeCanonical(bucket));

const textHeads = new Map<number, Uint8Array>();
/** The head of a text of `length` bytes, remembered (keys come in a few lengths). */
function textHead(length: number): Uint8Array {
  let head = textHeads.get(length);
  if (head === undefined) {
    head = encodeHead(3, length);
    if (textHeads.size < 1024) textHeads.set(length, head);
  }
  return head;
}

/** Whether every character is ASCII: then, and only then, its UTF-8 length is its length. */
function isAscii(text: string): boolean {
  return Buffer.byteLength(text, 'utf8') === text.length;
}

/**
 * nextStateHash from values already encoded (encodeWriteValues): the same bytes are hashed, but
 * each value is encoded once for the hash, the store's batch and its cache. The encoding of the
 * list of [bucket, key, value] triples is assembled from its parts, as RFC 8949 defines an array's
 * encoding: its head, then its items' encodings back to back; each triple is the head 0x83, the
 * bucket's text (constants), the key's text (ASCII in every bucket, written directly; anything else
 * through the codec), then the value's bytes.
 */
export function nextStateHashOfEncoded(
  previousStateHash: Uint8Array,
  writes: readonly StateWrite[],
  encodedValues: readonly (Uint8Array | null)[],
): Uint8Array {
  const keys = writes.map((write) => (isAscii(write.key) ? write.key : encodeCanonical(write.key)));
  let total = 0;
  for (let i = 0; i < writes.length; i++) {
    const key = keys[i]!;
    total += 1 + ENCODED_BUCKETS[BUCKET_POSITION[writes[i]!.bucket]]!.byteLength;
    total += typeof key === 'string' ? textHead(key.length).byteLength + key.length : key.byteLength;
    total += (encodedValues[i] ?? NULL_ENCODED).byteLength;
  }
  // A Buffer for its native latin1 write, which for ASCII text writes exactly its UTF-8 bytes.
  const items = Buffer.allocUnsafe(total);
  let at = 0;
  for (let i = 0; i < writes.length; i++) {
    items[at++] = TRIPLE_HEAD;
    const bucket = ENCODED_BUCKETS[BUCKET_POSITION[writes[i]!.bucket]]!;
    items.set(bucket, at);
    at += bucket.byteLength;
    const key = keys[i]!;
    if (typeof key === 'string') {
      const head = textHead(key.length);
      items.set(head, at);
      at += head.byteLength;
      at += items.write(key, at, key.length, 'latin1');
    } else {
      items.set(key, at);
      at += key.byteLength;
    }
    const value = encodedValues[i] ?? NULL_ENCODED;
    items.set(value, at);
    at += value.byteLength;
  }
  // allocUnsafe skips zeroing; a byte left unwritten would be old memory inside the state hash.
  assert(at === total, 'state hash items: written bytes differ from the computed size');
  return sha256(previousStateHash, sha256(encodeHead(4, writes.length), items));
}
