// Reads the plaintext container (head, then each item file) in chunk-sized pieces straight into
// caller buffers, hashing each item's bytes on the way. Memory stays at the caller's buffers
// whatever the payload size. A file that changes size while it is read is refused: the digest
// and size the declaration carries would otherwise describe bytes that were never sealed.
import { createHash, type Hash } from 'node:crypto';
import { type FileHandle, open } from 'node:fs/promises';
import { fail } from '../../core/errors.js';

interface ItemSource {
  readonly path: string;
  readonly handle: FileHandle;
  readonly sizeBytes: number;
  readonly hasher: Hash;
  readBytes: number;
}

export interface ItemDigest {
  readonly sizeBytes: number;
  /** SHA-256 of the item's plaintext bytes. */
  readonly digest: Uint8Array;
}

/** Where sealing reads the plaintext container from: item files here, or an upload stream. */
export interface ContainerSource {
  /** Each item's size in bytes, known before the first fill (the head lists them). */
  readonly itemSizes: number[];
  /** The container head (length prefix and manifest) comes first; set it before any fill. */
  setHead(head: Uint8Array): void;
  /** Fills buffer[0, length) with the next `length` container bytes. */
  fill(buffer: Uint8Array, length: number): Promise<void>;
  /**
   * The next `length` container bytes as consecutive views, without copying them, for a source
   * that already holds them in memory (an upload stream). The views stay valid and unchanged.
   */
  take?(length: number): Promise<Uint8Array[]>;
  /** After the last fill: checks every item was read whole, returns their digests. */
  finish(): Promise<ItemDigest[]>;
  close(): Promise<void>;
}

/** The container head as the first bytes a source hands out: both sources fill from it first. */
export class ContainerHead {
  #bytes: Uint8Array = new Uint8Array(0);
  #offset = 0;

  set(head: Uint8Array): void {
    this.#bytes = head;
  }

  /** Copies what is left of the head, up to `length` bytes, to buffer[0, ...); returns how many. */
  fill(buffer: Uint8Array, length: number): number {
    const taken: Uint8Array[] = [];
    const count = this.take(length, taken);
    if (count > 0) buffer.set(taken[0]!, 0);
    return count;
  }

  /** Appends a view of what is left of the head, up to `length` bytes, to `parts`; returns how many. */
  take(length: number, parts: Uint8Array[]): number {
    const take = Math.min(length, this.#bytes.byteLength - this.#offset);
    if (take <= 0) return 0;
    parts.push(this.#bytes.subarray(this.#offset, this.#offset + take));
    this.#offset += take;
    return take;
  }
}

export class ContainerReader implements ContainerSource {
  readonly #items: ItemSource[];
  readonly #head = new ContainerHead();
  #itemIndex = 0;

  private constructor(items: ItemSource[]) {
    this.#items = items;
  }

  /** Opens every item file and notes its size; close() must follow. */
  static async open(itemPaths: readonly string[]): Promise<ContainerReader> {
    const items: ItemSource[] = [];
    try {
      for (const itemPath of itemPaths) {
        const handle = await open(itemPath, 'r');
        const stats = await handle.stat().catch(async (error: unknown) => {
          await handle.close();
          throw error;
        });
        if (!stats.isFile()) {
          await handle.close();
          fail('USAGE', 'an item must be a regular file', itemPath);
        }
        items.push({
          path: itemPath,
          handle,
          sizeBytes: stats.size,
          hasher: createHash('sha256'),
          readBytes: 0,
        });
      }
    } catch (error) {
      await Promise.all(items.map((item) => item.handle.close()));
      throw error;
    }
    return new ContainerReader(items);
  }

  get itemSizes(): number[] {
    return this.#items.map((item) => item.sizeBytes);
  }

  /** The container head (length prefix and manifest) comes first; set it before any fill. */
  setHead(head: Uint8Array): void {
    this.#head.set(head);
  }

  /** Fills buffer[0, length) with the next `length` container bytes. */
  async fill(buffer: Uint8Array, length: number): Promise<void> {
    let filled = this.#head.fill(buffer, length);
    while (filled < length) {
      const item = this.#items[this.#itemIndex];
      if (item === undefined) fail('USAGE', 'container read past its last item', 'container');
      const wanted = Math.min(length - filled, item.sizeBytes - item.readBytes);
      if (wanted === 0) {
        this.#itemIndex++;
        continue;
      }
      const { bytesRead } = await item.handle.read(buffer, filled, wanted, item.readBytes);
      if (bytesRead === 0) fail('USAGE', 'file shrank while it was being sealed', item.path);
      item.hasher.update(buffer.subarray(filled, filled + bytesRead));
      item.readBytes += bytesRead;
      filled += bytesRead;
    }
  }

  /** After the last fill: checks every file was read whole and is unchanged, returns digests. */
  async finish(): Promise<ItemDigest[]> {
    const digests: ItemDigest[] = [];
    for (const item of this.#items) {
      const { size } = await item.handle.stat();
      if (item.readBytes !== item.sizeBytes || size !== item.sizeBytes) {
        fail('USAGE', 'file changed size while it was being sealed', item.path);
      }
      digests.push({ sizeBytes: item.sizeBytes, digest: new Uint8Array(item.hasher.digest()) });
    }
    return digests;
  }

  async close(): Promise<void> {
    await Promise.all(this.#items.map((item) => item.handle.close()));
  }
}
