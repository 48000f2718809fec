// The main-thread half of receiving with a worker thread (item-write-worker.ts): the main thread
// checks and decrypts each chunk, then copies the plaintext into one of `maxInFlight` shared slots
// (a SharedArrayBuffer both threads see); the worker hashes the items and writes them from there,
// and the slot is free again once the worker answers. A copy, not a transfer: transferred cipher
// outputs were freed by the worker's collector, long after the main thread had taken fresh pages
// for the next ones (about twice the receiver's page faults per MB, measured).
import type { Worker } from 'node:worker_threads';
import { assert } from '../../core/errors.js';
import { startModuleWorker } from '../verify-pool/worker-script.js';
import type {
  ItemFileSpan,
  ItemWriteReply,
  ItemWriteRequest,
  ItemWriteWorkerData,
} from './item-write-messages.js';

interface Pending {
  resolve(reply: ItemWriteReply): void;
  reject(error: unknown): void;
}

export class ItemWriteWorker {
  readonly #worker: Worker;
  readonly #slots: SharedArrayBuffer;
  readonly #slotBytes: number;
  readonly #freeSlots: number[];
  readonly #pending = new Map<number, Pending>();
  #nextSeq = 0;
  /** The writer waiting for a free slot, if it is waiting (one writer: see slot()). */
  #slotWaiter: { resolve(): void; reject(error: unknown): void } | undefined;
  #failure: Error | undefined;
  #ready = false;
  /** Settles once the worker has loaded or failed; every `whenReady` caller waits on it. */
  readonly #loaded: Promise<void>;
  #settleLoaded: () => void = () => {};
  #exited = false;

  private constructor(worker: Worker, data: ItemWriteWorkerData, slotCount: number) {
    this.#worker = worker;
    this.#slots = data.slots;
    this.#slotBytes = data.slotBytes;
    this.#loaded = new Promise((resolve) => {
      this.#settleLoaded = resolve;
    });
    this.#freeSlots = Array.from({ length: slotCount }, (_, slot) => slot);
    worker.on('message', (reply: ItemWriteReply) => this.#onReply(reply));
    worker.on('error', (error) => this.#fail(error));
    worker.on('exit', (code) => {
      this.#exited = true;
      this.#fail(new Error(`the item writing worker exited (code ${code})`));
    });
  }

  /** `slotCount` writes of at most `slotBytes` each (a chunk's plaintext) can be with the worker. */
  static start(slotCount: number, slotBytes: number): ItemWriteWorker {
    const data: ItemWriteWorkerData = { slots: new SharedArrayBuffer(slotCount * slotBytes), slotBytes };
    const worker = startModuleWorker(import.meta.url, './item-write-worker', { workerData: data });
    return new ItemWriteWorker(worker, data, slotCount);
  }

  /**
   * Whether the worker keeps the process alive (by default it does): a spare waiting for work
   * (item-write-spare.ts) must not keep a stopping node's process from ending.
   */
  keepProcessAlive(keep: boolean): void {
    if (keep) this.#worker.ref();
    else this.#worker.unref();
  }

  /** Whether the worker failed, exited or was stopped: it takes no more writes. */
  get failed(): boolean {
    return this.#failure !== undefined;
  }

  /** Resolves once the worker has loaded (true) or failed to (false). */
  whenReady(): Promise<boolean> {
    return this.#loaded.then(() => this.#ready);
  }

  /** The item files; sent before the first write. */
  async setItems(items: readonly ItemFileSpan[]): Promise<void> {
    await this.#request((seq) => ({ type: 'items', seq, items }));
  }

  /**
   * Resolves when the worker has room for one more write. One writer at a time: the sink hands
   * over one write after another, each right after its slot() (ContainerSink's #writeItems, fed
   * chunk by chunk in container order by the partial download), so a freed slot always goes to the
   * write that waited for it. Two writers would race for a slot and reach write() without one, so
   * a second slot() while one waits is a bug in the caller, not a load to queue.
   */
  slot(): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    assert(this.#slotWaiter === undefined, 'a second writer waits for an item write slot');
    if (this.#freeSlots.length > 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#slotWaiter = { resolve, reject };
    });
  }

  /**
   * Copies container bytes from `position` into a free slot (after `slot()` resolved) and hands
   * them to the worker; the parts may be reused at once. Settles once they are written.
   */
  write(position: number, parts: readonly Uint8Array[]): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const slot = this.#freeSlots.pop();
    // With one writer (see slot()), a write follows the slot() that found or waited for room.
    assert(slot !== undefined, 'an item write without a free slot');
    const byteLength = parts.reduce((sum, part) => sum + part.byteLength, 0);
    assert(
      byteLength <= this.#slotBytes,
      `an item write of ${byteLength} bytes, slots hold ${this.#slotBytes}`,
    );
    const target = new Uint8Array(this.#slots, slot * this.#slotBytes, byteLength);
    let at = 0;
    for (const part of parts) {
      target.set(part, at);
      at += part.byteLength;
    }
    const done = this.#request((seq) => ({ type: 'write', seq, position, slot, byteLength }));
    return done.then(
      () => this.#slotFreed(slot),
      (error: unknown) => {
        this.#slotFreed(slot);
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

  #request(make: (seq: number) => ItemWriteRequest): Promise<ItemWriteReply> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const seq = this.#nextSeq++;
    const answered = new Promise<ItemWriteReply>((resolve, reject) =>
      this.#pending.set(seq, { resolve, reject }),
    );
    this.#worker.postMessage(make(seq));
    return answered;
  }

  #slotFreed(slot: number): void {
    this.#freeSlots.push(slot);
    const waiter = this.#slotWaiter;
    this.#slotWaiter = undefined;
    waiter?.resolve();
  }

  #onReply(reply: ItemWriteReply): void {
    if (reply.type === 'ready') {
      this.#ready = true;
      this.#settleLoaded();
      return;
    }
    const pending = this.#pending.get(reply.seq);
    this.#pending.delete(reply.seq);
    if (reply.type === 'failed') {
      // With the worker's errno, so that a full disk reads as one here too (errnoOf).
      const error: NodeJS.ErrnoException = new Error(`writing received items failed: ${reply.message}`);
      if (reply.errno !== undefined) error.code = reply.errno;
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
    this.#slotWaiter?.reject(this.#failure);
    this.#slotWaiter = undefined;
    this.#settleLoaded();
  }
}
