// Sealing (design section 9, sender side): item files -> one container -> AEAD-sealed chunks in
// the outbox, plus the commitment the declaration carries. One pass over the files with bounded
// memory (two plaintext chunks and one sealed chunk in flight; an upload's plaintext is sealed in
// the buffers it arrived in, not copied into chunk buffers first): the read of chunk i + 1
// runs on the libuv pool while chunk i is sealed and hashed, the write of chunk i runs while
// chunk i + 1 is sealed, and the file's write-back runs in the background as it grows
// (background-sync.ts) instead of all in the fsync before publishing. A payload of
// SEAL_WORKER_MIN_CHUNKS or more has its chunks' leaves hashed and the chunks written on a worker
// thread (seal-pool.ts) while this thread reads and encrypts the next ones, so an upload's reader
// and its sealer share the work over two cores.
//
// The ephemeral secret and the content key exist only in memory during sealing; afterwards not
// even the sender can decrypt its outbox, only the recipient.
import { randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { toHex } from '../../core/bytes.js';
import { encodeCanonical } from '../../core/codec/canonical.js';
import { HASH_BYTES } from '../../core/crypto/hash.js';
import { X25519_KEY_BYTES } from '../../core/crypto/x25519.js';
import { assert, fail } from '../../core/errors.js';
import { LIMITS } from '../../core/limits.js';
import { leafHashOfParts, MemoryMerkleLog } from '../../core/merkle/index.js';
import { BackgroundSync } from './background-sync.js';
import { type PayloadCommitment, payloadCommitmentSchema } from './commitment.js';
import { containerBytesFor, encodeContainerHead } from './container.js';
import { ContainerReader, type ContainerSource, type ItemDigest } from './container-reader.js';
import {
  fsyncDirectory,
  inFlight,
  PRIVATE_DIRECTORY_MODE,
  PRIVATE_FILE_MODE,
  renameDurably,
  writeAllFully,
  writeFileDurably,
} from './durable-fs.js';
import {
  chunkPlaintextBytes,
  chunkSealedBytes,
  chunkSealedOffset,
  isChunkBytesValid,
  type LayoutVerdict,
  layoutForContainer,
  type PayloadLayout,
} from './layout.js';
import {
  OUTBOX_COMMITMENT_FILE,
  OUTBOX_LEAVES_FILE,
  OUTBOX_PAYLOAD_FILE,
  outboxPayloadDirectory,
  SEALING_PREFIX,
} from './outbox.js';
import {
  deriveSenderKey,
  type PayloadKey,
  type PayloadKeyContext,
  sealChunkParts,
} from './payload-crypto.js';
import { ChunkWriteWorker } from './seal-pool.js';

export interface SealOptions {
  readonly outboxDir: string;
  /** Network and recipient: chainId, recipient organisation id and its X25519 key from genesis. */
  readonly key: PayloadKeyContext;
  /** The transfer's item files, in declaration order; or give `source`. */
  readonly itemPaths?: readonly string[];
  /** The items as a stream of known sizes (an upload sealed while it arrives); or give `itemPaths`. */
  readonly source?: ContainerSource;
  /**
   * The folder the sealed payload appears in (on the outbox's file system): outbox/<root hex>
   * unless given. A staged sealed upload names its own and is moved to the outbox when declared.
   */
  readonly destination?: string;
  /** 32 random bytes; generated here from node:crypto when absent. Wiped after use. */
  readonly ephemeralSecret?: Uint8Array;
  /** Plaintext bytes per chunk; LIMITS.payloadChunkBytes unless a test wants many small chunks. */
  readonly chunkBytes?: number;
  /**
   * Hash leaves and write chunks on a worker thread (true) or on this one (false); by default on
   * a worker for payloads of SEAL_WORKER_MIN_CHUNKS chunks or more. The outbox bytes and the
   * commitment are the same.
   */
  readonly worker?: boolean;
  /**
   * For tests of the worker path: seal chunks before this one here, and from it on wait for the
   * worker instead of sealing here while it loads. By default the worker takes over once loaded.
   */
  readonly workerFromChunk?: number;
}

/**
 * From this many chunks on, sealing runs on a worker thread: starting one costs tens of
 * milliseconds, which a payload of a few megabytes would not win back.
 */
export const SEAL_WORKER_MIN_CHUNKS = 8;

export interface SealedPayload {
  /** The declaration's `payload` field. */
  readonly commitment: PayloadCommitment;
  /** Size and plaintext SHA-256 of each item, in order: the declaration's item sizes and digests. */
  readonly items: readonly ItemDigest[];
  /** outbox/<root hex> */
  readonly directory: string;
}

/**
 * The container head of items of `itemSizes`, and the layout it seals to in chunks of
 * `chunkBytes` (a refusal when the items are too large for one payload): what sealPayload seals,
 * and what a hospital asks disk room for before the items arrive (uploads.ts).
 */
export function sealedLayout(
  itemSizes: readonly number[],
  chunkBytes: number = LIMITS.payloadChunkBytes,
): { readonly head: Uint8Array; readonly verdict: LayoutVerdict } {
  const head = encodeContainerHead(itemSizes);
  return { head, verdict: layoutForContainer(containerBytesFor(head.byteLength, itemSizes), chunkBytes) };
}

/** Seals the item files into `outboxDir/<root hex>/` and returns the commitment to declare. */
export async function sealPayload(options: SealOptions): Promise<SealedPayload> {
  assert((options.itemPaths === undefined) !== (options.source === undefined), 'seal files or a stream');
  const reader = options.source ?? (await ContainerReader.open(options.itemPaths!));
  let payloadKey: PayloadKey;
  let ephemeralPublicKey: Uint8Array;
  try {
    const ephemeralSecret = options.ephemeralSecret ?? new Uint8Array(randomBytes(X25519_KEY_BYTES));
    ({ payloadKey, ephemeralPublicKey } = deriveSenderKey(ephemeralSecret, options.key));
    ephemeralSecret.fill(0);
  } catch (error) {
    await reader.close();
    throw error;
  }
  const workDir = path.join(options.outboxDir, `${SEALING_PREFIX}${toHex(ephemeralPublicKey)}`);
  try {
    const chunkBytes = options.chunkBytes ?? LIMITS.payloadChunkBytes;
    const { head, verdict } = sealedLayout(reader.itemSizes, chunkBytes);
    reader.setHead(head);
    // The chunk size is the caller's choice; with a valid one only the items can be too large (the
    // payload is their bytes plus the head and a tag per chunk). Refused before any item is read.
    if (!verdict.ok)
      fail(isChunkBytesValid(chunkBytes) ? 'MESSAGE_TOO_LARGE' : 'USAGE', verdict.reason, 'payload');
    await mkdir(workDir, { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
    const onWorker = options.worker ?? verdict.layout.chunkCount >= SEAL_WORKER_MIN_CHUNKS;
    const tree = await sealChunks(reader, payloadKey, verdict.layout, workDir, {
      onWorker,
      workerFromChunk: options.workerFromChunk,
    });
    const items = await reader.finish();
    const commitment = payloadCommitmentSchema.parse(
      {
        root: tree.root(),
        bytes: verdict.layout.payloadBytes,
        chunkBytes: verdict.layout.chunkBytes,
        chunkCount: verdict.layout.chunkCount,
        ephemeralKey: ephemeralPublicKey,
      },
      'commitment',
    );
    const directory = await publish(
      workDir,
      commitment,
      options.destination ?? outboxPayloadDirectory(options.outboxDir, commitment.root),
    );
    return { commitment, items, directory };
  } catch (error) {
    await rm(workDir, { recursive: true, force: true });
    throw error;
  } finally {
    await reader.close();
  }
}

/** The pipelined loop; writes payload.bin and leaves.bin into `workDir`, returns the chunk tree. */
async function sealChunks(
  reader: ContainerSource,
  payloadKey: PayloadKey,
  layout: PayloadLayout,
  workDir: string,
  where: { readonly onWorker: boolean; readonly workerFromChunk: number | undefined },
): Promise<MemoryMerkleLog> {
  const sealed: SealedChunks = {
    tree: new MemoryMerkleLog(),
    leaves: new Uint8Array(layout.chunkCount * HASH_BYTES),
  };
  const output = await open(path.join(workDir, OUTBOX_PAYLOAD_FILE), 'w', PRIVATE_FILE_MODE);
  const syncer = new BackgroundSync(output, LIMITS.payloadSyncBytes);
  const writer = where.onWorker
    ? ChunkWriteWorker.start({ layout, fd: output.fd }, LIMITS.payloadSealChunksInFlight)
    : undefined;
  try {
    await sealEach({ reader, payloadKey, layout, output, syncer, sealed, writer }, where.workerFromChunk);
    await syncer.finish();
  } finally {
    // On failure the worker's writes and a sync may still be in flight: let them settle before
    // closing their file.
    await writer?.close();
    await syncer.settle();
    await output.close();
  }
  await writeFileDurably(path.join(workDir, OUTBOX_LEAVES_FILE), sealed.leaves);
  return sealed.tree;
}

/** The chunk tree and the leaves file's bytes, filled in chunk order. */
interface SealedChunks {
  readonly tree: MemoryMerkleLog;
  readonly leaves: Uint8Array;
}

interface SealRun {
  readonly reader: ContainerSource;
  readonly payloadKey: PayloadKey;
  readonly layout: PayloadLayout;
  readonly output: FileHandle;
  readonly syncer: BackgroundSync;
  readonly sealed: SealedChunks;
  /** Hashes leaves and writes chunks on a worker thread, once it has loaded. */
  readonly writer: ChunkWriteWorker | undefined;
}

function recordLeaf(sealed: SealedChunks, index: number, leaf: Uint8Array): void {
  assert(sealed.tree.size === index, `leaf ${index} recorded out of order`);
  sealed.tree.append(leaf);
  sealed.leaves.set(leaf, index * HASH_BYTES);
}

/**
 * Chunk i is encrypted while chunk i + 1 is read. Its leaf hash and write happen here (the write
 * running while chunk i + 1 is encrypted), or, once the worker has loaded, on the worker while
 * this thread reads and encrypts the next chunks. Every chunk written here comes before the first
 * one the worker gets, so leaves are recorded in order either way; `workerFromChunk` (tests)
 * hands the worker every chunk from that one on, waiting for it to load.
 */
async function sealEach(run: SealRun, workerFromChunk: number | undefined): Promise<void> {
  const { reader, payloadKey, layout, output, syncer, sealed, writer } = run;
  const read = plaintextReader(reader, layout);
  let pendingRead = inFlight(read(0));
  let pendingWrite: Promise<void> = Promise.resolve();
  const recorded: Promise<void>[] = [];
  try {
    for (let index = 0; index < layout.chunkCount; index++) {
      const plaintext = await pendingRead;
      if (index + 1 < layout.chunkCount) pendingRead = inFlight(read(index + 1));
      const parts = sealChunkParts(payloadKey, layout, index, plaintext);
      const sealedBytes = chunkSealedBytes(layout, index);
      if (index === workerFromChunk) await writer?.whenReady();
      const here =
        writer === undefined || (workerFromChunk === undefined ? !writer.ready : index < workerFromChunk);
      if (!here) {
        await writer.slot();
        recorded.push(
          inFlight(
            writer.write(index, parts).then((leaf) => {
              recordLeaf(sealed, index, leaf);
              syncer.written(sealedBytes);
            }),
          ),
        );
        continue;
      }
      // RFC 9162 2.1.1 leaf hash, HASH(0x00 || sealed chunk), over the parts.
      recordLeaf(sealed, index, leafHashOfParts(parts));
      await pendingWrite;
      pendingWrite = inFlight(
        writeAllFully(output, parts, chunkSealedOffset(layout, index)).then(() =>
          syncer.written(sealedBytes),
        ),
      );
    }
    await pendingWrite;
    await Promise.all(recorded);
    await writer?.finish();
  } finally {
    // On failure a read or write may still be in flight: let it settle before the file is
    // closed, and never leave its rejection unhandled.
    await Promise.allSettled([pendingRead, pendingWrite]);
  }
}

/**
 * Chunk `index`'s plaintext, read while the previous chunk is sealed. A source that holds the
 * bytes in memory already (an upload stream) hands out views of them; files are read into two
 * alternating chunk buffers (chunk i + 1 is read into one while chunk i, in the other, is sealed).
 */
function plaintextReader(
  reader: ContainerSource,
  layout: PayloadLayout,
): (index: number) => Promise<Uint8Array | Uint8Array[]> {
  if (reader.take !== undefined) {
    const take = reader.take.bind(reader);
    return (index) => take(chunkPlaintextBytes(layout, index));
  }
  const buffers = [new Uint8Array(layout.chunkBytes), new Uint8Array(layout.chunkBytes)];
  // The size is taken before anything is awaited, so a bad index throws here, not in a read-ahead
  // whose rejection nobody awaits.
  return (index) => {
    const buffer = buffers[index % 2]!.subarray(0, chunkPlaintextBytes(layout, index));
    return reader.fill(buffer, buffer.byteLength).then(() => buffer);
  };
}

/** Writes the commitment, then renames the work folder to `directory` (durably). */
async function publish(workDir: string, commitment: PayloadCommitment, directory: string): Promise<string> {
  await writeFileDurably(path.join(workDir, OUTBOX_COMMITMENT_FILE), encodeCanonical(commitment));
  await fsyncDirectory(workDir);
  const existing = await stat(directory).catch(() => undefined);
  if (existing !== undefined) fail('USAGE', 'a sealed payload with this root already exists', directory);
  await renameDurably(workDir, directory, path.dirname(directory));
  return directory;
}
