// The plaintext container read from a byte stream instead of files: the items arrive back to back
// in one body (a hospital's upload), with their sizes announced up front, so the container head
// can be built before the first byte and sealing runs while the bytes arrive (seal.ts). Each
// item is hashed as it passes; the stream must carry exactly the announced bytes, no fewer and
// no more, or the sealing is refused (the declared sizes and digests would not describe it).
import { createHash, type Hash } from 'node:crypto';
import { assert, fail } from '../../core/errors.js';
import { ContainerHead, type ContainerSource, type ItemDigest } from './container-reader.js';

export class StreamContainerReader implements ContainerSource {
  readonly #sizes: readonly number[];
  readonly #source: AsyncIterator<Uint8Array>;
  readonly #head = new ContainerHead();
  /** The part of the last chunk from the stream not handed out yet. */
  #pending: Uint8Array = new Uint8Array(0);
  #itemIndex = 0;
  #itemRead = 0;
  #hasher: Hash = createHash('sha256');
  readonly #digests: ItemDigest[] = [];

  /** `sizes` are the items' byte counts, in the order they come in `source`; each at least 1. */
  constructor(sizes: readonly number[], source: AsyncIterable<Uint8Array>) {
    assert(sizes.length > 0 && sizes.every((size) => Number.isSafeInteger(size) && size > 0), 'item sizes');
    this.#sizes = sizes;
    this.#source = source[Symbol.asyncIterator]();
  }

  get itemSizes(): number[] {
    return [...this.#sizes];
  }

  setHead(head: Uint8Array): void {
    this.#head.set(head);
  }

  /** Fills buffer[0, length) with the next `length` container bytes. */
  async fill(buffer: Uint8Array, length: number): Promise<void> {
    let filled = 0;
    for (const part of await this.take(length)) {
      buffer.set(part, filled);
      filled += part.byteLength;
    }
  }

  /**
   * The next `length` container bytes as views into the head and the body's own pieces: sealing
   * encrypts them where they arrived instead of first copying them into a chunk buffer (a copy of
   * every uploaded byte). The body's pieces are fresh buffers the stream never reuses.
   */
  async take(length: number): Promise<Uint8Array[]> {
    const parts: Uint8Array[] = [];
    let taken = this.#head.take(length, parts);
    while (taken < length) {
      if (this.#itemIndex >= this.#sizes.length)
        fail('USAGE', 'container read past its last item', 'container');
      if (this.#pending.byteLength === 0) this.#pending = await this.#next();
      const itemLeft = this.#sizes[this.#itemIndex]! - this.#itemRead;
      const take = Math.min(length - taken, itemLeft, this.#pending.byteLength);
      const piece = this.#pending.subarray(0, take);
      parts.push(piece);
      this.#hasher.update(piece);
      this.#pending = this.#pending.subarray(take);
      this.#itemRead += take;
      taken += take;
      if (this.#itemRead === this.#sizes[this.#itemIndex]) this.#endItem();
    }
    return parts;
  }

  #endItem(): void {
    this.#digests.push({
      sizeBytes: this.#sizes[this.#itemIndex]!,
      digest: new Uint8Array(this.#hasher.digest()),
    });
    this.#itemIndex++;
    this.#itemRead = 0;
    this.#hasher = createHash('sha256');
  }

  async #next(): Promise<Uint8Array> {
    for (;;) {
      const next = await this.#source.next();
      if (next.done === true) {
        fail('REQUEST_MALFORMED', 'the body ended before the announced item sizes', 'upload');
      }
      if (next.value.byteLength > 0) return next.value;
    }
  }

  /** After the last fill: checks the stream held nothing more, returns each item's digest. */
  async finish(): Promise<ItemDigest[]> {
    if (this.#digests.length !== this.#sizes.length) {
      fail('USAGE', 'container finished before its last item was read', 'container');
    }
    if (this.#pending.byteLength > 0 || (await this.#source.next()).done !== true) {
      fail('REQUEST_MALFORMED', 'the body is longer than the announced item sizes', 'upload');
    }
    return this.#digests;
  }

  async close(): Promise<void> {
    // Stops the body early when sealing failed; a stream that already ended ignores this.
    await this.#source.return?.();
  }
}
