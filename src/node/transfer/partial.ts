// The receiver's resumable progress for one transfer, in the inbox's partial folder:
//
//   inbox/.partial/<transferId hex>/commitment.cbor   the declared commitment this progress is for
//   inbox/.partial/<transferId hex>/head.bin          the container head collected so far
//   inbox/.partial/<transferId hex>/files/item-NN.bin each item's plaintext, written in place
//   inbox/.partial/<transferId hex>/leaves.bin        leaf hash of every chunk durably written
//
// Resumption TRUSTS AN FSYNCED PROGRESS RECORD rather than re-verifying the disk: a checkpoint
// fdatasyncs the item files and the head first, and only then appends the new leaves to
// leaves.bin and fdatasyncs that, so leaves.bin never names a chunk whose bytes are not durable.
// (Re-verifying would mean re-encrypting the plaintext to recompute each leaf, since the tree
// commits to ciphertext.) What is trusted is still checked before anything is filed: the leaves
// must rebuild the declared root (else the partial is discarded and the transfer restarts), and
// every item's plaintext must match its declared SHA-256 digest. A crash loses at most the chunks
// not yet in a finished checkpoint: normally fewer than two runs of LIMITS.payloadCheckpointChunks,
// never more than LIMITS.payloadMaxUndurableChunks.
import { type FileHandle, mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { bytesEqual, concatBytes, toHex } from '../../core/bytes.js';
import { encodeCanonical } from '../../core/codec/canonical.js';
import { HASH_BYTES } from '../../core/crypto/hash.js';
import { assert } from '../../core/errors.js';
import { LIMITS } from '../../core/limits.js';
import type { PayloadCommitment } from './commitment.js';
import { ContainerSink, ITEMS_FOLDER, type SinkProblem } from './container-sink.js';
import {
  inFlight,
  openReadWrite,
  PRIVATE_DIRECTORY_MODE,
  writeFileDurably,
  writeFully,
} from './durable-fs.js';
import type { ItemWriteWorkerSpare } from './item-write-spare.js';
import { chunkPlaintextOffset, type PayloadLayout } from './layout.js';

export const PARTIAL_FOLDER = '.partial';
const COMMITMENT_FILE = 'commitment.cbor';
const LEAVES_FILE = 'leaves.bin';

export function partialDirectory(inboxDir: string, transferId: Uint8Array): string {
  return path.join(inboxDir, PARTIAL_FOLDER, toHex(transferId));
}

/** Deletes a transfer's progress (for a transfer that was rejected, or is no longer wanted). */
export async function removePartial(inboxDir: string, transferId: Uint8Array): Promise<void> {
  await rm(partialDirectory(inboxDir, transferId), { recursive: true, force: true });
}

async function readIfExists(file: string): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await readFile(file));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function containerEnd(layout: PayloadLayout, chunks: number): number {
  return Math.min(chunks * layout.chunkBytes, layout.containerBytes);
}

export class PartialPayload {
  readonly directory: string;
  readonly layout: PayloadLayout;
  readonly #sink: ContainerSink;
  readonly #leavesFile: FileHandle;
  readonly #durableLeaves: Uint8Array[];
  /** Leaves of chunks whose checkpoint is running, then of chunks not yet in any checkpoint. */
  #syncingLeaves: Uint8Array[] = [];
  readonly #pendingLeaves: Uint8Array[] = [];
  #checkpointing: Promise<void> = Promise.resolve();
  /** Whether `#checkpointing` is still running (the flag a synchronous check can read). */
  #checkpointRunning = false;

  private constructor(
    directory: string,
    layout: PayloadLayout,
    sink: ContainerSink,
    leavesFile: FileHandle,
    durableLeaves: Uint8Array[],
  ) {
    this.directory = directory;
    this.layout = layout;
    this.#sink = sink;
    this.#leavesFile = leavesFile;
    this.#durableLeaves = durableLeaves;
  }

  /**
   * Resumes the partial for this commitment, or starts a new one (discarding progress made for
   * any other commitment, or a record that does not hang together).
   */
  static async open(
    inboxDir: string,
    transferId: Uint8Array,
    commitment: PayloadCommitment,
    layout: PayloadLayout,
    declaredSizes: readonly number[],
    /** Items hashed and written on a worker thread; by default for RECEIVE_WORKER_MIN_BYTES or more. */
    itemsOnWorker?: boolean,
    /** A recipient node's loaded spare item-write worker (item-write-spare.ts). */
    spare?: ItemWriteWorkerSpare,
  ): Promise<PartialPayload> {
    const directory = partialDirectory(inboxDir, transferId);
    const commitmentBytes = encodeCanonical(commitment);
    const stored = await readIfExists(path.join(directory, COMMITMENT_FILE));
    if (stored === undefined || !bytesEqual(stored, commitmentBytes)) await reset(directory, commitmentBytes);
    let leaves = await readDurableLeaves(directory, layout);
    let sink = await ContainerSink.open(
      directory,
      layout,
      declaredSizes,
      containerEnd(layout, leaves.length),
      itemsOnWorker,
      spare,
    );
    if (
      'reason' in sink ||
      (!sink.headComplete && sink.headCollected < containerEnd(layout, leaves.length))
    ) {
      // Either the leaves name chunks whose head bytes were never recorded, or the recorded head
      // contradicts the declaration although it was checked when its chunk arrived (a head that
      // failed that check is never checkpointed as accepted: the disk changed it since). Trust
      // nothing and start over; refusing the transfer for it would blame the sender for our disk.
      if (!('reason' in sink)) await sink.close();
      await reset(directory, commitmentBytes);
      leaves = [];
      sink = await ContainerSink.open(directory, layout, declaredSizes, 0, itemsOnWorker, spare);
    }
    // No head bytes yet, so nothing to contradict the declaration.
    assert(!('reason' in sink), 'an empty container head has no problem');
    const leavesFile = await openReadWrite(path.join(directory, LEAVES_FILE));
    // Drop a torn leaf or leaves past the chunk count; those chunks are fetched again.
    await leavesFile.truncate(leaves.length * HASH_BYTES);
    return new PartialPayload(directory, layout, sink, leavesFile, leaves);
  }

