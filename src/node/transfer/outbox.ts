// The sender's outbox: one folder per sealed payload, named by its root (lowercase hex), because
// the transfer id is only known once the declaration that commits to this root is built.
//
//   outbox/<root hex>/payload.bin      sealed chunks back to back, chunk i at i * (chunkBytes + 16)
//   outbox/<root hex>/leaves.bin       the RFC 9162 leaf hash of each sealed chunk, 32 bytes each
//   outbox/<root hex>/commitment.cbor  canonical CBOR of the payload commitment
//
// A folder appears only complete: it is written under a temporary name, fsynced and renamed.
// Reads are verified before use (design section 6, "verify right after reading"): at open, the
// leaves must rebuild the root; each chunk read must hash to its stored leaf. Local corruption
// is therefore reported here as DATABASE_CORRUPT instead of reaching the recipient, where it
// would end in a rejected receipt on the ledger.
import { existsSync } from 'node:fs';
import { type FileHandle, open, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { bytesEqual, toHex } from '../../core/bytes.js';
import { decodeCanonical } from '../../core/codec/canonical.js';
import { HASH_BYTES } from '../../core/crypto/hash.js';
import { assert, fail, isBayledgerError } from '../../core/errors.js';
import { inclusionProof, leafHash, MemoryMerkleLog } from '../../core/merkle/index.js';
import { type PayloadCommitment, payloadCommitmentSchema } from './commitment.js';
import { chunkSealedBytes, chunkSealedOffset, layoutForDeclared, type PayloadLayout } from './layout.js';

export const OUTBOX_PAYLOAD_FILE = 'payload.bin';
export const OUTBOX_LEAVES_FILE = 'leaves.bin';
export const OUTBOX_COMMITMENT_FILE = 'commitment.cbor';

export function outboxPayloadDirectory(outboxDir: string, root: Uint8Array): string {
  return path.join(outboxDir, toHex(root));
}

function corrupt(message: string, where: string): never {
  return fail('DATABASE_CORRUPT', message, where);
}

async function readCommitment(directory: string, root: Uint8Array): Promise<PayloadCommitment> {
  const file = path.join(directory, OUTBOX_COMMITMENT_FILE);
  let raw: Buffer;
  try {
    raw = await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return fail('NOT_FOUND', `no sealed payload with root ${toHex(root)}`, directory);
    }
    throw error;
  }
  let commitment: PayloadCommitment;
  try {
    commitment = payloadCommitmentSchema.parse(decodeCanonical(new Uint8Array(raw)), 'commitment');
  } catch (error) {
    if (isBayledgerError(error)) corrupt(`unreadable commitment (${error.message})`, file);
    throw error;
  }
  if (!bytesEqual(commitment.root, root)) corrupt('commitment names another root', file);
  return commitment;
}

/** A sealed payload opened for sending: proofs from memory, chunks read and checked on demand. */
export class OutboxPayload {
  readonly commitment: PayloadCommitment;
  readonly layout: PayloadLayout;
  readonly #leaves: Uint8Array[];
  readonly #tree: MemoryMerkleLog;
  readonly #payload: FileHandle;
  readonly #payloadPath: string;

  private constructor(
    commitment: PayloadCommitment,
    layout: PayloadLayout,
    leaves: Uint8Array[],
    tree: MemoryMerkleLog,
    payload: FileHandle,
    payloadPath: string,
  ) {
    this.commitment = commitment;
    this.layout = layout;
    this.#leaves = leaves;
    this.#tree = tree;
    this.#payload = payload;
    this.#payloadPath = payloadPath;
  }

