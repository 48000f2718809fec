// The sender end of the payload protocol, transport-agnostic: given one request frame and the
// node's release decision, it yields the response frames to write, in order. The release gate
// (approval committed with a valid certificate, requesting peer = declared recipient) is the
// node's decision, passed in as `decide`, so this file never sees the ledger.
//
// Memory: one chunk read ahead while the previous one is with the transport; the generator only
// advances when the transport pulls, which gives backpressure for free. Each chunk is read from
// the outbox straight into the frame that carries it (protocol.ts, layoutChunkFrame), so the
// ciphertext is neither copied nor encoded on its way out.
import { isBayledgerError } from '../../core/errors.js';
import { encodeFrame } from '../net/framing.js';
import { inFlight } from './durable-fs.js';
import { chunkSealedBytes } from './layout.js';
import { OutboxPayload } from './outbox.js';
import {
  decodePayloadRequest,
  encodePayloadResponse,
  layoutChunkFrame,
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

  /** Response messages for one request message; the last one is always an `end`. */
  async *respond(
    requestFrame: Uint8Array,
    decide: (request: PayloadRequest) => SendDecision | Promise<SendDecision>,
  ): AsyncGenerator<Uint8Array> {
    for await (const response of this.respondFramed(requestFrame, decide)) {
      yield response.frame.subarray(response.messageOffset);
    }
  }

  /** The same responses, each already in its length-prefixed frame (what the node writes). */
  async *respondFramed(
    requestFrame: Uint8Array,
    decide: (request: PayloadRequest) => SendDecision | Promise<SendDecision>,
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
      yield* this.#stream(outbox, request);
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

  async *#stream(outbox: OutboxPayload, request: PayloadRequest): AsyncGenerator<FramedResponse> {
    const { chunkCount } = outbox.layout;
    if (request.fromChunk > chunkCount) {
      yield end('BAD_REQUEST');
      return;
    }
    yield framed({ type: 'header', transferId: request.transferId, payload: outbox.commitment });
    let next: Promise<FramedResponse> | undefined =
      request.fromChunk < chunkCount ? readChunk(outbox, request.fromChunk) : undefined;
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
      next = index + 1 < chunkCount ? inFlight(readChunk(outbox, index + 1)) : undefined;
      yield chunk;
    }
    yield end('COMPLETE');
  }
}

/** Chunk `index` in its frame, read from the outbox into place and checked against its leaf. */
async function readChunk(outbox: OutboxPayload, index: number): Promise<FramedResponse> {
  const layout = layoutChunkFrame(
    index,
    outbox.inclusionProof(index),
    chunkSealedBytes(outbox.layout, index),
  );
  await outbox.readSealedChunkInto(index, layout.ciphertext);
  return { frame: layout.frame, messageOffset: layout.messageOffset, kind: 'chunk' };
}
