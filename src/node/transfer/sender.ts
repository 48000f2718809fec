// The sender end of the payload protocol, transport-agnostic: given one request frame and the
// node's release decision, it yields the response frames to write, in order. The release gate
// (approval committed with a valid certificate, requesting peer = declared recipient) is the
// node's decision, passed in as `decide`, so this file never sees the ledger.
//
// Memory: one chunk read ahead while the previous one is with the transport; the generator only
// advances when the transport pulls, which gives backpressure for free. Each chunk is read from
// the outbox straight into the frame that carries it (protocol.ts, layoutChunkFrame), so the
// ciphertext is neither copied nor encoded on its way out.
//
// The frames of one stream rotate through a ring of buffers (respondFramed, frameRingSize), so a
// stream allocates a few megabytes once instead of a fresh megabyte per chunk, which cost page
// faults when the chunk was read into it and fed the garbage collector. Measured between two lone
// processes over libp2p (100 MB, alternating pairs at load 5-10): 132-137 -> 104-111 page faults
// per MB at the sender and 7-9 -> 4-6 collections per 100 MB, CPU per MB within the noise. In the
// payload benchmark (500 MB, 4 alternating pairs at load 5-10) the hospital's CPU per MB while
// delivering did not change beyond the noise (medians 5.5 ms without, 6.2 ms with; its profiles
// put garbage collection anywhere from 3% to 29% of the main thread, with and without the ring).
//
// A frame's memory is reused frameRingSize frames later; by then the transport no longer reads
// it: the writer sent each earlier frame and waited until the stream held at most
// LIMITS.maxStreamWriteBufferBytes unsent (FramedStream.writeFramed), and what the muxer passed
// on but Noise has not yet encrypted is at most one Yamux send window (LIMITS.maxStreamWindowBytes):
// the peer cannot credit bytes it has not received, and Noise encrypts (copies) bytes before they
// leave. A peer that granted more window than our nodes do could only garble its own stream,
// which it would refuse chunk by chunk (each is checked against the declared root), and the ring
// holds nothing but this transfer's sealed chunks.
import { isBayledgerError } from '../../core/errors.js';
import { LIMITS } from '../../core/limits.js';
import { encodeFrame } from '../net/framing.js';
import { inFlight } from './durable-fs.js';
import { chunkSealedBytes } from './layout.js';
import { OutboxPayload } from './outbox.js';
import {
  decodePayloadRequest,
  encodePayloadResponse,
  layoutChunkFrame,
  maxChunkFrameBytes,
  type PayloadEndCode,
  type PayloadRequest,
  type PayloadResponse,
} from './protocol.js';

/** The node's answer for one request: stream the payload with this root, or refuse with a code. */
export type SendDecision =
  | { ok: true; payloadRoot: Uint8Array }
  | { ok: false; code: Exclude<PayloadEndCode, 'COMPLETE' | 'BAD_REQUEST' | 'PAYLOAD_UNAVAILABLE'> };

export interface PayloadSenderOptions {
  readonly outboxDir: string;
  /** Told about local problems (a missing or corrupt outbox) that end a stream early. */
  readonly onProblem?: (error: unknown) => void;
}

/**
 * How many chunk frames of `sealedChunkBytes` one stream cycles through: the frames the transport
 * may still read (one send window and the stream's unsent bytes, in whole chunks, rounded up),
 * the one being written, the one read ahead, and one spare. 8 for 1 MiB chunks.
 */
export function frameRingSize(sealedChunkBytes: number): number {
  return Math.ceil((LIMITS.maxStreamWindowBytes + LIMITS.maxStreamWriteBufferBytes) / sealedChunkBytes) + 3;
}

/** The frame buffers of one stream, handed out in turn, each allocated on first use. */
class FrameRing {
  readonly #buffers: Uint8Array[] = [];
  readonly #bufferBytes: number;
  readonly #size: number;
  #next = 0;

  constructor(sealedChunkBytes: number) {
    this.#bufferBytes = maxChunkFrameBytes(sealedChunkBytes);
    this.#size = frameRingSize(sealedChunkBytes);
  }

  take(): Uint8Array {
    if (this.#buffers.length < this.#size) {
      const buffer = new Uint8Array(this.#bufferBytes);
      this.#buffers.push(buffer);
      return buffer;
    }
    const buffer = this.#buffers[this.#next]!;
    this.#next = (this.#next + 1) % this.#size;
    return buffer;
  }
}

/** One response ready for the wire: its whole length-prefixed frame, and what it carries. */
export interface FramedResponse {
  readonly frame: Uint8Array;
  /** Where the CBOR message starts in `frame`, after the length prefix. */
  readonly messageOffset: number;
  readonly kind: 'header' | 'chunk' | PayloadEndCode;
}

function framed(response: PayloadResponse): FramedResponse {
  const message = encodePayloadResponse(response);
  const frame = encodeFrame(message);
  const kind = response.type === 'end' ? response.code : response.type;
  return { frame, messageOffset: frame.byteLength - message.byteLength, kind };
}

function end(code: PayloadEndCode): FramedResponse {
  return framed({ type: 'end', code });
}

export class PayloadSender {
  readonly #outboxDir: string;
  readonly #onProblem: (error: unknown) => void;

