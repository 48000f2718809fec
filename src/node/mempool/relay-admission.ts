// Admission of relayed transactions in short slices behind the consensus traffic.
//
// A validator admits every transaction another validator relays to it: decoding and every
// signature (about 0.13 ms each here). Done inside the network's message handler, a burst of
// relayed batches held the event loop for seconds at a time, so proposals and votes that had
// arrived waited behind it, the propose and prevote timeouts fired first, and rounds failed
// (measured: a 100-transaction proposal reached its validators 2.4 s after they started waiting
// for it; a 2,000-transaction height needed 6 rounds). Each failed round made every node validate
// another large block, so the overload fed itself. Queued here, relayed transactions are admitted
// for at most `sliceMs` at a time and the rest waits for the next turn of the event loop, after
// the I/O that arrived meanwhile (consensus messages) has been handled.
//
// The queue is bounded in count and bytes: when it is full the newest relay is dropped and counted. Nothing is lost
// for good: the transaction stays in the mempool of the node it was submitted to, which sends it
// again while it waits there (rerelay.ts) and, if it is a validator, proposes it in its turn.
import { assert } from '../../core/errors.js';

export interface RelayedTx {
  readonly from: string;
  readonly bytes: Uint8Array;
  /** The transaction id, computed once on arrival (admission reuses it). */
  readonly txId: Uint8Array;
  /** The same in hex, so a block being validated can take a queued copy at once. */
  readonly txIdHex: string;
}

export interface RelayAdmissionOptions {
  /** Admits one relayed transaction; true when it entered the mempool (not a duplicate, not refused). */
  admit(relayed: RelayedTx): boolean;
  /**
   * Called once transactions entered the mempool, to wake a proposer waiting for them: after each
   * slice that admitted any, and after an out-of-turn admission that did (admitQueued).
   */
  afterAdmitted(): void;
  /** Called for each relay dropped because the queue was full. */
  onDropped(relayed: RelayedTx): void;
  maxQueued: number;
  maxQueuedBytes: number;
  sliceMs: number;
  /** Monotonic milliseconds (performance.now in the node, a fake in tests). */
  nowMs(): number;
  /** Runs `task` after pending I/O callbacks (setImmediate in the node). */
  defer(task: () => void): void;
}

export class RelayAdmissionQueue {
  readonly #options: RelayAdmissionOptions;
  #queue: RelayedTx[] = [];
  #head = 0;
  #bytes = 0;
  /** Queued relays by transaction id (the first copy of each). */
  readonly #waiting = new Map<string, RelayedTx>();
  /** Relays already admitted out of turn by admitQueued, skipped when their turn comes. */
  readonly #taken = new Set<RelayedTx>();
  #scheduled = false;
  #closed = false;

  constructor(options: RelayAdmissionOptions) {
    assert(
      options.maxQueued > 0 && options.maxQueuedBytes > 0 && options.sliceMs > 0,
      'relay admission bounds must be positive',
    );
    this.#options = options;
  }

  get queued(): number {
    return this.#queue.length - this.#head - this.#taken.size;
  }

  get queuedBytes(): number {
    return this.#bytes;
  }

  enqueue(relayed: RelayedTx): void {
    if (this.#closed) return;
    const bytes = relayed.bytes.byteLength;
    if (this.queued >= this.#options.maxQueued || this.#bytes + bytes > this.#options.maxQueuedBytes) {
      this.#options.onDropped(relayed);
      return;
    }
    this.#queue.push(relayed);
    this.#bytes += bytes;
    if (!this.#waiting.has(relayed.txIdHex)) this.#waiting.set(relayed.txIdHex, relayed);
    this.#schedule();
  }

  /**
   * Admits the queued copy of a transaction now, out of turn; false if none is queued. Block
   * validation calls it for a transaction not yet in the mempool: it has to check the transaction
   * anyway, and admitting the queued copy first means the check is done once and kept, instead of
   * once for the block and again when the copy's turn comes (at saturation the queue runs behind
   * the proposals, and validators checked many signatures twice).
   */
  admitQueued(txIdHex: string): boolean {
    const relayed = this.#waiting.get(txIdHex);
    if (relayed === undefined || this.#closed) return false;
    this.#waiting.delete(txIdHex);
    this.#taken.add(relayed);
    this.#bytes -= relayed.bytes.byteLength;
    // The block being checked may never be committed (its round fails): the transaction then
    // waits in the mempool like any other, and a proposer waiting for transactions must hear of
    // it. Without this call nothing woke it; the driver's safety net released the proposal a tick
    // later (found by the chaos soak, test/chaos).
    if (this.#options.admit(relayed)) this.#options.afterAdmitted();
    return true;
  }

  /** Stops admitting; queued relays are dropped silently (the node is shutting down). */
  close(): void {
    this.#closed = true;
    this.#queue = [];
    this.#head = 0;
    this.#bytes = 0;
    this.#waiting.clear();
    this.#taken.clear();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    this.#options.defer(() => this.#runSlice());
  }

  #runSlice(): void {
    this.#scheduled = false;
    if (this.#closed) return;
    const deadline = this.#options.nowMs() + this.#options.sliceMs;
    let added = false;
    while (this.#head < this.#queue.length) {
      const relayed = this.#queue[this.#head]!;
      this.#head++;
      if (this.#taken.delete(relayed)) continue; // admitted out of turn already
      this.#bytes -= relayed.bytes.byteLength;
      if (this.#waiting.get(relayed.txIdHex) === relayed) this.#waiting.delete(relayed.txIdHex);
      if (this.#options.admit(relayed)) added = true;
      if (this.#options.nowMs() >= deadline) break;
    }
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      // Keep the array from growing without bound while a long burst drains.
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    if (added) this.#options.afterAdmitted();
    if (this.queued > 0) this.#schedule();
  }
}
