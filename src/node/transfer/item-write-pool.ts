// The main-thread half of receiving with a worker thread (item-write-worker.ts): the main thread
// checks and decrypts each chunk, then hands the plaintext parts over by transfer, not copy; the
// worker hashes the items and writes them. At most `maxInFlight` writes are with the worker at once.
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../verify-pool/worker-script.js';
import type { ItemFileSpan, ItemWriteReply, ItemWriteRequest } from './item-write-messages.js';
import { transferable } from './seal-pool.js';

interface Pending {
  resolve(reply: ItemWriteReply): void;
  reject(error: unknown): void;
}

export class ItemWriteWorker {
  readonly #worker: Worker;
  readonly #maxInFlight: number;
  readonly #pending = new Map<number, Pending>();
  #nextSeq = 0;
  #writesInFlight = 0;
  #slotWaiters: { resolve(): void; reject(error: unknown): void }[] = [];
  #failure: Error | undefined;
  #ready = false;
  #onReady: (() => void) | undefined;
  #exited = false;

  private constructor(worker: Worker, maxInFlight: number) {
    this.#worker = worker;
    this.#maxInFlight = maxInFlight;
    worker.on('message', (reply: ItemWriteReply) => this.#onReply(reply));
    worker.on('error', (error) => this.#fail(error));
    worker.on('exit', (code) => {
      this.#exited = true;
      this.#fail(new Error(`the item writing worker exited (code ${code})`));
    });
  }

  static start(maxInFlight: number): ItemWriteWorker {
    return new ItemWriteWorker(startModuleWorker(import.meta.url, './item-write-worker'), maxInFlight);
  }

  /** Resolves once the worker has loaded (true) or failed to (false). */
  whenReady(): Promise<boolean> {
    if (this.#ready || this.#failure !== undefined) return Promise.resolve(this.#ready);
    return new Promise((resolve) => {
      this.#onReady = () => resolve(this.#ready);
    });
  }

  /** The item files; sent before the first write. */
  async setItems(items: readonly ItemFileSpan[]): Promise<void> {
    await this.#request((seq) => ({ type: 'items', seq, items }));
  }

  /** Resolves when the worker has room for one more write. */
  slot(): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (this.#writesInFlight < this.#maxInFlight) return Promise.resolve();
    return new Promise((resolve, reject) => this.#slotWaiters.push({ resolve, reject }));
  }

  /**
   * Hands container bytes from `position` to the worker (the parts' memory goes with them: do not
   * touch them afterwards). The returned promise settles once they are written.
   */
  write(position: number, parts: readonly Uint8Array[]): Promise<void> {
    const moved = transferable(parts);
    this.#writesInFlight++;
    const done = this.#request(
      (seq) => ({ type: 'write', seq, position, parts: moved.parts }),
      moved.buffers,
    );
    return done.then(
      () => this.#writeSettled(),
      (error: unknown) => {
        this.#writeSettled();
        throw error;
      },
    );
  }

  /** Resolves once every write handed over so far is done; rejects if any failed. */
  async flush(): Promise<void> {
    await this.#request((seq) => ({ type: 'flush', seq }));
  }

  /** After every write: each item's SHA-256, or null for an item the worker did not see whole. */
  async digests(): Promise<readonly (Uint8Array | null)[]> {
    const reply = await this.#request((seq) => ({ type: 'digests', seq }));
    return reply.type === 'digests' ? reply.digests : [];
  }

  /**
   * Stops the worker after its writes have settled (the main thread closes the files next, and a
   * write still queued could otherwise land on whatever file reuses the descriptor).
   */
  async close(): Promise<void> {
    if (this.#failure === undefined) await this.flush().catch(() => {});
    this.#fail(new Error('the item writing worker was stopped'));
    if (!this.#exited) await this.#worker.terminate();
  }

  #request(make: (seq: number) => ItemWriteRequest, transfer: ArrayBuffer[] = []): Promise<ItemWriteReply> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const seq = this.#nextSeq++;
    const answered = new Promise<ItemWriteReply>((resolve, reject) =>
      this.#pending.set(seq, { resolve, reject }),
    );
    this.#worker.postMessage(make(seq), transfer);
    return answered;
  }

  #writeSettled(): void {
    this.#writesInFlight--;
    this.#slotWaiters.shift()?.resolve();
  }

  #onReply(reply: ItemWriteReply): void {
    if (reply.type === 'ready') {
      this.#ready = true;
      this.#onReady?.();
      return;
    }
    const pending = this.#pending.get(reply.seq);
    this.#pending.delete(reply.seq);
    if (reply.type === 'failed') {
      const error = new Error(`writing received items failed: ${reply.message}`);
      pending?.reject(error);
      this.#fail(error);
      return;
    }
    pending?.resolve(reply);
  }

  #fail(error: unknown): void {
    if (this.#failure !== undefined) return;
    this.#failure = error instanceof Error ? error : new Error(String(error));
    for (const pending of this.#pending.values()) pending.reject(this.#failure);
    this.#pending.clear();
    for (const waiter of this.#slotWaiters) waiter.reject(this.#failure);
    this.#slotWaiters = [];
    this.#onReady?.();
  }
}
