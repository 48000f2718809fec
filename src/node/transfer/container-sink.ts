// The receiver's side of the container (see container.ts): decrypted bytes arrive in container
// order and go straight into one file per item, so the payload is written to disk once, not once
// as a container and again as files. The head (length prefix and manifest) is collected first;
// as soon as it is complete it is checked against the declaration (a bad manifest or item sizes
// that differ from the declared ones are refused before any item byte is written).
//
// Each item is hashed as its bytes pass, in order; an item whose first bytes arrived before a
// restart is hashed by reading its file back at the end (SHA-256 state cannot be persisted).
//
// A container of RECEIVE_WORKER_MIN_BYTES or more has its items hashed and written on a
// worker thread (item-write-pool.ts): a recipient node's spare, loaded ahead of the transfer
// (item-write-spare.ts), or one started when the sink opens, which the first item byte waits
// for if it has not loaded by then; the bytes it gets were authenticated before `write` was
// called, and are copied to it, so `write`'s parts may be reused once it returns. If it fails to
// load, this thread does the work as before; if it fails later, `write` or `sync` throws, like a
// failed write here, and no chunk it had is recorded as durable. Measured between two processes
// over libp2p (test/bench/payload-crypto.ts --network --items-on alternate, 300 and 500 MB, 12
// alternating pairs at load 3.4-6): the receiver's main-thread CPU median 5.82 -> 5.21 ms per MB
// (lower in 11 of 12 pairs), wall median 67.5 -> 73 MB/s (faster in 7 of 12).
import { createHash, type Hash } from 'node:crypto';
import { closeSync } from 'node:fs';
import { type FileHandle, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { concatBytes } from '../../core/bytes.js';
import { assert, isBayledgerError } from '../../core/errors.js';
import { LIMITS } from '../../core/limits.js';
import { decodeContainerManifest, decodeManifestLength, MANIFEST_LENGTH_BYTES } from './container.js';
import { openDirect } from './direct-appender.js';
import { inFlight, openReadWrite, PRIVATE_DIRECTORY_MODE, writeAllFully, writeFully } from './durable-fs.js';
import { piecesByItem } from './item-pieces.js';
import { ItemWriteWorker } from './item-write-pool.js';
import type { ItemWriteWorkerSpare } from './item-write-spare.js';
import type { PayloadLayout } from './layout.js';

/**
 * From this many container bytes on, items are hashed and written on a worker thread. Below it
 * there is little to overlap (hashing 8 MiB takes about 5 ms here) for the cost of starting a
 * thread and loading its modules (about half a second per receiver under tsx in the unit tests,
 * which is why their small payloads stay on the main thread unless a test asks for the worker).
 */
export const RECEIVE_WORKER_MIN_BYTES = 8 * 1024 * 1024;

const HEAD_FILE = 'head.bin';
export const ITEMS_FOLDER = 'files';

export function itemFileName(index: number): string {
  return `item-${String(index).padStart(2, '0')}.bin`;
}

export type SinkProblem = { reason: 'MANIFEST_INVALID' | 'ITEM_SIZE_MISMATCH'; detail: string };

interface ItemFile {
  readonly file: string;
  readonly handle: FileHandle;
  /** Offset of the item's first byte in the container. */
  readonly start: number;
  readonly sizeBytes: number;
  readonly hasher: Hash;
  /** Bytes fed to `hasher`: the item's prefix seen in order by this process. */
  hashedBytes: number;
  /** The same file opened with O_DIRECT for the worker's writes, once it has them (if allowed). */
  directFd: number | undefined;
  /** Writes issued to this file, and how many of them the last completed datasync covers. */
  writes: number;
  syncedWrites: number;
}

export class ContainerSink {
  readonly #directory: string;
  readonly #layout: PayloadLayout;
  readonly #declaredSizes: readonly number[];
  #head: Uint8Array;
  #headBytes: number | undefined;
  /** Head bytes collected, and how many of them head.bin durably holds. */
  #headSynced = 0;
  #items: ItemFile[] = [];
  #pending: Promise<unknown> = Promise.resolve();
  /** Started when the sink opens; undefined when this thread writes (small payload, failed load). */
  #worker: ItemWriteWorker | undefined;
  /** Whether item writes go to the worker, decided at the first one (once it has loaded). */
  #onWorker: Promise<boolean> | undefined;
  #directItemFiles = 0;
  /** Container bytes recorded as durable when the sink opened: item bytes past them are cut. */
  readonly #durableBytes: number;

  private constructor(
    directory: string,
    layout: PayloadLayout,
    declaredSizes: readonly number[],
    head: Uint8Array,
    worker: ItemWriteWorker | undefined,
    durableBytes: number,
  ) {
    this.#durableBytes = durableBytes;
    this.#directory = directory;
    this.#layout = layout;
    this.#declaredSizes = declaredSizes;
    this.#head = head;
    this.#worker = worker;
  }

  /**
   * Opens the sink in `directory`, keeping the head bytes among the first `durableBytes` of the
   * container (those of chunks recorded as durable); a problem means the durable head itself is bad.
   */
  static async open(
    directory: string,
    layout: PayloadLayout,
    declaredSizes: readonly number[],
    durableBytes: number,
    onWorker: boolean = layout.containerBytes >= RECEIVE_WORKER_MIN_BYTES,
    /** A recipient node's loaded spare worker (item-write-spare.ts); else one is started here. */
    spare?: ItemWriteWorkerSpare,
  ): Promise<ContainerSink | SinkProblem> {
    await mkdir(path.join(directory, ITEMS_FOLDER), { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
    const stored = await readFile(path.join(directory, HEAD_FILE)).catch(() => new Uint8Array(0));
    const head = new Uint8Array(stored.subarray(0, Math.min(stored.byteLength, durableBytes)));
    const slots = LIMITS.payloadReceiveChunksInFlight;
    const worker = onWorker
      ? (spare?.take(slots, layout.chunkBytes) ?? ItemWriteWorker.start(slots, layout.chunkBytes))
      : undefined;
    const sink = new ContainerSink(directory, layout, declaredSizes, new Uint8Array(0), worker, durableBytes);
    const problem = await sink.#collectHead(head).catch(async (error: unknown) => {
      await sink.close();
      throw error;
    });
    if (problem !== undefined) await sink.close();
    return problem ?? sink;
  }

  /** Whether item writes went to the worker thread (false before the first one): for tests. */
  async writesOnWorker(): Promise<boolean> {
    return this.#onWorker !== undefined && (await this.#onWorker);
  }

  /** How many item files the worker was given an O_DIRECT descriptor for: for tests. */
  get directItemFiles(): number {
    return this.#directItemFiles;
  }

  /** True once the whole head is known and checked (item files exist from then on). */
  get headComplete(): boolean {
    return this.#headBytes !== undefined && this.#head.byteLength === this.#headBytes;
  }

  /** Head bytes collected so far. */
  get headCollected(): number {
    return this.#head.byteLength;
  }

  /**
   * Writes decrypted container bytes starting at `offset`, given whole or as consecutive parts;
   * calls follow the container in order. The parts must stay unchanged until the next call.
   */
  async write(offset: number, bytes: Uint8Array | readonly Uint8Array[]): Promise<SinkProblem | undefined> {
    if (this.headComplete && Array.isArray(bytes)) {
      await this.#writeItems(offset, bytes);
      return undefined;
    }
    let position = offset;
    // The head is collected from the first chunks only: joining their parts costs nothing there.
    let rest = Array.isArray(bytes) ? concatBytes(...bytes) : (bytes as Uint8Array);
    while (rest.byteLength > 0 && !this.headComplete) {
      assert(position === this.#head.byteLength, `head byte ${position} written out of order`);
      const target = this.#headBytes ?? MANIFEST_LENGTH_BYTES;
      const take = Math.min(target - this.#head.byteLength, rest.byteLength);
      const problem = await this.#collectHead(rest.subarray(0, take));
      if (problem !== undefined) return problem;
      position += take;
      rest = rest.subarray(take);
    }
    if (rest.byteLength === 0) return undefined;
    await this.#writeItems(position, [rest]);
    return undefined;
  }

  /**
   * Hands container[position, ...) to the worker, or writes it here (one write in flight, the
   * next chunk is checked and decrypted meanwhile). Returns once the bytes are handed over.
   */
  async #writeItems(position: number, parts: readonly Uint8Array[]): Promise<void> {
    const worker = this.#worker;
    if (worker !== undefined && (await this.#decideWorker())) {
      await worker.slot();
      // Counted only as it is handed over (same tick), so a sync that starts meanwhile neither
      // counts a write its flush does not cover nor misses one it does.
      this.#countWrites(position, parts);
      this.#pending = inFlight(worker.write(position, parts));
      return;
    }
    await this.#pending;
    this.#pending = inFlight(Promise.all(this.#writeHere(position, parts)));
  }

  /**
   * Counts a write in every item that container[position, ...) from `parts` reaches, as #writeHere
   * counts its own. The worker splits the bytes by item where it writes them; here only which items
   * they reach matters, and the parts are consecutive, so that is their whole span's overlap.
   */
  #countWrites(position: number, parts: readonly Uint8Array[]): void {
    let end = position;
    for (const part of parts) end += part.byteLength;
    for (const item of this.#items) {
      if (Math.max(position, item.start) < Math.min(end, item.start + item.sizeBytes)) item.writes++;
    }
  }

  /** At the first item write: the worker if it has loaded by then (waiting for it), else here. */
  #decideWorker(): Promise<boolean> {
    this.#onWorker ??= (async () => {
      const worker = this.#worker!;
      if (!(await worker.whenReady())) return false;
      for (const item of this.#items) item.directFd = await openDirect(item.file);
      this.#directItemFiles = this.#items.filter((item) => item.directFd !== undefined).length;
      await worker.setItems(
        this.#items.map(({ handle, directFd, start, sizeBytes }) => ({
          fd: handle.fd,
          directFd: directFd ?? null,
          start,
          sizeBytes,
        })),
      );
      return true;
    })().catch(() => false);
    return this.#onWorker;
  }

  /** Appends head bytes; once the head is complete, checks it and creates the item files. */
  async #collectHead(bytes: Uint8Array): Promise<SinkProblem | undefined> {
    if (bytes.byteLength > 0) {
      this.#head = concatBytes(this.#head, bytes);
    }
    if (this.#headBytes === undefined && this.#head.byteLength >= MANIFEST_LENGTH_BYTES) {
      try {
        this.#headBytes =
          MANIFEST_LENGTH_BYTES + decodeManifestLength(this.#head.subarray(0, MANIFEST_LENGTH_BYTES));
      } catch (error) {
        if (!isBayledgerError(error)) throw error;
        return { reason: 'MANIFEST_INVALID', detail: error.message };
      }
      if (this.#headBytes > this.#layout.containerBytes) {
        return {
          reason: 'MANIFEST_INVALID',
          detail: `a ${this.#headBytes}-byte head in a smaller container`,
        };
      }
    }
    if (this.#headBytes === undefined || this.#head.byteLength < this.#headBytes) return undefined;
    this.#head = this.#head.subarray(0, this.#headBytes);
    if (this.#items.length > 0) return undefined;
    const problem = this.#checkManifest();
    if (problem !== undefined) return problem;
    await this.#openItems();
    return undefined;
  }

  #checkManifest(): SinkProblem | undefined {
    let itemSizes: number[];
    try {
      itemSizes = decodeContainerManifest(this.#head.subarray(MANIFEST_LENGTH_BYTES)).itemSizes;
    } catch (error) {
      if (!isBayledgerError(error)) throw error;
      return { reason: 'MANIFEST_INVALID', detail: error.message };
    }
    const total = itemSizes.reduce((sum, size) => sum + size, this.#head.byteLength);
    if (total !== this.#layout.containerBytes) {
      return {
        reason: 'MANIFEST_INVALID',
        detail: `manifest describes ${total} bytes, the container has ${this.#layout.containerBytes}`,
      };
    }
    const declared = this.#declaredSizes;
    if (itemSizes.length !== declared.length || itemSizes.some((size, i) => size !== declared[i])) {
      return {
        reason: 'ITEM_SIZE_MISMATCH',
        detail: `container item sizes [${itemSizes.join(', ')}], declared [${declared.join(', ')}]`,
      };
    }
    return undefined;
  }

  async #openItems(): Promise<void> {
    let start = this.#head.byteLength;
    for (const [index, sizeBytes] of this.#declaredSizes.entries()) {
      const file = path.join(this.#directory, ITEMS_FOLDER, itemFileName(index));
      const handle = await openReadWrite(file);
      // Held before anything else can fail, so that close() closes it.
      this.#items.push({
        file,
        handle,
        start,
        sizeBytes,
        hasher: createHash('sha256'),
        hashedBytes: 0,
        directFd: undefined,
        writes: 0,
        syncedWrites: 0,
      });
      // Bytes past the durable prefix were never recorded as verified and will be written again:
      // the room they hold is given back now, so that a fetch resumed after its disk filled asks
      // for room it really lacks (a full disk's non-durable tail would otherwise count twice).
      const keepBytes = Math.min(sizeBytes, Math.max(0, this.#durableBytes - start));
      if ((await handle.stat()).size > keepBytes) await handle.truncate(keepBytes);
      start += sizeBytes;
    }
  }

  /**
   * Positional writes of container[position, ...) from consecutive `parts` into the items they
   * cover: one vectored write per item, each item hashed in order as its bytes pass.
   */
  #writeHere(position: number, parts: readonly Uint8Array[]): Promise<void>[] {
    return piecesByItem(this.#items, position, parts).map(({ item: index, offset, pieces }) => {
      const item = this.#items[index]!;
      if (offset === item.hashedBytes) {
        for (const piece of pieces) item.hasher.update(piece);
        item.hashedBytes += pieces.reduce((sum, piece) => sum + piece.byteLength, 0);
      }
      item.writes++;
      return writeAllFully(item.handle, pieces, offset);
    });
  }

  /**
   * Makes every byte written before this call durable (item files, then the head). Writes issued
   * while it runs are not covered; counters, not flags, keep them from being marked clean.
   */
  async sync(): Promise<void> {
    const covers = this.#items.map((item) => item.writes);
    await this.#pending;
    if (this.#onWorker !== undefined && (await this.#onWorker)) await this.#worker!.flush();
    for (const [index, item] of this.#items.entries()) {
      const covered = covers[index]!;
      if (covered === item.syncedWrites) continue;
      await item.handle.datasync();
      item.syncedWrites = Math.max(item.syncedWrites, covered);
    }
    const head = this.#head;
    if (head.byteLength > this.#headSynced) {
      const handle = await openReadWrite(path.join(this.#directory, HEAD_FILE));
      try {
        await writeFully(handle, head, 0);
        await handle.truncate(head.byteLength);
        await handle.datasync();
      } finally {
        await handle.close();
      }
      this.#headSynced = Math.max(this.#headSynced, head.byteLength);
    }
  }

  /** After the last chunk: each item's size and SHA-256, from memory or by reading the file back. */
  async digests(): Promise<{ file: string; sizeBytes: number; digest: Uint8Array }[]> {
    await this.#pending;
    const onWorker = this.#onWorker !== undefined && (await this.#onWorker);
    const fromWorker = onWorker ? await this.#worker!.digests() : [];
    const results = [];
    for (const [index, item] of this.#items.entries()) {
      const digest =
        fromWorker[index] ??
        (item.hashedBytes === item.sizeBytes
          ? new Uint8Array(item.hasher.digest())
          : await hashFile(item.handle));
      results.push({ file: path.basename(item.file), sizeBytes: item.sizeBytes, digest });
    }
    return results;
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.#pending]);
    // The worker's writes settle before the files close (a write still queued could otherwise land
    // on whatever file reuses the descriptor).
    await this.#worker?.close();
    this.#worker = undefined;
    await Promise.allSettled(this.#items.map((item) => item.handle.close()));
    for (const item of this.#items) if (item.directFd !== undefined) closeSync(item.directFd);
    this.#items = [];
  }
}

async function hashFile(handle: FileHandle): Promise<Uint8Array> {
  const hasher = createHash('sha256');
  const buffer = new Uint8Array(LIMITS.payloadChunkBytes);
  for (let position = 0; ; ) {
    const { bytesRead } = await handle.read(buffer, 0, buffer.byteLength, position);
    if (bytesRead === 0) break;
    hasher.update(buffer.subarray(0, bytesRead));
    position += bytesRead;
  }
  return new Uint8Array(hasher.digest());
}
