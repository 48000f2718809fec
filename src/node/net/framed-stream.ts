// Framed messages on one libp2p stream, with back-pressure both ways: `write` waits until the
// stream's unsent bytes are back under LIMITS.maxStreamWriteBufferBytes, and the reader pauses the stream (yamux then stops
// granting window to the sender) while LIMITS.maxBufferedFramesPerStream frames, or one frame's
// worth of bytes, wait unread. Memory per stream is then bounded by that plus one receive window.
//
// Pausing from inside a resume is the trap: libp2p's `resume()` first dispatches the bytes that
// waited while paused (our message handler runs, may find the buffer full and pause), and only
// then tells yamux to grant window again, which silently undoes that pause. The stream then reads
// as 'paused' while the sender keeps getting window, its read buffer grows past
// maxReadBufferLength and yamux resets it (seen under load as "the stream ended inside a frame").
// So a pause wanted during a resume is taken after `resume()` returns.
import type { Stream, StreamCloseEvent, StreamMessageEvent } from '@libp2p/interface';
import { BayledgerError, errorMessage, fail, isBayledgerError } from '../../core/errors.js';
import { LIMITS } from '../../core/limits.js';
import { encodeFrame, FrameDecoder } from './framing.js';
import { waitUntilWritable } from './writable.js';

export interface AbortOptions {
  readonly signal?: AbortSignal;
}

interface Waiter {
  resolve(frame: Uint8Array | null): void;
  reject(error: unknown): void;
}

export class FramedStream {
  readonly stream: Stream;
  readonly #decoder: FrameDecoder;
  readonly #frames: Uint8Array[] = [];
  #framesBytes = 0;
  #waiter: Waiter | undefined;
  #ended = false;
  #error: unknown;
  /** True while `stream.resume()` runs (see the file comment: a pause must wait until it returns). */
  #resuming = false;

