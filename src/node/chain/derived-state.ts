// The state chain verify re-derives from genesis, remembering for every entry the height that last
// wrote it. Comparing it with the stored state then names the block whose write the store no
// longer holds. Values are kept encoded (canonical CBOR) so the comparison is bytewise and no
// caller can alter a held value.
//
// Layout: nothing per entry lives on the V8 heap. At a million transactions the state has about
// four million entries; held as Map entries of strings they made a 1.7 GB heap that the garbage
// collector traced again and again (a fifth of chain verify's main thread), so here:
//   - every write is appended as one record (bucket, key, height, value) to an arena of large
//     off-heap Buffers (RecordArena), never rewritten: an overwrite appends a new record;
//   - an open-addressing hash table (linear probing) of typed arrays maps (bucket, key) to the
//     position of its latest record, each slot with a 32-bit tag of the key so that a probe
//     compares key bytes only when the tag agrees.
// The hash is seeded per instance (by the caller; randomly by default), so nobody can choose keys
// that pile onto one slot. A lookup hashes the key's UTF-8 bytes, so the stored state's raw keys
// are looked up without decoding them (compareStored).
import { randomBytes } from 'node:crypto';
import { type CborValue, decodeCanonical, encodeCanonical } from '../../core/codec/canonical.js';
import { assert } from '../../core/errors.js';
import {
  STATE_BUCKETS,
  type StateBucket,
  type StateReader,
  type StateWrite,
} from '../../core/ledger/state-kv.js';

export interface DerivedEntry {
  readonly bucket: StateBucket;
  readonly key: string;
  readonly encoded: Uint8Array;
  readonly height: number;
}

/** Whether a stored entry is the derived one: 'missing' when no block wrote it. */
export type StoredComparison = { readonly height: number; readonly same: boolean } | 'missing';

const BUCKET_POSITION = new Map<StateBucket, number>(STATE_BUCKETS.map((bucket, i) => [bucket, i]));

// --- the record arena ---------------------------------------------------------------------------

// Record header, little-endian, each field's offset named once: bucket (u8), key bytes (u16),
// height (u32), value bytes (u32, DELETED for none). The key's bytes follow the header, and the
// value's bytes follow the key.
const BUCKET_OFFSET = 0;
const KEY_LENGTH_OFFSET = 1;
const HEIGHT_OFFSET = 3;
const VALUE_LENGTH_OFFSET = 7;
const HEADER_BYTES = VALUE_LENGTH_OFFSET + 4;
const DELETED = 0xffff_ffff;
const MAX_KEY_BYTES = 0xffff;
/** Arena chunk size: large enough that chunk bookkeeping is negligible, small enough to grow by. */
const CHUNK_BYTES = 32 * 1024 * 1024;

/**
 * Append-only records in off-heap chunks; a record never spans two chunks, so it is addressed by
 * one number, chunk * CHUNK_BYTES + offset.
 */
class RecordArena {
  readonly #chunks: Buffer[] = [];
  #current: Buffer = Buffer.alloc(0);
  #used = 0;
  #bytes = 0;