  constructor(options: PayloadSenderOptions) {
    this.#outboxDir = options.outboxDir;
    this.#onProblem = options.onProblem ?? (() => {});
  }

  /**
   * Response messages for one request message; the last one is always an `end`. Each is its own
   * memory, which the caller may keep.
   */
  async *respond(
    requestFrame: Uint8Array,
    decide: (request: PayloadRequest) => SendDecision | Promise<SendDecision>,
  ): AsyncGenerator<Uint8Array> {
    for await (const response of this.#responses(requestFrame, decide, false)) {
      yield response.frame.subarray(response.messageOffset);
    }
  }

  /**
   * The same responses, each already in its length-prefixed frame, for a writer that sends each
   * frame (and waits for the stream's back-pressure) before it pulls the next: a chunk frame's
   * memory is reused frameRingSize frames later (see the file comment).
   */
  respondFramed(
    requestFrame: Uint8Array,
    decide: (request: PayloadRequest) => SendDecision | Promise<SendDecision>,
  ): AsyncGenerator<FramedResponse> {
    return this.#responses(requestFrame, decide, true);
  }

  async *#responses(
    requestFrame: Uint8Array,
    decide: (request: PayloadRequest) => SendDecision | Promise<SendDecision>,
    reuseFrames: boolean,
  ): AsyncGenerator<FramedResponse> {
    let request: PayloadRequest;
    try {
      request = decodePayloadRequest(requestFrame);
    } catch (error) {
      if (!isBayledgerError(error)) throw error;
      yield end('BAD_REQUEST');
      return;
    }
    const decision = await decide(request);
    if (!decision.ok) {
      yield end(decision.code);
      return;
    }
    const outbox = await this.#openOutbox(decision.payloadRoot);
    if (outbox === undefined) {
      yield end('PAYLOAD_UNAVAILABLE');
      return;
    }
    try {
      const ring = reuseFrames ? new FrameRing(chunkSealedBytes(outbox.layout, 0)) : undefined;
      yield* this.#stream(outbox, request, ring);
    } finally {
      await outbox.close();
    }
  }

  async #openOutbox(payloadRoot: Uint8Array): Promise<OutboxPayload | undefined> {
    try {
      return await OutboxPayload.open(this.#outboxDir, payloadRoot);
    } catch (error) {
      if (!isBayledgerError(error)) throw error;
      this.#onProblem(error);
      return undefined;
    }
  }

  async *#stream(
    outbox: OutboxPayload,
    request: PayloadRequest,
    ring: FrameRing | undefined,
  ): AsyncGenerator<FramedResponse> {
    const { chunkCount } = outbox.layout;
    if (request.fromChunk > chunkCount) {
      yield end('BAD_REQUEST');
      return;
    }
    yield framed({ type: 'header', transferId: request.transferId, payload: outbox.commitment });
    let next: Promise<FramedResponse> | undefined =
      request.fromChunk < chunkCount ? readChunk(outbox, request.fromChunk, ring?.take()) : undefined;
    for (let index = request.fromChunk; index < chunkCount; index++) {
      let chunk: FramedResponse;
      try {
        chunk = await next!;
      } catch (error) {
        if (!isBayledgerError(error)) throw error;
        this.#onProblem(error);
        yield end('PAYLOAD_UNAVAILABLE');
        return;
      }
      // Read ahead while the transport sends this chunk; if the consumer stops pulling, the
      // read-ahead's failure must not surface as an unhandled rejection.
      next = index + 1 < chunkCount ? inFlight(readChunk(outbox, index + 1, ring?.take())) : undefined;
      yield chunk;
    }
    yield end('COMPLETE');
  }
}

/**
 * Chunk `index` in its frame (laid out in `into` when given), read from the outbox into place and
 * checked against its leaf.
 */
async function readChunk(
  outbox: OutboxPayload,
  index: number,
  into: Uint8Array | undefined,
): Promise<FramedResponse> {
  const layout = layoutChunkFrame(
    index,
    outbox.inclusionProof(index),
    chunkSealedBytes(outbox.layout, index),
    into,
  );
  await outbox.readSealedChunkInto(index, layout.ciphertext);
  return { frame: layout.frame, messageOffset: layout.messageOffset, kind: 'chunk' };
}
