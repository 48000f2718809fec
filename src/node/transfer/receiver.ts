// The receiver end of the payload protocol, transport-agnostic: it makes the request frame,
// consumes the response frames, and for each chunk, in order: checks its RFC 9162 inclusion proof
// against the declared root (before any byte is written), opens its AEAD seal, and hands the
// plaintext to the resumable partial store. After the last chunk it checks that the leaves
// rebuild the root, splits the container into the declared items, checks their digests and files
// them in the inbox in one rename. Any failure leaves the inbox untouched and says why, with a
// reason code for the receipt.
//
// The node must run at most one receiver per transfer at a time (the partial folder is not
// locked), and must only construct one for a transfer approved on its own verified chain.
import { rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { bytesEqual, toHex } from '../../core/bytes.js';
import { encodeCanonical } from '../../core/codec/canonical.js';
import { errorMessage, isBayledgerError } from '../../core/errors.js';
import { ChunkVerifier } from './chunk-verifier.js';
import type { PayloadCommitment } from './commitment.js';
import { type ExpectedItem, fileItems, INBOX_MANIFEST_FILE } from './filing.js';
import type { ItemWriteWorkerSpare } from './item-write-spare.js';
import { chunkSealedOffset } from './layout.js';
import { PartialPayload, partialDirectory } from './partial.js';
import { deriveRecipientKey, openChunkParts, type PayloadKey } from './payload-crypto.js';
import {
  decodePayloadResponse,
  encodePayloadRequest,
  type PayloadChunk,
  type PayloadHeader,
  type PayloadResponse,
} from './protocol.js';
import { isPermanentFailure, type PayloadFailure } from './reasons.js';

/** What the approved declaration says the recipient should get. */
export interface PayloadExpectation {
  readonly transferId: Uint8Array;
  /** The patient's pseudonym (public key): the inbox folder the transfer is filed under. */
  readonly patient: Uint8Array;
  /** The declaration's `payload` field. */
  readonly payload: PayloadCommitment;
  /** The declaration's items, in order. */
  readonly items: readonly ExpectedItem[];
}

export interface PayloadReceiverOptions {
  readonly inboxDir: string;
  readonly chainId: string;
  /** This node's organisation id (the declared recipient). */
  readonly recipientId: string;
  /** This node's X25519 secret key (its public key is its `encryptionKey` in genesis). */
  readonly recipientSecretKey: Uint8Array;
  readonly expected: PayloadExpectation;
  readonly onProgress?: (progress: PayloadProgress) => void;
  /**
   * Hash and write the items on a worker thread (true) or on this one (false); by default on a
   * worker for payloads of RECEIVE_WORKER_MIN_BYTES or more (container-sink.ts). Either
   * way every chunk is authenticated here before its bytes are handed on.
   */
  readonly itemsOnWorker?: boolean;
  /** A recipient node's loaded spare item-write worker, taken for a large payload. */
  readonly itemWorkerSpare?: ItemWriteWorkerSpare;
}

export interface PayloadProgress {
  readonly verifiedChunks: number;
  readonly chunkCount: number;
}

export type ReceiveOutcome =
  | { status: 'delivered'; directory: string; payloadRoot: Uint8Array }
  | {
      status: 'failed';
      reason: PayloadFailure;
      detail: string;
      /** True when no retry can succeed: submit a rejected receipt with `reason`. */
      permanent: boolean;
      /** Where a retry resumes. */
      nextChunk: number;
    };

interface Session {
  readonly verifier: ChunkVerifier;
  readonly key: PayloadKey;
  readonly partial: PartialPayload;
}

export function inboxDirectory(inboxDir: string, patient: Uint8Array, transferId: Uint8Array): string {
  return path.join(inboxDir, toHex(patient), toHex(transferId));
}

export class PayloadReceiver {
  readonly #options: PayloadReceiverOptions;
  readonly #session: Session | undefined;
  #settled: ReceiveOutcome | undefined;

  private constructor(
    options: PayloadReceiverOptions,
    session: Session | undefined,
    settled?: ReceiveOutcome,
  ) {
    this.#options = options;
    this.#session = session;
    this.#settled = settled;
  }

  /**
   * Opens (or resumes) the transfer. If it is already filed, or its declaration can never be
   * received (bad layout or key), or every chunk is already on disk, `settled` is set at once and
   * no request needs to be sent. Throws only for local I/O problems.
   */
  static async open(options: PayloadReceiverOptions): Promise<PayloadReceiver> {
    const { expected } = options;
    const finalDir = inboxDirectory(options.inboxDir, expected.patient, expected.transferId);
    if (await exists(path.join(finalDir, INBOX_MANIFEST_FILE))) {
      await rm(partialDirectory(options.inboxDir, expected.transferId), { recursive: true, force: true });
      const delivered: ReceiveOutcome = {
        status: 'delivered',
        directory: finalDir,
        payloadRoot: expected.payload.root,
      };
      return new PayloadReceiver(options, undefined, delivered);
    }
    const created = ChunkVerifier.create(expected.payload);
    if (!created.ok) {
      return new PayloadReceiver(options, undefined, failure('PAYLOAD_LAYOUT_INVALID', created.detail, 0));
    }
    let key: PayloadKey;
    try {
      key = deriveRecipientKey(
        options.recipientSecretKey,
        expected.payload.ephemeralKey,
        options.chainId,
        options.recipientId,
      );
    } catch (error) {
      if (!isBayledgerError(error, 'KEY_INVALID')) throw error;
      return new PayloadReceiver(options, undefined, failure('PAYLOAD_KEY_INVALID', error.message, 0));
    }
    const partial = await PartialPayload.open(
      options.inboxDir,
      expected.transferId,
      expected.payload,
      created.verifier.layout,
      expected.items.map((item) => item.sizeBytes),
      options.itemsOnWorker,
      options.itemWorkerSpare,
    );
    const receiver = new PayloadReceiver(options, { verifier: created.verifier, key, partial });
    if (partial.verifiedChunks === created.verifier.layout.chunkCount) await receiver.#finish();
    return receiver;
  }

  /** The final outcome, once there is one; until then, send `requestFrame()` and `receive()`. */
  get settled(): ReceiveOutcome | undefined {
    return this.#settled;
  }

  /** The first chunk still needed. */
  get nextChunk(): number {
    return this.#session?.partial.verifiedChunks ?? 0;
  }

  /** Sealed payload bytes from the first chunk still needed to the end (what disk room is asked for). */
  get remainingBytes(): number {
    const session = this.#session;
    if (session === undefined) return 0;
    const { layout } = session.verifier;
    return layout.payloadBytes - chunkSealedOffset(layout, session.partial.verifiedChunks);
  }

  /** Whether items went to the worker thread (false before the first item byte): for tests. */
  async itemsOnWorker(): Promise<boolean> {
    return (await this.#session?.partial.itemsOnWorker()) ?? false;
  }

  /** How many item files were written through O_DIRECT (0 where refused or not on the worker): for tests. */
  get directItemFiles(): number {
    return this.#session?.partial.directItemFiles ?? 0;
  }

  /** The request to send: resume from the first chunk not yet verified. */
  requestFrame(): Uint8Array {
    return encodePayloadRequest({ transferId: this.#options.expected.transferId, fromChunk: this.nextChunk });
  }

  /**
   * Consumes one response stream. Returns `delivered`, or `failed` with a reason; a failure that
   * is not permanent keeps every verified chunk, and a new request resumes after the last one.
   * Each frame is read only until the receiver asks `frames` for the next one (nothing it keeps
   * points into a frame: plaintext and leaf hashes are new buffers), so the source may reuse a
   * frame's memory from then on.
   */
  async receive(frames: AsyncIterable<Uint8Array>): Promise<ReceiveOutcome> {
    if (this.#settled !== undefined) return this.#settled;
    const session = this.#session!;
    try {
      const outcome = await this.#consume(session, frames);
      if (this.#settled === undefined && outcome.status === 'failed' && outcome.permanent) {
        await session.partial.discard();
        this.#settled = outcome;
      }
      return outcome;
    } finally {
      if (this.#settled === undefined) await session.partial.checkpoint();
    }
  }

  /** Makes progress durable and releases files; the partial folder stays for a later resume. */
  async close(): Promise<void> {
    if (this.#settled === undefined) await this.#session?.partial.close();
  }

  async #consume(session: Session, frames: AsyncIterable<Uint8Array>): Promise<ReceiveOutcome> {
    const iterator = frames[Symbol.asyncIterator]();
    try {
      return await this.#consumeFrames(session, iterator);
    } finally {
      // Stopping early (a refused chunk) tells the transport, and through it the sender, that no
      // more frames are wanted, so both release their files and streams.
      await iterator.return?.()?.catch(() => {});
    }
  }

  async #consumeFrames(session: Session, iterator: AsyncIterator<Uint8Array>): Promise<ReceiveOutcome> {
    let headerSeen = false;
    for (;;) {
      let next: IteratorResult<Uint8Array>;
      try {
        next = await iterator.next();
      } catch (error) {
        return this.#fail('PAYLOAD_TRUNCATED', `stream broke: ${errorMessage(error)}`);
      }
      if (next.done) break;
      let message: PayloadResponse;
      try {
        message = decodePayloadResponse(next.value);
      } catch (error) {
        if (!isBayledgerError(error)) throw error;
        return this.#fail('MESSAGE_INVALID', error.message);
      }
      if (message.type === 'header') {
        if (headerSeen) return this.#fail('MESSAGE_INVALID', 'a second header');
        const problem = this.#checkHeader(message);
        if (problem !== undefined) return problem;
        headerSeen = true;
      } else if (message.type === 'chunk') {
        if (!headerSeen) return this.#fail('MESSAGE_INVALID', 'a chunk before the header');
        const problem = await this.#acceptChunk(session, message);
        if (problem !== undefined) return problem;
      } else if (message.code !== 'COMPLETE') {
        return this.#fail(message.code, `the sender ended the stream with ${message.code}`);
      } else {
        break;
      }
    }
    if (session.partial.verifiedChunks < session.verifier.layout.chunkCount) {
      return this.#fail(
        'PAYLOAD_TRUNCATED',
        `stream ended after chunk ${session.partial.verifiedChunks} of ${session.verifier.layout.chunkCount}`,
      );
    }
    return this.#finish();
  }

  #checkHeader(header: PayloadHeader): ReceiveOutcome | undefined {
    const { expected } = this.#options;
    if (!bytesEqual(header.transferId, expected.transferId)) {
      return this.#fail('MESSAGE_INVALID', 'the header names another transfer');
    }
    if (!bytesEqual(encodeCanonical(header.payload), encodeCanonical(expected.payload))) {
      return this.#fail(
        'PAYLOAD_ROOT_MISMATCH',
        'the sender announced a commitment other than the declared one',
      );
    }
    return undefined;
  }

  async #acceptChunk(session: Session, chunk: PayloadChunk): Promise<ReceiveOutcome | undefined> {
    const { partial, verifier, key } = session;
    if (chunk.index !== partial.verifiedChunks) {
      return this.#fail('CHUNK_OUT_OF_ORDER', `got chunk ${chunk.index}, expected ${partial.verifiedChunks}`);
    }
    const verdict = verifier.verify(chunk.index, chunk.proof, chunk.ciphertext);
    if (!verdict.ok) return this.#fail(verdict.reason, verdict.detail);
    const plaintext = openChunkParts(key, verifier.layout, chunk.index, chunk.ciphertext);
    if (plaintext === undefined) {
      return this.#fail('DECRYPT_FAILED', `chunk ${chunk.index} does not authenticate under the agreed key`);
    }
    const problem = await partial.writeChunk(chunk.index, plaintext, verdict.leaf);
    if (problem !== undefined) return this.#fail(problem.reason, problem.detail);
    this.#options.onProgress?.({
      verifiedChunks: partial.verifiedChunks,
      chunkCount: verifier.layout.chunkCount,
    });
    return undefined;
  }

  /** Every chunk is verified: check the whole tree, then file (or refuse) the items. */
  async #finish(): Promise<ReceiveOutcome> {
    const { partial, verifier } = this.#session!;
    await partial.checkpoint();
    const { expected } = this.#options;
    if (!verifier.rebuildsRoot(partial.leaves())) {
      // Only a damaged partial folder can get here (each leaf was checked on arrival). The partial
      // is discarded; this receiver is done, and a new one starts over from chunk 0.
      await partial.discard();
      this.#settled = failure('PAYLOAD_ROOT_MISMATCH', 'stored leaves do not rebuild the declared root', 0);
      return this.#settled;
    }
    const finalDir = inboxDirectory(this.#options.inboxDir, expected.patient, expected.transferId);
    const filing = await fileItems({
      itemsDir: partial.itemsDirectory,
      received: await partial.digests(),
      items: expected.items,
      finalDir,
      transferId: expected.transferId,
      payloadRoot: expected.payload.root,
    });
    await partial.discard();
    this.#settled = filing.ok
      ? { status: 'delivered', directory: finalDir, payloadRoot: expected.payload.root }
      : failure(filing.reason, filing.detail, 0);
    return this.#settled;
  }

  #fail(reason: PayloadFailure, detail: string): ReceiveOutcome {
    return failure(reason, detail, this.nextChunk);
  }
}

function failure(reason: PayloadFailure, detail: string, nextChunk: number): ReceiveOutcome {
  return { status: 'failed', reason, detail, permanent: isPermanentFailure(reason), nextChunk };
}

async function exists(file: string): Promise<boolean> {
  return (await stat(file).catch(() => undefined)) !== undefined;
}
