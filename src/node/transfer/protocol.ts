// The payload stream protocol (design section 9): pure encode/decode of its messages, canonical
// CBOR (RFC 8949 section 4.2.1) with closed schemas and size limits, transport-agnostic (the node
// carries each message as one length-prefixed frame on its libp2p protocol).
//
//   recipient -> sender: request { transferId, fromChunk }
//   sender -> recipient: header { transferId, payload }    the commitment the sender will stream
//                        chunk  { index, proof, ciphertext } sealed chunk + RFC 9162 inclusion proof
//                        ...
//                        end    { code }                    COMPLETE, or why nothing (more) comes
import { bytesEqual } from '../../core/bytes.js';
import { decodeCanonical, encodeCanonical } from '../../core/codec/canonical.js';
import { encodeHead } from '../../core/codec/fast-encode.js';
import { array, bytes, literal, object, type Schema, uint, union } from '../../core/codec/schema.js';
import { HASH_BYTES } from '../../core/crypto/hash.js';
import { assert } from '../../core/errors.js';
import { LIMITS } from '../../core/limits.js';
import { varintLength, writeVarint } from '../net/framing.js';
import { type PayloadCommitment, payloadCommitmentSchema } from './commitment.js';
import { AEAD_TAG_BYTES } from './layout.js';

export const PAYLOAD_PROTOCOL = '/bayledger/payload/1.0.0';

/** Why a sender ends a stream. COMPLETE follows the last chunk; every other code means "no payload". */
export const PAYLOAD_END_CODES = [
  'COMPLETE',
  /** The transfer is not approved in a committed block with a valid certificate (yet, or ever). */
  'NOT_APPROVED',
  /** The requesting peer is not the transfer's declared recipient. */
  'NOT_RECIPIENT',
  /** The sender knows no such transfer. */
  'UNKNOWN_TRANSFER',
  /** The sender has no usable sealed payload for it (missing or failed its own read checks). */
  'PAYLOAD_UNAVAILABLE',
  /** The request could not be decoded or asks for a chunk past the end. */
  'BAD_REQUEST',
] as const;
export type PayloadEndCode = (typeof PAYLOAD_END_CODES)[number];

/** RFC 9162 inclusion proofs have at most ceil(log2(chunk count)) hashes. */
export const MAX_PROOF_HASHES = Math.ceil(Math.log2(LIMITS.maxPayloadChunks));

/** A request is two fields; a response at most one sealed chunk, its proof and CBOR heads. */
export const MAX_REQUEST_BYTES = 128;
export const MAX_RESPONSE_BYTES =
  LIMITS.payloadChunkBytes + AEAD_TAG_BYTES + MAX_PROOF_HASHES * (HASH_BYTES + 2) + 512;
assert(
  MAX_RESPONSE_BYTES <= LIMITS.maxMessageBytes,
  'a payload chunk message must fit in one network message',
);

const transferIdSchema = bytes(HASH_BYTES);

export interface PayloadRequest {
  readonly type: 'request';
  readonly transferId: Uint8Array;
  /** The first chunk the recipient still needs: 0, or where an interrupted transfer stopped. */
  readonly fromChunk: number;
}

export interface PayloadHeader {
  readonly type: 'header';
  readonly transferId: Uint8Array;
  readonly payload: PayloadCommitment;
}

export interface PayloadChunk {
  readonly type: 'chunk';
  readonly index: number;
  /** RFC 9162 2.1.3.1 PATH(index, D[chunkCount]), leaf to root. */
  readonly proof: Uint8Array[];
  /** The sealed chunk: AEAD ciphertext followed by its tag. */
  readonly ciphertext: Uint8Array;
}

export interface PayloadEnd {
  readonly type: 'end';
  readonly code: PayloadEndCode;
}

export type PayloadResponse = PayloadHeader | PayloadChunk | PayloadEnd;

const requestSchema: Schema<PayloadRequest> = object({
  type: literal('request'),
  transferId: transferIdSchema,
  fromChunk: uint(LIMITS.maxPayloadChunks),
});

const headerSchema: Schema<PayloadHeader> = object({
  type: literal('header'),
  transferId: transferIdSchema,
  payload: payloadCommitmentSchema,
});

const chunkSchema: Schema<PayloadChunk> = object({
  type: literal('chunk'),
  index: uint(LIMITS.maxPayloadChunks - 1),
  proof: array(bytes(HASH_BYTES), MAX_PROOF_HASHES),
  ciphertext: bytes(undefined, LIMITS.payloadChunkBytes + AEAD_TAG_BYTES),
});

const endSchema: Schema<PayloadEnd> = object({
  type: literal('end'),
  code: literal(...PAYLOAD_END_CODES),
});

