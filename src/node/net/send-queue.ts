// The outbound queue of one (peer, protocol): bounded in messages and bytes. When it is full the
// OLDEST message is dropped, not the new one. Why drop-oldest rather than back-pressure: the
// senders are the consensus state machine and the mempool relay, which must never block on a
// slow or absent peer; for consensus the newest messages (later rounds and heights) supersede the
// old ones, and Tendermint tolerates lost messages (arXiv:1807.04938 section 2: timeouts and
// later rounds restore progress once messages flow again); relayed transactions are relayed again.
// A caller that needs every byte delivered uses `request` or a raw stream, which have back-pressure.
import { assert } from '../../core/errors.js';
import { batchEntryBytes } from './batch.js';

export class SendQueue {
  readonly #maxMessages: number;
  readonly #maxBytes: number;
  #messages: Uint8Array[] = [];
  #head = 0;
  #bytes = 0;

  constructor(maxMessages: number, maxBytes: number) {
    assert(maxMessages > 0 && maxBytes > 0, 'a send queue holds at least one message');
    this.#maxMessages = maxMessages;
    this.#maxBytes = maxBytes;
  }

  get length(): number {
    return this.#messages.length - this.#head;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Appends a message; returns how many of the oldest were dropped to make room. */
  push(message: Uint8Array): number {
    let dropped = 0;
    // One message is always accepted, even alone over the byte bound (the protocol limit caps it).
    while (
      this.length > 0 &&
      (this.length >= this.#maxMessages || this.#bytes + message.byteLength > this.#maxBytes)
    ) {
      this.#shift();
      dropped++;
    }
    this.#messages.push(message);
    this.#bytes += message.byteLength;
    return dropped;
  }

  /**
   * Removes and returns the next batch: as many messages from the front as fit in `maxMessages`
   * and `maxBatchBytes` of encoded batch (at least one message, however large).
   */
  takeBatch(maxMessages: number, maxBatchBytes: number): Uint8Array[] {
    const batch: Uint8Array[] = [];
    let encodedBytes = 9; // the array head, at its largest
    while (this.length > 0 && batch.length < maxMessages) {
      const next = this.#messages[this.#head]!;
      const entryBytes = batchEntryBytes(next);
      if (batch.length > 0 && encodedBytes + entryBytes > maxBatchBytes) break;
      batch.push(this.#shift());
      encodedBytes += entryBytes;
    }
    return batch;
  }

  /** Puts a batch back at the front (its send failed before any byte left). */
  restore(batch: readonly Uint8Array[]): void {
    this.#compact();
    this.#messages.unshift(...batch);
    for (const message of batch) this.#bytes += message.byteLength;
  }

  clear(): void {
    this.#messages = [];
    this.#head = 0;
    this.#bytes = 0;
  }

  #shift(): Uint8Array {
    const message = this.#messages[this.#head]!;
    this.#messages[this.#head] = EMPTY; // release the reference now
    this.#head++;
    this.#bytes -= message.byteLength;
    if (this.#head > 1024 && this.#head * 2 > this.#messages.length) this.#compact();
    return message;
  }

  #compact(): void {
    if (this.#head === 0) return;
    this.#messages = this.#messages.slice(this.#head);
    this.#head = 0;
  }
}

const EMPTY = new Uint8Array(0);
