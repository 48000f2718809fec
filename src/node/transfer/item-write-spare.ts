// A recipient node keeps one item-write worker (item-write-pool.ts) loaded ahead of its next large
// payload. Loading a worker thread takes 55-100 ms on an idle machine and 250 ms on a platform node
// busy with its share of the network (traced in the payload benchmark, 2026-11-30: the worker was
// started when the partial opened and became ready 150 ms after the first chunk had arrived and
// been authenticated, which then waited for it). A fetch takes the spare, already loaded, and a
// new spare is started only when that receive ends, so its loading never competes with the
// transfer it would have delayed.
import { ItemWriteWorker } from './item-write-pool.js';

/** Starts an item-write worker (ItemWriteWorker.start; tests hand in one whose workers fail). */
export type StartItemWriteWorker = (slotCount: number, slotBytes: number) => ItemWriteWorker;

export class ItemWriteWorkerSpare {
  readonly #slotCount: number;
  readonly #slotBytes: number;
  readonly #start: StartItemWriteWorker;
  #spare: ItemWriteWorker | undefined;
  #closed = false;

  /** Starts the first spare: `slotCount` slots of `slotBytes` (LIMITS' chunk size, normally). */
  constructor(
    slotCount: number,
    slotBytes: number,
    start: StartItemWriteWorker = (count, bytes) => ItemWriteWorker.start(count, bytes),
  ) {
    this.#slotCount = slotCount;
    this.#slotBytes = slotBytes;
    this.#start = start;
    this.#spare = idle(start(slotCount, slotBytes));
  }

  /**
   * A worker for `slotCount` slots of `slotBytes`: the spare if it matches and still runs (it has
   * usually loaded by now), else one started here. The caller owns what it gets and closes it.
   */
  take(slotCount: number, slotBytes: number): ItemWriteWorker {
    const spare = this.#spare;
    if (spare === undefined || slotCount !== this.#slotCount || slotBytes !== this.#slotBytes) {
      return this.#start(slotCount, slotBytes);
    }
    this.#spare = undefined;
    if (spare.failed) {
      void spare.close();
      return this.#start(slotCount, slotBytes);
    }
    spare.keepProcessAlive(true);
    return spare;
  }

  /** Starts a new spare if none is held (after a receive that took it has ended). */
  replenish(): void {
    if (this.#closed || this.#spare !== undefined) return;
    this.#spare = idle(this.#start(this.#slotCount, this.#slotBytes));
  }

  /** Whether a spare is held (loaded or loading): for tests. */
  get holding(): boolean {
    return this.#spare !== undefined;
  }

  /** Stops the spare; later takes start workers of their own and nothing is replenished. */
  async close(): Promise<void> {
    this.#closed = true;
    const spare = this.#spare;
    this.#spare = undefined;
    await spare?.close();
  }
}

/** A spare does not keep the process alive while it waits: a node that stops need not close it first. */
function idle(worker: ItemWriteWorker): ItemWriteWorker {
  worker.keepProcessAlive(false);
  return worker;
}
