// The state chain verify re-derives from genesis, in memory, remembering for every entry the
// height that last wrote it. Comparing it with the stored state then names the block whose
// write the store no longer holds. Values are kept encoded (canonical CBOR) so the comparison is
// bytewise and no caller can alter a held value.
//
// Layout, for a million-transaction chain (about four million entries): one Map per bucket from key
// to a one-byte string holding the writing height (4 bytes, little-endian) and then the value's
// canonical bytes. A string costs its length plus a small header on the V8 heap, where an entry
// object with a Uint8Array and its ArrayBuffer cost about 200 bytes more per entry and gave the
// garbage collector four objects to trace instead of one.
import { type CborValue, decodeCanonical, encodeCanonical } from '../../core/codec/canonical.js';
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

const HEIGHT_CHARS = 4;
const BUCKET_POSITION = new Map<StateBucket, number>(STATE_BUCKETS.map((bucket, i) => [bucket, i]));

let scratch = Buffer.alloc(4096);

/** Height and value packed into one latin1 string (each char one byte). */
function pack(height: number, encoded: Uint8Array): string {
  const length = HEIGHT_CHARS + encoded.byteLength;
  if (scratch.byteLength < length) scratch = Buffer.alloc(Math.max(length, 2 * scratch.byteLength));
  scratch.writeUInt32LE(height, 0);
  scratch.set(encoded, HEIGHT_CHARS);
  return scratch.toString('latin1', 0, length);
}

function packedHeight(packed: string): number {
  return (
    packed.charCodeAt(0) |
    (packed.charCodeAt(1) << 8) |
    (packed.charCodeAt(2) << 16) |
    (packed.charCodeAt(3) * 0x1000000)
  );
}

function packedValue(packed: string): Uint8Array {
  const bytes = Buffer.from(packed.slice(HEIGHT_CHARS), 'latin1');
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export class DerivedState implements StateReader {
  readonly #buckets: Map<string, string>[] = STATE_BUCKETS.map(() => new Map());

  get size(): number {
    let total = 0;
    for (const bucket of this.#buckets) total += bucket.size;
    return total;
  }

  #bucket(bucket: StateBucket): Map<string, string> {
    return this.#buckets[BUCKET_POSITION.get(bucket)!]!;
  }

  get(bucket: StateBucket, key: string): CborValue | undefined {
    const packed = this.#bucket(bucket).get(key);
    return packed === undefined ? undefined : decodeCanonical(packedValue(packed));
  }

  has(bucket: StateBucket, key: string): boolean {
    return this.#bucket(bucket).has(key);
  }

  /** Records a block's writes; `encodedValues` are their canonical bytes when already known. */
  apply(writes: readonly StateWrite[], height: number, encodedValues?: readonly (Uint8Array | null)[]): void {
    const known = encodedValues?.length === writes.length ? encodedValues : undefined;
    writes.forEach((write, i) => {
      const entries = this.#bucket(write.bucket);
      if (write.value === null) {
        entries.delete(write.key);
        return;
      }
      entries.set(write.key, pack(height, known?.[i] ?? encodeCanonical(write.value)));
    });
  }

  entry(bucket: StateBucket, key: string): DerivedEntry | undefined {
    const packed = this.#bucket(bucket).get(key);
    if (packed === undefined) return undefined;
    return { bucket, key, encoded: packedValue(packed), height: packedHeight(packed) };
  }

  /**
   * Whether the stored bytes of an entry are the derived ones: 'missing' when no block wrote it,
   * else the height that last wrote it and whether the bytes agree. No copy of the value is made.
   */
  compare(
    bucket: StateBucket,
    key: string,
    stored: Uint8Array,
  ): { height: number; same: boolean } | 'missing' {
    const packed = this.#bucket(bucket).get(key);
    if (packed === undefined) return 'missing';
    const height = packedHeight(packed);
    if (packed.length !== HEIGHT_CHARS + stored.byteLength) return { height, same: false };
    const storedText = Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength).toString('latin1');
    return { height, same: packed.endsWith(storedText) };
  }

  *entries(): IterableIterator<DerivedEntry> {
    for (const [position, entries] of this.#buckets.entries()) {
      const bucket = STATE_BUCKETS[position]!;
      for (const [key, packed] of entries) {
        yield { bucket, key, encoded: packedValue(packed), height: packedHeight(packed) };
      }
    }
  }
}
