// The receiver's resumable progress for one transfer, in the inbox's partial folder:
//
//   inbox/.partial/<transferId hex>/commitment.cbor  the declared commitment this progress is for
//   inbox/.partial/<transferId hex>/container.bin    decrypted container, chunk i at i * chunkBytes
//   inbox/.partial/<transferId hex>/leaves.bin       leaf hash of every chunk durably in container.bin
//
// Resumption TRUSTS AN FSYNCED PROGRESS RECORD rather than re-verifying the disk: a checkpoint
// fdatasyncs container.bin first and only then appends the new leaves to leaves.bin and
// fdatasyncs that, so leaves.bin never names a chunk whose bytes are not durable. Re-verifying
// would mean re-encrypting the plaintext to recompute each leaf (the tree commits to
// ciphertext). What is trusted is still checked before anything is filed: the leaves must
// rebuild the declared root (else the partial is discarded and the transfer restarts), and every
// item's plaintext must match its declared SHA-256 digest. A crash loses at most the chunks since
// the last checkpoint (LIMITS.payloadCheckpointChunks).
import { type FileHandle, mkdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { bytesEqual, concatBytes, toHex } from '../../core/bytes.js';
import { encodeCanonical } from '../../core/codec/canonical.js';
import { HASH_BYTES } from '../../core/crypto/hash.js';
import { assert } from '../../core/errors.js';
import { LIMITS } from '../../core/limits.js';
import type { PayloadCommitment } from './commitment.js';
import {
  inFlight,
  openReadWrite,
  PRIVATE_DIRECTORY_MODE,
  writeFileDurably,
  writeFully,
} from './durable-fs.js';
import { chunkPlaintextOffset, type PayloadLayout } from './layout.js';

export const PARTIAL_FOLDER = '.partial';
const COMMITMENT_FILE = 'commitment.cbor';
const CONTAINER_FILE = 'container.bin';
const LEAVES_FILE = 'leaves.bin';

export function partialDirectory(inboxDir: string, transferId: Uint8Array): string {
  return path.join(inboxDir, PARTIAL_FOLDER, toHex(transferId));
}

async function readIfExists(file: string): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await readFile(file));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export class PartialPayload {
  readonly directory: string;
  readonly layout: PayloadLayout;
  readonly #container: FileHandle;
  readonly #leavesFile: FileHandle;
  readonly #durableLeaves: Uint8Array[];
  readonly #pendingLeaves: Uint8Array[] = [];
  #pendingWrite: Promise<void> = Promise.resolve();

  private constructor(
    directory: string,
    layout: PayloadLayout,
    container: FileHandle,
    leavesFile: FileHandle,
    durableLeaves: Uint8Array[],
  ) {
    this.directory = directory;
    this.layout = layout;
    this.#container = container;
    this.#leavesFile = leavesFile;
    this.#durableLeaves = durableLeaves;
  }

  /** Resumes the partial for this commitment, or starts a new one (discarding any other). */
  static async open(
    inboxDir: string,
    transferId: Uint8Array,
    commitment: PayloadCommitment,
    layout: PayloadLayout,
  ): Promise<PartialPayload> {
    const directory = partialDirectory(inboxDir, transferId);
    const commitmentBytes = encodeCanonical(commitment);
    const stored = await readIfExists(path.join(directory, COMMITMENT_FILE));
    if (stored === undefined || !bytesEqual(stored, commitmentBytes)) {
      await rm(directory, { recursive: true, force: true });
      await mkdir(directory, { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
      await writeFileDurably(path.join(directory, COMMITMENT_FILE), commitmentBytes);
    }
    const leaves = await readDurableLeaves(directory, layout);
    const container = await openReadWrite(path.join(directory, CONTAINER_FILE));
    const leavesFile = await openReadWrite(path.join(directory, LEAVES_FILE));
    // Drop whatever a crash left past the last checkpoint; those chunks are fetched again.
    await leavesFile.truncate(leaves.length * HASH_BYTES);
    await container.truncate(Math.min(containerEnd(layout, leaves.length), (await container.stat()).size));
    return new PartialPayload(directory, layout, container, leavesFile, leaves);
  }

  /** Chunks verified, decrypted and handed to the disk (durable or pending the next checkpoint). */
  get verifiedChunks(): number {
    return this.#durableLeaves.length + this.#pendingLeaves.length;
  }

  get containerPath(): string {
    return path.join(this.directory, CONTAINER_FILE);
  }

  /** Every verified leaf, in chunk order. */
  leaves(): Uint8Array[] {
    return [...this.#durableLeaves, ...this.#pendingLeaves];
  }

  /** Records chunk `index` (the next one) as verified: writes its plaintext, queues its leaf. */
  async writeChunk(index: number, plaintext: Uint8Array, leaf: Uint8Array): Promise<void> {
    assert(index === this.verifiedChunks, `chunk ${index} written out of order`);
    await this.#pendingWrite;
    this.#pendingWrite = inFlight(
      writeFully(this.#container, plaintext, chunkPlaintextOffset(this.layout, index)),
    );
    this.#pendingLeaves.push(leaf);
    if (this.#pendingLeaves.length >= LIMITS.payloadCheckpointChunks) await this.checkpoint();
  }

  /** Makes every verified chunk durable: container bytes first, then the leaves naming them. */
  async checkpoint(): Promise<void> {
    await this.#pendingWrite;
    if (this.#pendingLeaves.length === 0) return;
    await this.#container.datasync();
    const position = this.#durableLeaves.length * HASH_BYTES;
    await writeFully(this.#leavesFile, concatBytes(...this.#pendingLeaves), position);
    await this.#leavesFile.datasync();
    this.#durableLeaves.push(...this.#pendingLeaves.splice(0));
  }

  async close(): Promise<void> {
    try {
      await this.checkpoint();
    } finally {
      await Promise.allSettled([this.#container.close(), this.#leavesFile.close()]);
    }
  }

  /** Closes and deletes the partial folder (after filing, or when the payload is refused for good). */
  async discard(): Promise<void> {
    await Promise.allSettled([this.#pendingWrite]);
    await Promise.allSettled([this.#container.close(), this.#leavesFile.close()]);
    await rm(this.directory, { recursive: true, force: true });
  }
}

function containerEnd(layout: PayloadLayout, chunks: number): number {
  return Math.min(chunks * layout.chunkBytes, layout.containerBytes);
}

/** The leaves of the last checkpoint, cut back to the chunks whose bytes container.bin holds. */
async function readDurableLeaves(directory: string, layout: PayloadLayout): Promise<Uint8Array[]> {
  const raw = (await readIfExists(path.join(directory, LEAVES_FILE))) ?? new Uint8Array(0);
  let count = Math.min(Math.floor(raw.byteLength / HASH_BYTES), layout.chunkCount);
  const containerSize = (await stat(path.join(directory, CONTAINER_FILE)).catch(() => undefined))?.size ?? 0;
  while (count > 0 && containerEnd(layout, count) > containerSize) count--;
  const leaves: Uint8Array[] = [];
  for (let i = 0; i < count; i++) leaves.push(raw.slice(i * HASH_BYTES, (i + 1) * HASH_BYTES));
  return leaves;
}