  /** Bytes held by the arena's chunks. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Appends a record whose key is `key[keyStart, keyEnd)`; returns its position. */
  append(
    bucket: number,
    key: Buffer,
    keyStart: number,
    keyEnd: number,
    height: number,
    value: Uint8Array | null,
  ): number {
    const keyLength = keyEnd - keyStart;
    const length = HEADER_BYTES + keyLength + (value?.byteLength ?? 0);
    // Checked first and asserted only on failure: this runs for every state record of a chain,
    // and an assert's message template is built on every call, failing or not.
    const fits = length <= CHUNK_BYTES && Number.isInteger(height) && height >= 0 && height < DELETED;
    if (!fits) {
      assert(length <= CHUNK_BYTES, `state record of ${length} bytes exceeds the arena chunk`);
      assert(
        false,
        `record height ${height} does not fit the header's u32 field (an integer in [0, 2^32 - 1))`,
      );
    }
    if (this.#used + length > this.#current.byteLength) {
      // allocUnsafeSlow: outside Node's pool and outside the V8 heap; every byte is written below.
      this.#current = Buffer.allocUnsafeSlow(CHUNK_BYTES);
      this.#chunks.push(this.#current);
      this.#used = 0;
      this.#bytes += CHUNK_BYTES;
    }
    const chunk = this.#current;
    const at = this.#used;
    // The header's little-endian fields written byte by byte, and the key copied with one
    // TypedArray set: Buffer's writeUInt*LE and copy() each went through several JavaScript layers
    // per call, four calls per record.
    const valueLength = value === null ? DELETED : value.byteLength;
    chunk[at + BUCKET_OFFSET] = bucket;
    chunk[at + KEY_LENGTH_OFFSET] = keyLength & 0xff;
    chunk[at + KEY_LENGTH_OFFSET + 1] = keyLength >>> 8;
    chunk[at + HEIGHT_OFFSET] = height & 0xff;
    chunk[at + HEIGHT_OFFSET + 1] = (height >>> 8) & 0xff;
    chunk[at + HEIGHT_OFFSET + 2] = (height >>> 16) & 0xff;
    chunk[at + HEIGHT_OFFSET + 3] = height >>> 24;
    chunk[at + VALUE_LENGTH_OFFSET] = valueLength & 0xff;
    chunk[at + VALUE_LENGTH_OFFSET + 1] = (valueLength >>> 8) & 0xff;
    chunk[at + VALUE_LENGTH_OFFSET + 2] = (valueLength >>> 16) & 0xff;
    chunk[at + VALUE_LENGTH_OFFSET + 3] = valueLength >>> 24;
    chunk.set(key.subarray(keyStart, keyEnd), at + HEADER_BYTES);
    if (value !== null) chunk.set(value, at + HEADER_BYTES + keyLength);
    this.#used += length;
    return (this.#chunks.length - 1) * CHUNK_BYTES + at;
  }

  chunkOf(position: number): Buffer {
    return this.#chunks[Math.floor(position / CHUNK_BYTES)]!;
  }
}

function offsetOf(position: number): number {
  return position % CHUNK_BYTES;
}

// --- hashing ------------------------------------------------------------------------------------

/** murmur3's 32-bit finaliser (every input bit affects every output bit), as an int32. */
function mix(hash: number): number {
  let h = hash;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85eb_ca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2_ae35);
  h ^= h >>> 16;
  return h | 0;
}

// --- the table ----------------------------------------------------------------------------------

const INITIAL_CAPACITY = 1 << 12;
/** Grow when more than this share of the slots is used (linear probing stays short below it). */
const MAX_LOAD = 0.7;

export interface DerivedStateOptions {
  /** Hash seed (two 32-bit words); random by default. Tests pass one to be reproducible. */
  readonly seed?: readonly [number, number];
  /**
   * Bits of the key tag kept (default all): tests keep few so that different keys share tags and
   * every probe has to compare key bytes.
   */
  readonly tagMask?: number;
}

export class DerivedState implements StateReader {
  readonly #arena = new RecordArena();
  readonly #seedSlot: number;
  readonly #seedTag: number;
  readonly #tagMask: number;
  #capacity = INITIAL_CAPACITY;
  /** Key tag per slot (int32), never 0; 0 marks an empty slot. */
  #tags = new Int32Array(INITIAL_CAPACITY);
  /** The key's slot hash, kept so that growing re-places entries without reading their keys. */
  #hashes = new Int32Array(INITIAL_CAPACITY);
  /** Position of the slot's latest record in the arena. */
  #positions = new Float64Array(INITIAL_CAPACITY);
  #usedSlots = 0;
  #live = 0;
  /** The probe key: bucket position, then the key's UTF-8 bytes. */
  #probe = Buffer.alloc(256);
  #probeLength = 0;
  #probeSlotHash = 0;
  #probeTag = 0;

  constructor(options: DerivedStateOptions = {}) {
    const seed = options.seed ?? [randomBytes(4).readUInt32LE(0), randomBytes(4).readUInt32LE(0)];
    this.#seedSlot = seed[0] >>> 0;
    this.#seedTag = seed[1] >>> 0;
    this.#tagMask = options.tagMask ?? 0xffff_ffff;
  }

  /** Entries present (written and not deleted). */
  get size(): number {
    return this.#live;
  }

  /** Off-heap bytes held for records. */
  get arenaBytes(): number {
    return this.#arena.bytes;
  }

  get(bucket: StateBucket, key: string): CborValue | undefined {
    this.#setProbe(bucket, key);
    const value = this.#valueOf(this.#find());
    return value === undefined ? undefined : decodeCanonical(value);
  }

  has(bucket: StateBucket, key: string): boolean {
    this.#setProbe(bucket, key);
    return this.#valueOf(this.#find()) !== undefined;
  }

