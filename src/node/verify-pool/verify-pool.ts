// A bounded pool of worker threads that verifies Ed25519 signatures in batches, so that a block, a
// burst of transactions or a whole chain (`chain verify`) uses every core. Each worker runs the same
// `verifySignature` as the rest of bayledger (src/core/crypto/ed25519.ts): there is still exactly
// one verify function, so the pool accepts exactly the signatures a single thread accepts.
//
// Bounds (LIMITS): workers, batches in flight per worker (two, so a worker never waits for its next
// batch), and batches queued for a free worker (beyond that, OVERLOADED rather than unbounded memory).
// Workers are unref'd while idle, so a pool never keeps the process alive by itself; `close()`
// terminates them. A worker that crashes is a bug: the pool fails every pending batch and refuses
// new ones rather than retrying around it.
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { BayledgerError, fail } from '../../core/errors.js';
import { LIMITS } from '../../core/limits.js';
import { createBitmap, mergeBits } from './bitmap.js';
import { packBatch } from './packed-batch.js';
import type { VerifyRequest, WorkerMessage } from './protocol.js';
import type { SignatureCheck } from './signature-check.js';
import { splitIntoBatches } from './split-batches.js';
import { startModuleWorker } from './worker-script.js';

/** Checks per batch for `verifyMany`: large enough to amortise a round trip (see test/bench). */
export const DEFAULT_BATCH_ITEMS = 256;

export interface VerifyPoolOptions {
  /** Worker threads; one per core by default. */
  readonly workers?: number;
  /** Batches one worker holds at once (default and maximum LIMITS.maxVerifyInFlightPerWorker). */
  readonly maxInFlightPerWorker?: number;
  /** Batches waiting for a free worker (default and maximum LIMITS.maxVerifyQueuedBatches). */
  readonly maxQueuedBatches?: number;
}

interface PendingBatch {
  readonly batchId: number;
  readonly packed: ArrayBuffer;
  readonly resolve: (bitmap: Uint8Array) => void;
  readonly reject: (error: Error) => void;
}

interface WorkerSlot {
  readonly worker: Worker;
  readonly loaded: Promise<void>;
  readonly inFlight: Map<number, PendingBatch>;
}

function boundedOption(value: number | undefined, fallback: number, maximum: number, name: string): number {
  const chosen = value ?? fallback;
  if (!Number.isSafeInteger(chosen) || chosen < 1 || chosen > maximum) {
    fail('CONFIG_INVALID', `${name} must be an integer from 1 to ${maximum}, got ${chosen}`, name);
  }
  return chosen;
}

export class VerifyPool {
  /** Number of worker threads. */
  readonly size: number;
  readonly #maxInFlightPerWorker: number;
  readonly #maxQueuedBatches: number;
  readonly #slots: WorkerSlot[] = [];
  readonly #queue: PendingBatch[] = [];
  #nextBatchId = 0;
  #failure: BayledgerError | undefined;
  #closed: Promise<void> | undefined;

