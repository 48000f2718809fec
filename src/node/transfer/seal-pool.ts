// The main-thread half of sealing with a worker thread (seal-worker.ts): the main thread reads
// each chunk in (for an upload: the HTTP body, hashing its items) and encrypts it, then hands the
// sealed parts over by transfer, not copy; the worker hashes the chunk's leaf and writes it. So on
// two cores the upload's reader and the leaf hashing and writing run at the same time. At most
// `maxInFlight` chunks are with the worker at once.
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../verify-pool/worker-script.js';
import type { SealReply, SealRequest, SealWorkerData } from './seal-messages.js';

interface Pending<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

/**
 * Parts whose memory is theirs alone (a cipher output) go as they are; a part that shares its
 * ArrayBuffer with other bytes (a pooled small buffer such as the tag) is copied first, since
 * transferring its buffer would take the other bytes away from their owner.
 */
function transferable(parts: readonly Uint8Array[]): { parts: Uint8Array[]; buffers: ArrayBuffer[] } {
  const owned: Uint8Array[] = [];
  const buffers: ArrayBuffer[] = [];
  for (const part of parts) {
    const whole =
      part.buffer instanceof ArrayBuffer &&
      part.byteOffset === 0 &&
      part.byteLength === part.buffer.byteLength &&
      !buffers.includes(part.buffer);
    const own = whole ? part : part.slice();
    owned.push(own);
    buffers.push(own.buffer as ArrayBuffer);
  }
  return { parts: owned, buffers };
}

export class ChunkWriteWorker {
  readonly #worker: Worker;
  readonly #maxInFlight: number;
  readonly #writing = new Map<number, Pending<Uint8Array>>();
  #slotWaiters: Pending<void>[] = [];
  #finishing: Pending<void> | undefined;
  #failure: Error | undefined;
  /** Resolves once the worker answered a `finish` or is gone: no write of it is running then. */
  #quiet: Promise<void> | undefined;
  #exited = false;
  readonly #exit: Promise<void>;
  #ready = false;
  /** Settles once the worker has loaded or failed; every `whenReady` caller waits on it. */
  readonly #loaded: Promise<void>;
  #settleLoaded: () => void = () => {};
  /** Whether any chunk went to the worker (only then can a write of its be running). */
  #given = false;

  private constructor(worker: Worker, maxInFlight: number) {
    this.#worker = worker;
    this.#maxInFlight = maxInFlight;
    this.#loaded = new Promise((resolve) => {
      this.#settleLoaded = resolve;
    });
    worker.on('message', (reply: SealReply) => this.#onReply(reply));
    worker.on('error', (error) => this.#fail(error));
    this.#exit = new Promise((resolve) => {
      worker.on('exit', (code) => {
        this.#exited = true;
        this.#fail(new Error(`the sealing worker exited (code ${code})`));
        resolve();
      });
    });
  }

  static start(data: SealWorkerData, maxInFlight: number): ChunkWriteWorker {
    const worker = startModuleWorker(import.meta.url, './seal-worker', { workerData: data });
    return new ChunkWriteWorker(worker, maxInFlight);
  }

  /** True once the worker has loaded and takes chunks without delay. */
  get ready(): boolean {
    return this.#ready;
  }

  /** Resolves once the worker has loaded (or failed: then `slot()` says why). */
  whenReady(): Promise<void> {
    return this.#loaded;
  }

  /** Resolves when the worker has room for one more chunk. */
  slot(): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (this.#writing.size < this.#maxInFlight) return Promise.resolve();
    return new Promise((resolve, reject) => this.#slotWaiters.push({ resolve, reject }));
  }

  /**
   * Hands sealed chunk `index` to the worker (the parts' memory goes with it: do not touch them
   * afterwards); resolves with its leaf hash once it is written. Chunks resolve in the order given.
   */
  write(index: number, parts: readonly Uint8Array[]): Promise<Uint8Array> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const written = new Promise<Uint8Array>((resolve, reject) =>
      this.#writing.set(index, { resolve, reject }),
    );
    const moved = transferable(parts);
    const request: SealRequest = { type: 'write', index, parts: moved.parts };
    this.#given = true;
    this.#worker.postMessage(request, moved.buffers);
    return written;
  }

  /**
   * Resolves once every chunk given so far is written; rejects if any failed. A worker given no
   * chunk (the payload was sealed before it loaded, or it failed to load) has nothing to finish.
   */
  async finish(): Promise<void> {
    if (!this.#given) return;
    if (this.#failure !== undefined) throw this.#failure;
    await this.#drain();
    if (this.#failure !== undefined) throw this.#failure;
  }

  /**
   * Stops the worker, after its writes have settled (the main thread closes the file next, and
   * a write still queued could otherwise land on whatever file reuses the descriptor). Calls still
   * pending are refused. Safe to call more than once, and after a failure.
   */
  async close(): Promise<void> {
    if (this.#given) await this.#drain();
    this.#fail(new Error('the sealing worker was stopped'));
    if (!this.#exited) await this.#worker.terminate();
  }

  #drain(): Promise<void> {
    this.#quiet ??= Promise.race([
      new Promise<void>((resolve, reject) => {
        this.#finishing = { resolve, reject };
        const request: SealRequest = { type: 'finish' };
        this.#worker.postMessage(request);
      }),
      this.#exit,
    ]);
    return this.#quiet;
  }

  #onReply(reply: SealReply): void {
    if (reply.type === 'ready') {
      this.#ready = true;
      this.#settleLoaded();
      return;
    }
    if (reply.type === 'finished') {
      const finishing = this.#finishing;
      this.#finishing = undefined;
      finishing?.resolve();
      return;
    }
    if (reply.type === 'failed') {
      this.#fail(new Error(`writing chunk ${reply.index} failed: ${reply.message}`));
      return;
    }
    const writing = this.#writing.get(reply.index);
    this.#writing.delete(reply.index);
    this.#slotWaiters.shift()?.resolve();
    writing?.resolve(reply.leaf);
  }

  #fail(error: unknown): void {
    if (this.#failure !== undefined) return;
    this.#failure = error instanceof Error ? error : new Error(String(error));
    for (const writing of this.#writing.values()) writing.reject(this.#failure);
    this.#writing.clear();
    for (const waiter of this.#slotWaiters) waiter.reject(this.#failure);
    this.#slotWaiters = [];
    this.#settleLoaded();
  }
}
