// Opens received chunks in a worker thread (chunk-worker.ts), two in flight, so the recipient's
// main thread keeps reading the stream (transport decryption, framing) while the worker checks
// each chunk's inclusion proof and decrypts it: the recipient was the bottleneck of a transfer,
// one core busy and the other mostly idle. Results come back per chunk; the receiver writes them
// in order. If the worker dies, its chunks and every later one are opened on the main thread
// instead, so a worker failure costs speed, never a transfer.
import type { KeyObject } from 'node:crypto';
import type { Worker } from 'node:worker_threads';
import { assert } from '../../core/errors.js';
import { startModuleWorker } from '../verify-pool/worker-script.js';
import { type ChunkOpener, InlineChunkOpener, type OpenedChunk } from './chunk-open.js';
import type { ChunkVerifier } from './chunk-verifier.js';
import type { PayloadCommitment } from './commitment.js';
import type { PayloadKey } from './payload-crypto.js';

export type ChunkWorkerRequest =
  | { readonly type: 'init'; readonly commitment: PayloadCommitment; readonly key: KeyObject }
  | {
      readonly type: 'open';
      readonly index: number;
      readonly proof: Uint8Array[];
      readonly sealed: Uint8Array;
    };

export interface ChunkWorkerReply {
  readonly type: 'opened';
  readonly index: number;
  readonly result: OpenedChunk;
}

interface Pending {
  readonly proof: Uint8Array[];
  readonly sealed: Uint8Array;
  readonly resolve: (result: OpenedChunk) => void;
}

export class WorkerChunkOpener implements ChunkOpener {
  readonly depth = 2;
  readonly #inline: InlineChunkOpener;
  readonly #pending = new Map<number, Pending>();
  #worker: Worker | undefined;

  private constructor(inline: InlineChunkOpener, worker: Worker, onLost: (error: unknown) => void) {
    this.#inline = inline;
    this.#worker = worker;
    worker.on('message', (reply: ChunkWorkerReply) => this.#onReply(reply));
    worker.on('error', (error: unknown) => {
      if (this.#worker !== undefined) onLost(error);
      this.#fallBack();
    });
    worker.on('exit', (code: number) => {
      if (this.#worker !== undefined) onLost(new Error(`the chunk worker exited with code ${code}`));
      this.#fallBack();
    });
    // Only a receive in progress waits on it; it must not keep a stopping process alive.
    worker.unref();
  }

  /**
   * Starts the worker for one receive session of `commitment` (the verifier's commitment).
   * `onLost` hears why, if the worker fails before it is closed (the work then stays here).
   */
  static start(
    commitment: PayloadCommitment,
    verifier: ChunkVerifier,
    key: PayloadKey,
    onLost: (error: unknown) => void = () => {},
  ): WorkerChunkOpener {
    const worker = startModuleWorker(import.meta.url, './chunk-worker', { name: 'payload-chunks' });
    const init: ChunkWorkerRequest = { type: 'init', commitment, key: key.key };
    worker.postMessage(init);
    return new WorkerChunkOpener(new InlineChunkOpener(verifier, key), worker, onLost);
  }

  open(index: number, proof: Uint8Array[], sealed: Uint8Array): Promise<OpenedChunk> {
    const worker = this.#worker;
    if (worker === undefined) return this.#inline.open(index, proof, sealed);
    assert(!this.#pending.has(index), `chunk ${index} is already being opened`);
    return new Promise((resolve) => {
      this.#pending.set(index, { proof, sealed, resolve });
      // The worker gets its own copy to own and transfer; `sealed` stays here for a fallback.
      const copy = sealed.slice();
      const request: ChunkWorkerRequest = { type: 'open', index, proof, sealed: copy };
      worker.postMessage(request, [copy.buffer]);
    });
  }

  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    this.#fallBack();
    await worker?.terminate();
  }

  #onReply(reply: ChunkWorkerReply): void {
    const pending = this.#pending.get(reply.index);
    if (pending === undefined) return;
    this.#pending.delete(reply.index);
    pending.resolve(reply.result);
  }

  /** The worker is gone (or closing): whatever it still owed is opened here. */
  #fallBack(): void {
    this.#worker = undefined;
    const owed = [...this.#pending.entries()].sort(([a], [b]) => a - b);
    this.#pending.clear();
    for (const [index, pending] of owed) {
      this.#inline.open(index, pending.proof, pending.sealed).then(pending.resolve);
    }
  }
}