const responseSchema = union<PayloadResponse>('type', {
  header: headerSchema,
  chunk: chunkSchema,
  end: endSchema,
});

export function encodePayloadRequest(request: Omit<PayloadRequest, 'type'>): Uint8Array {
  return encodeCanonical(requestSchema.parse({ type: 'request', ...request }, 'request'));
}

/** Decodes a request; throws a BayledgerError (CBOR_* or SCHEMA_INVALID) for anything else. */
export function decodePayloadRequest(frame: Uint8Array): PayloadRequest {
  return requestSchema.parse(decodeCanonical(frame, MAX_REQUEST_BYTES), 'request');
}

export function encodePayloadResponse(response: PayloadResponse): Uint8Array {
  const encoded = encodeCanonical(responseSchema.parse(response, 'response'));
  assert(encoded.byteLength <= MAX_RESPONSE_BYTES, `response of ${encoded.byteLength} bytes is too large`);
  return encoded;
}

/** Decodes a response; throws a BayledgerError (CBOR_* or SCHEMA_INVALID) for anything else. */
export function decodePayloadResponse(frame: Uint8Array): PayloadResponse {
  return responseSchema.parse(decodeCanonical(frame, MAX_RESPONSE_BYTES), 'response');
}

// --- chunk messages built in place -------------------------------------------------------------
//
// A chunk message is a megabyte of ciphertext behind a few dozen bytes of CBOR. Encoding it the
// general way copies the ciphertext twice (into the CBOR encoder's buffer, then into the frame)
// and allocates both; the sender instead lays out the whole length-prefixed frame once and reads
// the sealed chunk from disk straight into its tail. The bytes are exactly those of
// encodeFrame(encodePayloadResponse(chunk)) (unit-tested against it): the message is encoded by
// the same encoder with an empty ciphertext, and canonical CBOR (RFC 8949 section 4.2.1) orders
// map keys by their encoded bytes, shorter first, so "ciphertext" (the longest key) comes last
// and its value is the final byte, an empty byte string's head. That head is replaced by the
// real one and the ciphertext follows it.

/** RFC 8949 section 3.1: major type 2, a byte string. */
const MAJOR_BYTES = 2;
/** The end of a chunk message whose ciphertext is empty: its key, then an empty byte string. */
const EMPTY_CIPHERTEXT_TAIL = new Uint8Array([
  ...encodeCanonical('ciphertext'),
  ...encodeCanonical(new Uint8Array(0)),
]);

/** A chunk frame laid out around space for its ciphertext, which the caller fills in place. */
export interface ChunkFrame {
  /** The whole frame: varint length prefix, then the CBOR chunk message. */
  readonly frame: Uint8Array;
  /** Where the CBOR message starts in `frame` (after the length prefix). */
  readonly messageOffset: number;
  /** The frame's tail, the ciphertext field's bytes: fill exactly these. */
  readonly ciphertext: Uint8Array;
}

/**
 * Lays out the frame of chunk `index` with its proof; the sealed bytes go into `ciphertext`.
 * The chunk schema checks index and proof (encodePayloadResponse), so a frame built here always
 * decodes.
 */
export function layoutChunkFrame(
  index: number,
  proof: readonly Uint8Array[],
  ciphertextBytes: number,
): ChunkFrame {
  assert(
    Number.isSafeInteger(ciphertextBytes) &&
      ciphertextBytes >= 0 &&
      ciphertextBytes <= LIMITS.payloadChunkBytes + AEAD_TAG_BYTES,
    `a ciphertext of ${ciphertextBytes} bytes`,
  );
  const empty = encodePayloadResponse({
    type: 'chunk',
    index,
    proof: [...proof],
    ciphertext: new Uint8Array(0),
  });
  const headBytes = empty.byteLength - 1;
  assert(
    bytesEqual(empty.subarray(headBytes + 1 - EMPTY_CIPHERTEXT_TAIL.byteLength), EMPTY_CIPHERTEXT_TAIL),
    "the ciphertext is the chunk message's last field",
  );
  const ciphertextHead = encodeHead(MAJOR_BYTES, ciphertextBytes);
  const messageBytes = headBytes + ciphertextHead.byteLength + ciphertextBytes;
  assert(messageBytes <= MAX_RESPONSE_BYTES, `response of ${messageBytes} bytes is too large`);
  const messageOffset = varintLength(messageBytes);
  const frame = new Uint8Array(messageOffset + messageBytes);
  writeVarint(messageBytes, frame);
  frame.set(empty.subarray(0, headBytes), messageOffset);
  frame.set(ciphertextHead, messageOffset + headBytes);
  return { frame, messageOffset, ciphertext: frame.subarray(frame.byteLength - ciphertextBytes) };
}
