// The sender of one (peer, protocol): a bounded queue drained into ONE long-lived stream.
// Messages that queue up while the stream is busy (or during the current tick) leave together in
// one batch frame. The stream is opened lazily, reused for every message, and reopened after a
// failure with bounded backoff; while the peer is disconnected messages wait in the queue.
import type { Stream } from '@libp2p/interface';
import { errorMessage } from '../../core/errors.js';
import { LIMITS } from '../../core/limits.js';
import type { Logger } from '../log/logger.js';
import { encodeBatch } from './batch.js';
import { encodeFrame } from './framing.js';
import { SendQueue } from './send-queue.js';
import type { SendOutcome } from './types.js';
import { waitUntilWritable } from './writable.js';

export interface PeerWriterContext {
  readonly logger: Logger;
  isConnected(): boolean;
  /** Opens a new outbound stream on this writer's protocol; rejects when it cannot. */
  openStream(): Promise<Stream>;
  retryDelayMs(failures: number): number;
  onSent(messages: number): void;
  onDropped(messages: number): void;
}

/** Drops are logged on the first one and then once per this many, so a full queue cannot flood the log. */
const DROP_LOG_EVERY = 1000;

export class PeerWriter {
  readonly #context: PeerWriterContext;
  readonly #queue = new SendQueue(LIMITS.maxSendQueueMessages, LIMITS.maxSendQueueBytes);
  #stream: Stream | undefined;
  #flushScheduled = false;
  #flushing = false;
  #retryTimer: NodeJS.Timeout | undefined;
  #failures = 0;
  #droppedTotal = 0;
  #closed = false;

  constructor(context: PeerWriterContext) {
    this.#context = context;
  }

  get queued(): number {
    return this.#queue.length;
  }

  enqueue(message: Uint8Array): SendOutcome {
    const dropped = this.#queue.push(message);
    if (dropped > 0) this.#recordDrops(dropped);
    this.#schedule();
    return dropped > 0 ? 'queued-dropped-oldest' : 'queued';
  }

  onConnected(): void {
    this.#failures = 0;
    if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#schedule();
  }

  onDisconnected(): void {
    this.#stream = undefined;
  }

  close(): void {
    this.#closed = true;
    this.#queue.clear();
    if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#stream = undefined;
  }

  #recordDrops(dropped: number): void {
    const before = this.#droppedTotal;
    this.#droppedTotal += dropped;
    this.#context.onDropped(dropped);
    if (
      before === 0 ||
      Math.floor(before / DROP_LOG_EVERY) !== Math.floor(this.#droppedTotal / DROP_LOG_EVERY)
    ) {
      this.#context.logger.warn('send queue full: dropping the oldest messages', {
        droppedTotal: this.#droppedTotal,
      });
    }
  }

  /** Flushes on the next turn of the event loop, so messages sent in this turn share a frame. */
  #schedule(): void {
    if (this.#closed || this.#flushScheduled || this.#flushing || this.#retryTimer !== undefined) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    if (this.#closed || this.#queue.length === 0 || !this.#context.isConnected()) return;
    this.#flushing = true;
    try {
      while (this.#queue.length > 0 && !this.#closed) {
        const stream = this.#stream ?? (await this.#open());
        const batch = this.#queue.takeBatch(LIMITS.maxBatchMessages, LIMITS.maxBatchBytes);
        try {
          stream.send(encodeFrame(encodeBatch(batch)));
        } catch (error) {
          this.#queue.restore(batch); // nothing of it left: send throws before buffering
          throw error;
        }
        this.#failures = 0;
        this.#context.onSent(batch.length);
        // Messages that arrive meanwhile wait in the bounded queue, where drop-oldest applies.
        await waitUntilWritable(stream);
      }
    } catch (error) {
      this.#stream = undefined;
      this.#failures++;
      this.#context.logger.debug('sending failed; will retry', {
        failures: this.#failures,
        error: errorMessage(error),
      });
      this.#retryLater();
    } finally {
      this.#flushing = false;
    }
  }

  async #open(): Promise<Stream> {
    const stream = await this.#context.openStream();
    stream.addEventListener('close', () => {
      if (this.#stream === stream) this.#stream = undefined;
      if (this.#queue.length > 0) this.#schedule();
    });
    this.#stream = stream;
    return stream;
  }

  #retryLater(): void {
    if (this.#closed || this.#queue.length === 0 || this.#retryTimer !== undefined) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#schedule();
    }, this.#context.retryDelayMs(this.#failures));
  }
}