  /** Chunks verified, decrypted and handed to the disk (durable or pending the next checkpoint). */
  get verifiedChunks(): number {
    return this.#durableLeaves.length + this.#syncingLeaves.length + this.#pendingLeaves.length;
  }

  get itemsDirectory(): string {
    return path.join(this.directory, ITEMS_FOLDER);
  }

  /** Every verified leaf, in chunk order. */
  leaves(): Uint8Array[] {
    return [...this.#durableLeaves, ...this.#syncingLeaves, ...this.#pendingLeaves];
  }

  /** Records chunk `index` (the next one) as verified: writes its plaintext, queues its leaf. */
  async writeChunk(
    index: number,
    plaintext: Uint8Array | readonly Uint8Array[],
    leaf: Uint8Array,
  ): Promise<SinkProblem | undefined> {
    assert(index === this.verifiedChunks, `chunk ${index} written out of order`);
    const problem = await this.#sink.write(chunkPlaintextOffset(this.layout, index), plaintext);
    if (problem !== undefined) return problem;
    this.#pendingLeaves.push(leaf);
    if (this.#pendingLeaves.length >= LIMITS.payloadCheckpointChunks) await this.#checkpointWhenFree();
    return undefined;
  }

  /**
   * Starts a checkpoint of the pending chunks in the background, so that its fsyncs overlap the
   * verification and writing of the next chunks. One runs at a time; while it runs the stream
   * goes on (the next checkpoint starts at the first chunk after it ends) and waits for it only
   * once LIMITS.payloadMaxUndurableChunks chunks are not yet durable. A checkpoint here takes
   * about as long as 16 chunks take to arrive (25-90 ms of item syncs and 10-45 of the leaves',
   * 2026-11-30), so waiting for each one at every 16th chunk stalled the stream.
   */
  async #checkpointWhenFree(): Promise<void> {
    const undurable = this.#syncingLeaves.length + this.#pendingLeaves.length;
    if (this.#checkpointRunning && undurable < LIMITS.payloadMaxUndurableChunks) return;
    // Settled unless past the bound; either way a failed checkpoint's error surfaces here.
    await this.#checkpointing;
    this.#checkpointing = inFlight(this.#persist());
  }

  /** Makes every verified chunk durable now (waits for a running checkpoint, then runs one). */
  async checkpoint(): Promise<void> {
    await this.#checkpointing;
    if (this.#pendingLeaves.length === 0) return;
    this.#checkpointing = inFlight(this.#persist());
    await this.#checkpointing;
  }

  /** Item bytes and head first, then the leaves naming them (the order resumption relies on). */
  async #persist(): Promise<void> {
    this.#checkpointRunning = true;
    try {
      this.#syncingLeaves = this.#pendingLeaves.splice(0);
      await this.#sink.sync();
      const position = this.#durableLeaves.length * HASH_BYTES;
      await writeFully(this.#leavesFile, concatBytes(...this.#syncingLeaves), position);
      await this.#leavesFile.datasync();
      this.#durableLeaves.push(...this.#syncingLeaves);
      this.#syncingLeaves = [];
    } finally {
      this.#checkpointRunning = false;
    }
  }

  /** Whether items went to the worker thread (false before the first item byte): for tests. */
  itemsOnWorker(): Promise<boolean> {
    return this.#sink.writesOnWorker();
  }

  /** How many item files were written through O_DIRECT (on the worker): for tests. */
  get directItemFiles(): number {
    return this.#sink.directItemFiles;
  }

  /** After the last chunk: each item file's name, size and SHA-256. */
  async digests(): Promise<{ file: string; sizeBytes: number; digest: Uint8Array }[]> {
    return this.#sink.digests();
  }

  async close(): Promise<void> {
    try {
      await this.checkpoint();
    } finally {
      await this.#release();
    }
  }

  /** Closes and deletes the partial folder (after filing, or when the payload is refused for good). */
  async discard(): Promise<void> {
    await this.#release();
    await rm(this.directory, { recursive: true, force: true });
  }

  async #release(): Promise<void> {
    await Promise.allSettled([this.#checkpointing]);
    await Promise.allSettled([this.#sink.close(), this.#leavesFile.close()]);
  }
}

async function reset(directory: string, commitmentBytes: Uint8Array): Promise<void> {
  await rm(directory, { recursive: true, force: true });
  await mkdir(directory, { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
  await writeFileDurably(path.join(directory, COMMITMENT_FILE), commitmentBytes);
}

/** The leaves of the last checkpoint (a torn trailing leaf is dropped). */
async function readDurableLeaves(directory: string, layout: PayloadLayout): Promise<Uint8Array[]> {
  const raw = (await readIfExists(path.join(directory, LEAVES_FILE))) ?? new Uint8Array(0);
  const count = Math.min(Math.floor(raw.byteLength / HASH_BYTES), layout.chunkCount);
  const leaves: Uint8Array[] = [];
  for (let i = 0; i < count; i++) leaves.push(raw.slice(i * HASH_BYTES, (i + 1) * HASH_BYTES));
  return leaves;
}