  /** Opens `outbox/<root hex>`; NOT_FOUND if absent, DATABASE_CORRUPT if it does not check out. */
  static async open(outboxDir: string, root: Uint8Array): Promise<OutboxPayload> {
    const directory = outboxPayloadDirectory(outboxDir, root);
    const commitment = await readCommitment(directory, root);
    const verdict = layoutForDeclared(commitment.bytes, commitment.chunkBytes, commitment.chunkCount);
    if (!verdict.ok) corrupt(verdict.reason, directory);
    const leavesPath = path.join(directory, OUTBOX_LEAVES_FILE);
    const leafBytes = new Uint8Array(await readFile(leavesPath));
    if (leafBytes.byteLength !== commitment.chunkCount * HASH_BYTES) {
      corrupt(`${leafBytes.byteLength} bytes of leaves for ${commitment.chunkCount} chunks`, leavesPath);
    }
    const tree = new MemoryMerkleLog();
    const leaves: Uint8Array[] = [];
    for (let i = 0; i < commitment.chunkCount; i++) {
      const leaf = leafBytes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES);
      leaves.push(leaf);
      tree.append(leaf);
    }
    if (!bytesEqual(tree.root(), root)) corrupt('leaves do not rebuild the root', leavesPath);
    const payloadPath = path.join(directory, OUTBOX_PAYLOAD_FILE);
    const payload = await open(payloadPath, 'r');
    const { size } = await payload.stat();
    if (size !== commitment.bytes) {
      await payload.close();
      corrupt(`payload file has ${size} bytes, the commitment says ${commitment.bytes}`, payloadPath);
    }
    return new OutboxPayload(commitment, verdict.layout, leaves, tree, payload, payloadPath);
  }

  /** RFC 9162 2.1.3.1 PATH(index, D[chunkCount]) for sealed chunk `index`. */
  inclusionProof(index: number): Uint8Array[] {
    return inclusionProof(this.#tree, index, this.layout.chunkCount);
  }

  /** Reads sealed chunk `index` and checks it against its leaf before anyone sees it. */
  async readSealedChunk(index: number): Promise<Uint8Array> {
    const sealed = new Uint8Array(chunkSealedBytes(this.layout, index));
    await this.readSealedChunkInto(index, sealed);
    return sealed;
  }

  /**
   * The same into `target`, which must be exactly the chunk's sealed size (the sender passes the
   * tail of the frame it will send, so the chunk is never copied). Its bytes are only usable
   * once this resolves: they were checked against the leaf after the read.
   */
  async readSealedChunkInto(index: number, target: Uint8Array): Promise<void> {
    const length = chunkSealedBytes(this.layout, index);
    assert(target.byteLength === length, `chunk ${index} needs ${length} bytes, got ${target.byteLength}`);
    const position = chunkSealedOffset(this.layout, index);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await this.#payload.read(target, filled, length - filled, position + filled);
      if (bytesRead === 0) corrupt(`chunk ${index} is cut short`, this.#payloadPath);
      filled += bytesRead;
    }
    if (!bytesEqual(leafHash(target), this.#leaves[index]!)) {
      corrupt(`chunk ${index} does not match its leaf hash`, this.#payloadPath);
    }
  }

  async close(): Promise<void> {
    await this.#payload.close();
  }
}

/**
 * Deletes a sealed payload (after its receipt is final, or when its declaration was refused).
 *
 * A folder that is not there is left alone without asking `rm`: a hospital node hears of every
 * refused declaration it signed, also of those whose payload it never held (declared by another
 * tool) or already removed, and `rm` of a missing folder cost about 115 us of the main thread each
 * (Node builds and discards an ENOENT error with its stack; existsSync's stat costs about 1 us).
 * Under load that was 10-11% of a hospital node's main thread in the throughput benchmark.
 */
export async function removeOutboxPayload(outboxDir: string, root: Uint8Array): Promise<void> {
  const directory = outboxPayloadDirectory(outboxDir, root);
  if (!existsSync(directory)) return;
  await rm(directory, { recursive: true, force: true });
}

/** Work folders of sealings a crash interrupted; none is in use once the node has just started. */
export const SEALING_PREFIX = '.sealing-';

/** Deletes abandoned work folders; call at node start, before any sealing begins. */
export async function removeAbandonedSealings(outboxDir: string): Promise<number> {
  const entries = await readdir(outboxDir).catch(() => [] as string[]);
  const abandoned = entries.filter((name) => name.startsWith(SEALING_PREFIX));
  await Promise.all(
    abandoned.map((name) => rm(path.join(outboxDir, name), { recursive: true, force: true })),
  );
  return abandoned.length;
}