  constructor(stream: Stream, maxFrameBytes: number) {
    this.stream = stream;
    this.#decoder = new FrameDecoder(maxFrameBytes);
    stream.addEventListener('message', this.#onMessage);
    stream.addEventListener('end', this.#onEnd);
    stream.addEventListener('close', this.#onClose);
  }

  get protocol(): string {
    return this.stream.protocol;
  }

  /** Sends one frame; resolves once the stream can take more (back-pressure). */
  write(payload: Uint8Array, options: AbortOptions = {}): Promise<void> {
    return this.writeFramed(encodeFrame(payload), options);
  }

  /**
   * Sends bytes that already are one whole frame (length prefix included, see framing.ts), for a
   * writer that built the frame in place to spare copying a large payload. The stream keeps
   * `frame` until it is sent: the caller must not reuse it.
   */
  async writeFramed(frame: Uint8Array, options: AbortOptions = {}): Promise<void> {
    if (this.stream.writeStatus !== 'writable')
      fail('CLOSED', 'the stream is closed for writing', this.protocol);
    try {
      this.stream.send(frame);
    } catch (error) {
      throw new BayledgerError(
        'CLOSED',
        `the stream cannot be written (${errorMessage(error)})`,
        this.protocol,
      );
    }
    await waitUntilWritable(this.stream, options.signal);
  }

  /**
   * The next frame, or null once the remote closed its side cleanly. Rejects with the decoding
   * error (MESSAGE_TOO_LARGE, FRAME_MALFORMED) after the peer sent a bad frame, with CLOSED when the
   * stream was reset, and with TIMEOUT when `signal` aborts first.
   */
  read(options: AbortOptions = {}): Promise<Uint8Array | null> {
    const frame = this.#takeFrame();
    if (frame !== undefined) {
      this.#maybeResume();
      return Promise.resolve(frame);
    }
    if (this.#error !== undefined) return Promise.reject(this.#error);
    if (this.#ended) return Promise.resolve(null);
    if (this.#waiter !== undefined) fail('USAGE', 'one read at a time on a framed stream');
    return new Promise((resolve, reject) => {
      const signal = options.signal;
      const onAbort = (): void => {
        this.#waiter = undefined;
        reject(new BayledgerError('TIMEOUT', 'no message arrived in time', this.protocol));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiter = {
        resolve: (value) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(value);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
    });
  }

  /**
   * Hands back a frame `read` returned, when the caller (and everything it passed the frame or a
   * view of it to) is done with it, so its memory is reused for a later frame. Optional.
   */
  release(frame: Uint8Array): void {
    this.#decoder.recycle(frame);
  }

  /** Closes our sending side after the buffered bytes went out; the remote may still answer. */
  async closeWrite(): Promise<void> {
    try {
      await this.stream.close();
    } catch {
      // Already closed or reset: nothing left to flush.
    }
  }

  abort(reason: string): void {
    this.stream.abort(new Error(reason));
  }

  #onMessage = (event: StreamMessageEvent): void => {
    if (this.#error !== undefined) return;
    const before = this.#frames.length;
    try {
      const data = event.data;
      if (data instanceof Uint8Array) this.#decoder.push(data, this.#frames);
      else for (const chunk of data) this.#decoder.push(chunk, this.#frames);
    } catch (error) {
      this.#fail(error);
      this.stream.abort(new Error(isBayledgerError(error) ? error.code : 'bad frame'));
      return;
    }
    for (let i = before; i < this.#frames.length; i++) this.#framesBytes += this.#frames[i]!.byteLength;
    this.#deliver();
    if (!this.#resuming) this.#pauseIfFull();
  };

  #pauseIfFull(): void {
    const full =
      this.#frames.length >= LIMITS.maxBufferedFramesPerStream ||
      this.#framesBytes >= this.#decoder.maxFrameBytes;
    if (full && this.stream.readStatus === 'readable') this.stream.pause();
  }

  #onEnd = (): void => {
    // Ending inside a frame is what a crash or a reset looks like (yamux dispatches 'end' before
    // 'close' on abort), so it is a transport failure, never the peer's fault. An abort or reset
    // that happens to fall between two frames is one too: only a remote close-write is a clean end.
    if (this.#error === undefined) {
      const status = this.stream.status;
      if (!this.#decoder.idle) {
        this.#fail(new BayledgerError('CLOSED', 'the stream ended inside a frame', this.protocol));
      } else if (status === 'aborted' || status === 'reset') {
        this.#fail(new BayledgerError('CLOSED', `the stream was ${status}`, this.protocol));
      }
    }
    this.#ended = true;
    this.#deliver();
  };

  #onClose = (event: StreamCloseEvent): void => {
    if (event.error !== undefined && this.#error === undefined && !this.#ended) {
      this.#fail(
        new BayledgerError('CLOSED', `the stream was reset (${errorMessage(event.error)})`, this.protocol),
      );
      return;
    }
    // A clean close with data still buffered in a paused stream ends after that data ('end').
    if (this.stream.readStatus !== 'paused' || this.stream.readBufferLength === 0) this.#onEnd();
  };

  #fail(error: unknown): void {
    this.#error = error;
    this.#frames.length = 0;
    this.#framesBytes = 0;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.reject(error);
  }

  #deliver(): void {
    const waiter = this.#waiter;
    if (waiter === undefined) return;
    const frame = this.#takeFrame();
    if (frame !== undefined) {
      this.#waiter = undefined;
      waiter.resolve(frame);
    } else if (this.#ended) {
      this.#waiter = undefined;
      if (this.#error !== undefined) waiter.reject(this.#error);
      else waiter.resolve(null);
    }
  }

  #takeFrame(): Uint8Array | undefined {
    const frame = this.#frames.shift();
    if (frame !== undefined) this.#framesBytes -= frame.byteLength;
    return frame;
  }

  /** True while the reader holds frames back from the sender (for tests and diagnostics). */
  get paused(): boolean {
    return this.stream.readStatus === 'paused';
  }

  #maybeResume(): void {
    const drained =
      this.#frames.length < LIMITS.maxBufferedFramesPerStream / 2 &&
      this.#framesBytes < this.#decoder.maxFrameBytes / 2;
    if (this.stream.readStatus !== 'paused' || !drained) return;
    this.#resuming = true;
    try {
      this.stream.resume();
    } finally {
      this.#resuming = false;
    }
    // The bytes that waited while paused were just decoded: pause again now if they filled us up.
    if (this.#error === undefined) this.#pauseIfFull();
  }
}