  /** Records a block's writes; `encodedValues` are their canonical bytes when already known. */
  apply(writes: readonly StateWrite[], height: number, encodedValues?: readonly (Uint8Array | null)[]): void {
    const known = encodedValues?.length === writes.length ? encodedValues : undefined;
    for (let i = 0; i < writes.length; i++) {
      const write = writes[i]!;
      const value = write.value === null ? null : (known?.[i] ?? encodeCanonical(write.value));
      this.#setProbe(write.bucket, write.key);
      this.#write(height, value);
    }
  }

  entry(bucket: StateBucket, key: string): DerivedEntry | undefined {
    this.#setProbe(bucket, key);
    const slot = this.#find();
    return slot < 0 ? undefined : this.#entryAt(slot);
  }

  /**
   * Whether the stored bytes of an entry are the derived ones: 'missing' when no block wrote it,
   * else the height that last wrote it and whether the bytes agree. No copy of the value is made.
   */
  compare(bucket: StateBucket, key: string, stored: Uint8Array): StoredComparison {
    this.#setProbe(bucket, key);
    return this.#compareAt(this.#find(), stored);
  }

  /** compare, for a stored entry whose key is still bytes (as the store scan yields it). */
  compareStored(bucket: StateBucket, keyBytes: Uint8Array, stored: Uint8Array): StoredComparison {
    this.#setProbeBytes(bucket, keyBytes);
    return this.#compareAt(this.#find(), stored);
  }

  *entries(): IterableIterator<DerivedEntry> {
    for (let slot = 0; slot < this.#capacity; slot++) {
      if (this.#tags[slot] === 0) continue;
      const entry = this.#entryAt(slot);
      if (entry !== undefined) yield entry;
    }
  }

  // --- probe keys and lookups -------------------------------------------------------------------

  /** Writes bucket and key into the probe buffer and hashes them. */
  #setProbe(bucket: StateBucket, key: string): void {
    const needed = 1 + 3 * key.length;
    if (this.#probe.byteLength < needed)
      this.#probe = Buffer.alloc(Math.max(needed, 2 * this.#probe.byteLength));
    this.#probe[0] = BUCKET_POSITION.get(bucket)!;
    this.#probeLength = 1 + this.#probe.write(key, 1, 'utf8');
    this.#hashProbe();
  }

  #setProbeBytes(bucket: StateBucket, keyBytes: Uint8Array): void {
    const needed = 1 + keyBytes.byteLength;
    if (this.#probe.byteLength < needed)
      this.#probe = Buffer.alloc(Math.max(needed, 2 * this.#probe.byteLength));
    this.#probe[0] = BUCKET_POSITION.get(bucket)!;
    this.#probe.set(keyBytes, 1);
    this.#probeLength = needed;
    this.#hashProbe();
  }

  /**
   * Two independent FNV-1a style hashes of the probe in one pass, each finalised by `mix`. Both
   * stay int32 (never above 2^31), so storing them allocates nothing.
   */
  #hashProbe(): void {
    const probe = this.#probe;
    const length = this.#probeLength;
    assert(length - 1 <= MAX_KEY_BYTES, `state key of ${length - 1} bytes is too long`);
    let slotHash = this.#seedSlot ^ length;
    let tag = this.#seedTag ^ length;
    for (let i = 0; i < length; i++) {
      const byte = probe[i]!;
      slotHash = Math.imul(slotHash ^ byte, 0x0100_0193);
      tag = Math.imul(tag ^ byte, 0x5bd1_e995);
    }
    this.#probeSlotHash = mix(slotHash);
    // 0 marks an empty slot, so a tag is never 0.
    this.#probeTag = mix(tag) & this.#tagMask || 1;
  }

  /** The slot of the probe key (set just before), or -1. */
  #find(): number {
    const mask = this.#capacity - 1;
    const tag = this.#probeTag;
    for (let slot = this.#probeSlotHash & mask; ; slot = (slot + 1) & mask) {
      const found = this.#tags[slot]!;
      if (found === 0) return -1;
      if (found === tag && this.#keyMatches(this.#positions[slot]!)) return slot;
    }
  }

  #keyMatches(position: number): boolean {
    const chunk = this.#arena.chunkOf(position);
    const at = offsetOf(position);
    const keyLength = this.#probeLength - 1;
    if (
      chunk[at + BUCKET_OFFSET] !== this.#probe[0] ||
      chunk.readUInt16LE(at + KEY_LENGTH_OFFSET) !== keyLength
    )
      return false;
    // Native memcmp: keys are 30 to 130 bytes, where a JavaScript loop was a fifth of the
    // stored-state comparison.
    const keyAt = at + HEADER_BYTES;
    return chunk.compare(this.#probe, 1, this.#probeLength, keyAt, keyAt + keyLength) === 0;
  }

