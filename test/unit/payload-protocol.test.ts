// Payload stream framing (src/node/transfer/protocol.ts): canonical CBOR, closed schemas and
// size limits on every message; anything else is refused with a typed error.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { encodeCanonical } from '../../src/core/codec/canonical.js';
import { type ErrorCode, isBayledgerError } from '../../src/core/errors.js';
import { LIMITS } from '../../src/core/limits.js';
import { encodeFrame } from '../../src/node/net/framing.js';
import { AEAD_TAG_BYTES } from '../../src/node/transfer/layout.js';
import {
  decodePayloadRequest,
  decodePayloadResponse,
  encodePayloadRequest,
  encodePayloadResponse,
  layoutChunkFrame,
  MAX_PROOF_HASHES,
  MAX_RESPONSE_BYTES,
  type PayloadResponse,
} from '../../src/node/transfer/protocol.js';

const transferId = new Uint8Array(32).fill(1);
const hash = (fill: number) => new Uint8Array(32).fill(fill);

function rejects(action: () => unknown, code: ErrorCode): void {
  assert.throws(action, (error: unknown) => {
    assert.ok(isBayledgerError(error, code), `expected ${code}, got ${String(error)}`);
    return true;
  });
}

describe('payload protocol framing', () => {
  it('round-trips a request and every response kind', () => {
    assert.deepEqual(decodePayloadRequest(encodePayloadRequest({ transferId, fromChunk: 7 })), {
      type: 'request',
      transferId,
      fromChunk: 7,
    });
    const responses: PayloadResponse[] = [
      {
        type: 'header',
        transferId,
        payload: { root: hash(2), bytes: 1000, chunkBytes: 256, chunkCount: 4, ephemeralKey: hash(3) },
      },
      { type: 'chunk', index: 3, proof: [hash(4), hash(5)], ciphertext: new Uint8Array(272).fill(6) },
      { type: 'end', code: 'NOT_APPROVED' },
    ];
    for (const response of responses)
      assert.deepEqual(decodePayloadResponse(encodePayloadResponse(response)), response);
  });

  it('fits a full-size chunk with the longest proof in one network message', () => {
    const largest = encodePayloadResponse({
      type: 'chunk',
      index: LIMITS.maxPayloadChunks - 1,
      proof: Array.from({ length: MAX_PROOF_HASHES }, (_, i) => hash(i)),
      ciphertext: new Uint8Array(LIMITS.payloadChunkBytes + AEAD_TAG_BYTES),
    });
    assert.ok(largest.byteLength <= MAX_RESPONSE_BYTES);
    assert.ok(MAX_RESPONSE_BYTES <= LIMITS.maxMessageBytes);
    assert.equal(decodePayloadResponse(largest).type, 'chunk');
  });

  it('refuses unknown fields, unknown kinds and unknown end codes', () => {
    rejects(
      () => decodePayloadRequest(encodeCanonical({ type: 'request', transferId, fromChunk: 0, name: 'x' })),
      'SCHEMA_INVALID',
    );
    rejects(() => decodePayloadResponse(encodeCanonical({ type: 'gossip', transferId })), 'SCHEMA_INVALID');
    rejects(() => decodePayloadResponse(encodeCanonical({ type: 'end', code: 'MAYBE' })), 'SCHEMA_INVALID');
    rejects(
      () => decodePayloadResponse(encodeCanonical({ type: 'request', transferId, fromChunk: 0 })),
      'SCHEMA_INVALID',
    );
  });

  it('refuses a wrong-length transfer id or proof hash, and a proof or chunk over the limits', () => {
    rejects(
      () =>
        decodePayloadRequest(
          encodeCanonical({ type: 'request', transferId: hash(1).subarray(1), fromChunk: 0 }),
        ),
      'SCHEMA_INVALID',
    );
    const chunk = { type: 'chunk', index: 0, proof: [hash(1)], ciphertext: new Uint8Array(20) };
    rejects(
      () => decodePayloadResponse(encodeCanonical({ ...chunk, proof: [new Uint8Array(31)] })),
      'SCHEMA_INVALID',
    );
    rejects(
      () =>
        decodePayloadResponse(
          encodeCanonical({ ...chunk, proof: Array.from({ length: MAX_PROOF_HASHES + 1 }, () => hash(1)) }),
        ),
      'SCHEMA_INVALID',
    );
    rejects(
      () =>
        decodePayloadResponse(
          encodeCanonical({
            ...chunk,
            ciphertext: new Uint8Array(LIMITS.payloadChunkBytes + AEAD_TAG_BYTES + 1),
          }),
        ),
      'SCHEMA_INVALID',
    );
    rejects(() => decodePayloadResponse(encodeCanonical({ ...chunk, index: -1 })), 'SCHEMA_INVALID');
  });

  it('refuses non-canonical bytes and oversized frames before decoding them', () => {
    const canonical = encodePayloadRequest({ transferId, fromChunk: 1 });
    // The same map with a 16-bit length head instead of the shortest form.
    const longHead = Uint8Array.from([0xb9, 0x00, 0x03, ...canonical.subarray(1)]);
    rejects(() => decodePayloadRequest(longHead), 'CBOR_NON_CANONICAL');
    rejects(() => decodePayloadRequest(new Uint8Array(200)), 'CBOR_TOO_LARGE');
    rejects(() => decodePayloadResponse(new Uint8Array(MAX_RESPONSE_BYTES + 1)), 'CBOR_TOO_LARGE');
    rejects(() => decodePayloadResponse(Uint8Array.of(0xff)), 'CBOR_MALFORMED');
  });

  it('lays out a chunk frame in place with exactly the bytes of the general encoding', () => {
    // Heads change width at 24, 256 and 65536: cover each side for the index, the proof length
    // and the ciphertext length.
    const indexes = fc.constantFrom(0, 23, 24, 255, 256, 65_535, LIMITS.maxPayloadChunks - 1);
    const ciphertextBytes = fc.constantFrom(
      0,
      1,
      23,
      24,
      255,
      256,
      65_535,
      65_536,
      LIMITS.payloadChunkBytes + AEAD_TAG_BYTES,
    );
    fc.assert(
      fc.property(
        indexes,
        fc.integer({ min: 0, max: MAX_PROOF_HASHES }),
        ciphertextBytes,
        fc.integer(),
        (index, proofLength, size, seed) => {
          const proof = Array.from({ length: proofLength }, (_, i) => hash((seed + i) & 0xff));
          const ciphertext = new Uint8Array(size).map((_, i) => (seed + i * 7) & 0xff);
          const laidOut = layoutChunkFrame(index, proof, size);
          assert.equal(laidOut.ciphertext.byteLength, size);
          laidOut.ciphertext.set(ciphertext);
          const message = encodePayloadResponse({ type: 'chunk', index, proof, ciphertext });
          assert.deepEqual(laidOut.frame, encodeFrame(message));
          assert.deepEqual(laidOut.frame.subarray(laidOut.messageOffset), message);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('refuses to lay out a chunk frame the schema would refuse', () => {
    const tooLong = LIMITS.payloadChunkBytes + AEAD_TAG_BYTES + 1;
    assert.throws(() => layoutChunkFrame(0, [], tooLong));
    assert.throws(() => layoutChunkFrame(LIMITS.maxPayloadChunks, [], 10));
    assert.throws(() => layoutChunkFrame(0, [new Uint8Array(31)], 10));
    assert.throws(() =>
      layoutChunkFrame(
        0,
        Array.from({ length: MAX_PROOF_HASHES + 1 }, () => hash(1)),
        10,
      ),
    );
  });
});