  constructor(options: VerifyPoolOptions = {}) {
    this.size = boundedOption(
      options.workers,
      availableParallelism(),
      LIMITS.maxVerifyPoolWorkers,
      'workers',
    );
    this.#maxInFlightPerWorker = boundedOption(
      options.maxInFlightPerWorker,
      LIMITS.maxVerifyInFlightPerWorker,
      LIMITS.maxVerifyInFlightPerWorker,
      'maxInFlightPerWorker',
    );
    this.#maxQueuedBatches = boundedOption(
      options.maxQueuedBatches,
      LIMITS.maxVerifyQueuedBatches,
      LIMITS.maxVerifyQueuedBatches,
      'maxQueuedBatches',
    );
    for (let index = 0; index < this.size; index++) this.#slots.push(this.#startWorker(index));
  }

  /** Resolves once every worker has loaded its module (benchmarks wait for this; callers need not). */
  async ready(): Promise<void> {
    await Promise.all(this.#slots.map((slot) => slot.loaded));
  }

  get queuedBatches(): number {
    return this.#queue.length;
  }

  get inFlightBatches(): number {
    let inFlight = 0;
    for (const slot of this.#slots) inFlight += slot.inFlight.size;
    return inFlight;
  }

  /**
   * Verifies one batch (at most LIMITS.maxVerifyBatchItems checks) and resolves to its result
   * bitmap: bit i is set when check i verified (see bitmap.ts). Rejects with CLOSED after
   * `close()`, OVERLOADED when the queue is full, INTERNAL after a worker crashed.
   */
  verifyBatch(checks: readonly SignatureCheck[]): Promise<Uint8Array> {
    return new Promise<Uint8Array>((resolve, reject) => {
      if (this.#failure !== undefined) throw this.#failure;
      if (this.#closed !== undefined) fail('CLOSED', 'the verify pool is closed');
      if (checks.length === 0) return resolve(new Uint8Array(0));
      if (this.#queue.length >= this.#maxQueuedBatches) {
        fail('OVERLOADED', `${this.#queue.length} batches are already waiting for a verify worker`);
      }
      this.#queue.push({ batchId: this.#nextBatchId++, packed: packBatch(checks), resolve, reject });
      this.#dispatch();
    });
  }

  /**
   * Verifies any number of checks, split into batches of `batchItems`, with at most as many
   * batches outstanding as the workers can hold, so it never fills the queue by itself.
   */
  async verifyMany(checks: readonly SignatureCheck[], batchItems = DEFAULT_BATCH_ITEMS): Promise<Uint8Array> {
    const batches = splitIntoBatches(checks, batchItems);
    const bitmap = createBitmap(checks.length);
    let nextBatch = 0;
    const lane = async (): Promise<void> => {
      while (nextBatch < batches.length) {
        const batch = batches[nextBatch++]!;
        mergeBits(bitmap, batch.firstIndex, await this.verifyBatch(batch.checks), batch.checks.length);
      }
    };
    const lanes = Math.min(batches.length, this.size * this.#maxInFlightPerWorker);
    await Promise.all(Array.from({ length: lanes }, lane));
    return bitmap;
  }

  /** Terminates the workers; pending batches reject with CLOSED. Safe to call more than once. */
  close(): Promise<void> {
    this.#closed ??= this.#terminate(new BayledgerError('CLOSED', 'the verify pool is closed'));
    return this.#closed;
  }

  async #terminate(reason: BayledgerError): Promise<void> {
    this.#rejectAll(reason);
    await Promise.all(this.#slots.map((slot) => slot.worker.terminate()));
  }

  #startWorker(index: number): WorkerSlot {
    const worker = startModuleWorker(import.meta.url, './verify-worker', { name: `verify-${index}` });
    worker.unref();
    let markLoaded: () => void = () => undefined;
    let markBroken: (error: Error) => void = () => undefined;
    const loaded = new Promise<void>((resolve, reject) => {
      markLoaded = resolve;
      markBroken = reject;
    });
    // `ready()` may never be called; a worker failure still surfaces through verifyBatch.
    loaded.catch(() => undefined);
    const slot: WorkerSlot = { worker, loaded, inFlight: new Map() };
    worker.on('message', (message: WorkerMessage) => {
      if (message.kind === 'ready') markLoaded();
      else this.#settle(slot, message.batchId, new Uint8Array(message.bitmap));
    });
    const onFailure = (error: Error): void => {
      markBroken(error);
      this.#fail(error);
    };
    worker.on('error', onFailure);
    worker.on('messageerror', onFailure);
    worker.on('exit', (code) => onFailure(new Error(`verify worker ${index} exited with code ${code}`)));
    return slot;
  }

  #settle(slot: WorkerSlot, batchId: number, bitmap: Uint8Array): void {
    const batch = slot.inFlight.get(batchId);
    if (batch === undefined) return; // already rejected by close() or a failure
    slot.inFlight.delete(batchId);
    if (slot.inFlight.size === 0) slot.worker.unref();
    batch.resolve(bitmap);
    this.#dispatch();
  }

  /** Hands queued batches, oldest first, to the least busy workers with room. */
  #dispatch(): void {
    while (this.#queue.length > 0) {
      let chosen: WorkerSlot | undefined;
      for (const slot of this.#slots) {
        if (slot.inFlight.size >= this.#maxInFlightPerWorker) continue;
        if (chosen === undefined || slot.inFlight.size < chosen.inFlight.size) chosen = slot;
      }
      if (chosen === undefined) return;
      const batch = this.#queue.shift()!;
      chosen.inFlight.set(batch.batchId, batch);
      chosen.worker.ref();
      const request: VerifyRequest = { batchId: batch.batchId, packed: batch.packed };
      chosen.worker.postMessage(request, [batch.packed]);
    }
  }

  #fail(error: Error): void {
    if (this.#closed !== undefined || this.#failure !== undefined) return;
    this.#failure = new BayledgerError('INTERNAL', `a verify worker failed: ${error.message}`);
    this.#closed = this.#terminate(this.#failure);
  }

  #rejectAll(reason: BayledgerError): void {
    for (const batch of this.#queue.splice(0)) batch.reject(reason);
    for (const slot of this.#slots) {
      for (const batch of slot.inFlight.values()) batch.reject(reason);
      slot.inFlight.clear();
      slot.worker.unref();
    }
  }
}