  #valueOf(slot: number): Uint8Array | undefined {
    if (slot < 0) return undefined;
    const position = this.#positions[slot]!;
    const chunk = this.#arena.chunkOf(position);
    const at = offsetOf(position);
    const valueLength = chunk.readUInt32LE(at + VALUE_LENGTH_OFFSET);
    if (valueLength === DELETED) return undefined;
    const start = at + HEADER_BYTES + chunk.readUInt16LE(at + KEY_LENGTH_OFFSET);
    return new Uint8Array(chunk.buffer, chunk.byteOffset + start, valueLength);
  }

  /** Whether the slot's latest record holds a value (not a delete); reads only its header. */
  #isLive(slot: number): boolean {
    const position = this.#positions[slot]!;
    return this.#arena.chunkOf(position).readUInt32LE(offsetOf(position) + VALUE_LENGTH_OFFSET) !== DELETED;
  }

  #compareAt(slot: number, stored: Uint8Array): StoredComparison {
    if (slot < 0) return 'missing';
    const position = this.#positions[slot]!;
    const chunk = this.#arena.chunkOf(position);
    const at = offsetOf(position);
    const valueLength = chunk.readUInt32LE(at + VALUE_LENGTH_OFFSET);
    if (valueLength === DELETED) return 'missing';
    const height = chunk.readUInt32LE(at + HEIGHT_OFFSET);
    if (valueLength !== stored.byteLength) return { height, same: false };
    const start = at + HEADER_BYTES + chunk.readUInt16LE(at + KEY_LENGTH_OFFSET);
    return { height, same: chunk.compare(stored, 0, valueLength, start, start + valueLength) === 0 };
  }

  #entryAt(slot: number): DerivedEntry | undefined {
    const encoded = this.#valueOf(slot);
    if (encoded === undefined) return undefined;
    const position = this.#positions[slot]!;
    const chunk = this.#arena.chunkOf(position);
    const at = offsetOf(position);
    const keyStart = at + HEADER_BYTES;
    return {
      bucket: STATE_BUCKETS[chunk[at + BUCKET_OFFSET]!]!,
      key: chunk.toString('utf8', keyStart, keyStart + chunk.readUInt16LE(at + KEY_LENGTH_OFFSET)),
      encoded: Uint8Array.from(encoded),
      height: chunk.readUInt32LE(at + HEIGHT_OFFSET),
    };
  }

  // --- writes -----------------------------------------------------------------------------------

  /** Writes the probe key's new value (null deletes it). */
  #write(height: number, value: Uint8Array | null): void {
    const slot = this.#find();
    const wasLive = slot >= 0 && this.#isLive(slot);
    if (slot < 0 && value === null) return; // deleting what was never written
    const position = this.#arena.append(this.#probe[0]!, this.#probe, 1, this.#probeLength, height, value);
    if (slot >= 0) {
      this.#positions[slot] = position;
    } else {
      this.#insert(this.#probeSlotHash, this.#probeTag, position);
      this.#usedSlots++;
      if (this.#usedSlots > MAX_LOAD * this.#capacity) this.#grow();
    }
    this.#live += (value !== null ? 1 : 0) - (wasLive ? 1 : 0);
  }

  #insert(slotHash: number, tag: number, position: number): void {
    const mask = this.#capacity - 1;
    let slot = slotHash & mask;
    while (this.#tags[slot] !== 0) slot = (slot + 1) & mask;
    this.#tags[slot] = tag;
    this.#hashes[slot] = slotHash;
    this.#positions[slot] = position;
  }

  /** Doubles the table and re-places every entry by its kept hash. */
  #grow(): void {
    const tags = this.#tags;
    const hashes = this.#hashes;
    const positions = this.#positions;
    this.#capacity *= 2;
    this.#tags = new Int32Array(this.#capacity);
    this.#hashes = new Int32Array(this.#capacity);
    this.#positions = new Float64Array(this.#capacity);
    for (let slot = 0; slot < tags.length; slot++) {
      if (tags[slot] !== 0) this.#insert(hashes[slot]!, tags[slot]!, positions[slot]!);
    }
  }
}
