// Length-prefixed frames on a byte stream: an unsigned LEB128 varint length (the multiformats
// unsigned-varint that libp2p's lpStream also uses), then that many bytes. The decoder checks
// the announced length against the limit before buffering a byte of the body, so an oversize
// frame costs the receiver at most the varint; it also refuses non-minimal varints, so every
// frame has exactly one encoding.
import { fail } from '../../core/errors.js';
import { LIMITS } from '../../core/limits.js';

/** A length below 2^53 needs at most 8 varint bytes. */
const MAX_VARINT_BYTES = 8;

export function varintLength(value: number): number {
  let length = 1;
  for (let rest = value; rest >= 0x80; rest = Math.floor(rest / 0x80)) length++;
  return length;
}

/** Writes `value` as an unsigned varint at the start of `target`; returns the bytes written. */
export function writeVarint(value: number, target: Uint8Array): number {
  let offset = 0;
  let rest = value;
  while (rest >= 0x80) {
    target[offset++] = (rest % 0x80) | 0x80;
    rest = Math.floor(rest / 0x80);
  }
  target[offset++] = rest;
  return offset;
}

/** One frame: varint length then the payload, in a single buffer (one write, one syscall). */
export function encodeFrame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(varintLength(payload.byteLength) + payload.byteLength);
  const headerBytes = writeVarint(payload.byteLength, out);
  out.set(payload, headerBytes);
  return out;
}

/**
 * Incremental frame decoder. `push` takes whatever chunks the transport delivers and returns the
 * frames they complete. Throws MESSAGE_TOO_LARGE for a frame over the limit and FRAME_MALFORMED
 * for a bad length prefix; after a throw the decoder must not be used again (drop the stream).
 */
/** Frames at least this large get a body buffer of their own, which `recycle` may take back. */
const RECYCLED_FRAME_BYTES = 64 * 1024;

export class FrameDecoder {
  readonly maxFrameBytes: number;
  /** Body buffers this decoder allocated (only these may be recycled), and those kept for reuse. */
  readonly #allocated = new WeakSet<ArrayBufferLike>();
  readonly #spares: ArrayBufferLike[] = [];
  // Length prefix being read.
  #lengthValue = 0;
  #lengthBytes = 0;
  #lengthScale = 1;
  // Body being filled, once the prefix is complete.
  #body: Uint8Array | undefined;
  #bodyFilled = 0;

  constructor(maxFrameBytes: number) {
    this.maxFrameBytes = maxFrameBytes;
  }

  /** True between frames: nothing of a started frame is buffered. */
  get idle(): boolean {
    return this.#body === undefined && this.#lengthBytes === 0;
  }

  push(chunk: Uint8Array, frames: Uint8Array[] = []): Uint8Array[] {
    let offset = 0;
    while (offset < chunk.byteLength) {
      if (this.#body === undefined) {
        // A whole small frame inside this chunk is returned as a view, without copying.
        if (this.#lengthBytes === 0) {
          const direct = this.#tryDirect(chunk, offset, frames);
          if (direct > 0) {
            offset += direct;
            continue;
          }
        }
        offset = this.#readLengthByte(chunk, offset, frames);
      } else {
        const wanted = this.#body.byteLength - this.#bodyFilled;
        const available = Math.min(wanted, chunk.byteLength - offset);
        this.#body.set(chunk.subarray(offset, offset + available), this.#bodyFilled);
        this.#bodyFilled += available;
        offset += available;
        if (this.#bodyFilled === this.#body.byteLength) {
          frames.push(this.#body);
          this.#body = undefined;
        }
      }
    }
    return frames;
  }

  /** Reads a complete frame starting at `offset` if the chunk holds all of it; returns bytes used or 0. */
  #tryDirect(chunk: Uint8Array, offset: number, frames: Uint8Array[]): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < MAX_VARINT_BYTES && offset + i < chunk.byteLength; i++) {
      const byte = chunk[offset + i]!;
      value += (byte & 0x7f) * scale;
      scale *= 0x80;
      if ((byte & 0x80) === 0) {
        if (byte === 0 && i > 0) return 0; // non-minimal: let the slow path report it
        if (value > this.maxFrameBytes) return 0; // over the limit: let the slow path report it
        const start = offset + i + 1;
        if (start + value > chunk.byteLength) return 0;
        frames.push(chunk.subarray(start, start + value));
        return i + 1 + value;
      }
    }
    return 0;
  }

  #readLengthByte(chunk: Uint8Array, offset: number, frames: Uint8Array[]): number {
    const byte = chunk[offset]!;
    this.#lengthValue += (byte & 0x7f) * this.#lengthScale;
    this.#lengthScale *= 0x80;
    this.#lengthBytes++;
    if (this.#lengthValue > this.maxFrameBytes) {
      fail('MESSAGE_TOO_LARGE', `frame announces more than the limit of ${this.maxFrameBytes} bytes`);
    }
    if ((byte & 0x80) !== 0) {
      if (this.#lengthBytes >= MAX_VARINT_BYTES) fail('FRAME_MALFORMED', 'length prefix is too long');
      return offset + 1;
    }
    if (byte === 0 && this.#lengthBytes > 1)
      fail('FRAME_MALFORMED', 'length prefix is not minimally encoded');
    const length = this.#lengthValue;
    this.#lengthValue = 0;
    this.#lengthBytes = 0;
    this.#lengthScale = 1;
    if (length === 0) frames.push(new Uint8Array(0));
    else {
      this.#body = this.#newBody(length);
      this.#bodyFilled = 0;
    }
    return offset + 1;
  }

  #newBody(length: number): Uint8Array {
    const fits = this.#spares.findIndex((spare) => spare.byteLength >= length);
    if (fits >= 0) return new Uint8Array(this.#spares.splice(fits, 1)[0]!, 0, length);
    const body = new Uint8Array(length);
    if (length >= RECYCLED_FRAME_BYTES) this.#allocated.add(body.buffer);
    return body;
  }

  /**
   * Takes back a frame this decoder returned, once its reader is done with it and with every view
   * into it: a later large frame is assembled in the same memory. Fresh megabyte buffers cost
   * about 0.8 ms each here (page faults on new memory), as much as decrypting one. Up to
   * LIMITS.maxRecycledFramesPerStream are kept, because a reader that falls behind has several
   * frames alive at once (the one it reads, those queued before the stream pauses, the one being
   * assembled): with a single spare, 15 of 48 payload frames still got new memory, with four 6
   * (one 50 MB delivery each between two processes). Frames the decoder did not allocate (small
   * ones are views into the transport's chunks), and a frame handed back twice, are ignored.
   */
  recycle(frame: Uint8Array): void {
    const buffer = frame.buffer;
    if (frame.byteOffset !== 0 || !this.#allocated.has(buffer) || this.#spares.includes(buffer)) return;
    if (this.#spares.length < LIMITS.maxRecycledFramesPerStream) {
      this.#spares.push(buffer);
      return;
    }
    // Full: keep the larger buffers, which fit any frame a smaller one fits.
    const smallest = this.#spares.reduce(
      (min, spare, i) => (spare.byteLength < this.#spares[min]!.byteLength ? i : min),
      0,
    );
    if (this.#spares[smallest]!.byteLength < buffer.byteLength) this.#spares[smallest] = buffer;
  }
}
