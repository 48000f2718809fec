// The state chain verify re-derives from genesis, in memory, remembering for every entry the
// height that last wrote it. Comparing it with the stored state then names the block whose
// write the store no longer holds. Values are kept encoded (canonical CBOR) so the comparison is
// bytewise and no caller can alter a held value.
import { type CborValue, decodeCanonical, encodeCanonical } from '../../core/codec/canonical.js';
import type { StateBucket, StateReader, StateWrite } from '../../core/ledger/state-kv.js';

interface DerivedEntry {
  readonly bucket: StateBucket;
  readonly key: string;
  readonly encoded: Uint8Array;
  readonly height: number;
}

function entryKey(bucket: StateBucket, key: string): string {
  return `${bucket}\u0000${key}`;
}

export class DerivedState implements StateReader {
  readonly #entries = new Map<string, DerivedEntry>();

  get size(): number {
    return this.#entries.size;
  }

  get(bucket: StateBucket, key: string): CborValue | undefined {
    const entry = this.#entries.get(entryKey(bucket, key));
    return entry === undefined ? undefined : decodeCanonical(entry.encoded);
  }

  /** Records a block's writes; `encodedValues` are their canonical bytes when already known. */
  apply(writes: readonly StateWrite[], height: number, encodedValues?: readonly (Uint8Array | null)[]): void {
    const known = encodedValues?.length === writes.length ? encodedValues : undefined;
    writes.forEach((write, i) => {
      const key = entryKey(write.bucket, write.key);
      if (write.value === null) {
        this.#entries.delete(key);
        return;
      }
      const encoded = known?.[i] ?? encodeCanonical(write.value);
      this.#entries.set(key, { bucket: write.bucket, key: write.key, encoded, height });
    });
  }

  entry(bucket: StateBucket, key: string): DerivedEntry | undefined {
    return this.#entries.get(entryKey(bucket, key));
  }

  entries(): IterableIterator<DerivedEntry> {
    return this.#entries.values();
  }
}
