// The sender end of the payload protocol, transport-agnostic: given one request frame and the
// node's release decision, it yields the response frames to write, in order. The release gate
// (approval committed with a valid certificate, requesting peer = declared recipient) is the
// node's decision, passed in as `decide`, so this file never sees the ledger.
//
// Memory: one chunk read ahead while the previous one is with the transport; the generator only
// advances when the transport pulls, which gives backpressure for free.
import { isBayledgerError } from '../../core/errors.js';
import { inFlight } from './durable-fs.js';
import { OutboxPayload } from './outbox.js';
import {
  decodePayloadRequest,
  encodePayloadResponse,
  type PayloadEndCode,
  type PayloadRequest,
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

export class PayloadSender {
  readonly #outboxDir: string;
  readonly #onProblem: (error: unknown) => void;

  constructor(options: PayloadSenderOptions) {
    this.#outboxDir = options.outboxDir;
    this.#onProblem = options.onProblem ?? (() => {});
  }

  /** Response frames for one request frame; the last one is always an `end`. */
  async *respond(
    requestFrame: Uint8Array,
    decide: (request: PayloadRequest) => SendDecision | Promise<SendDecision>,
  ): AsyncGenerator<Uint8Array> {
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

  async *#stream(outbox: OutboxPayload, request: PayloadRequest): AsyncGenerator<Uint8Array> {
    const { chunkCount } = outbox.layout;
    if (request.fromChunk > chunkCount) {
      yield end('BAD_REQUEST');
      return;
    }
    yield encodePayloadResponse({
      type: 'header',
      transferId: request.transferId,
      payload: outbox.commitment,
    });
    let next: Promise<Uint8Array> | undefined =
      request.fromChunk < chunkCount ? outbox.readSealedChunk(request.fromChunk) : undefined;
    for (let index = request.fromChunk; index < chunkCount; index++) {
      let ciphertext: Uint8Array;
      try {
        ciphertext = await next!;
      } catch (error) {
        if (!isBayledgerError(error)) throw error;
        this.#onProblem(error);
        yield end('PAYLOAD_UNAVAILABLE');
        return;
      }
      // Read ahead while the transport sends this chunk; if the consumer stops pulling, the
      // read-ahead's failure must not surface as an unhandled rejection.
      next = index + 1 < chunkCount ? inFlight(outbox.readSealedChunk(index + 1)) : undefined;
      yield encodePayloadResponse({ type: 'chunk', index, proof: outbox.inclusionProof(index), ciphertext });
    }
    yield end('COMPLETE');
  }
}

function end(code: PayloadEndCode): Uint8Array {
  return encodePayloadResponse({ type: 'end', code });
}
