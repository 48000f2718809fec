// Batches: one frame carries a canonical CBOR array of byte strings, each one message. Small
// messages that queue up while the stream is busy travel together, so the per-frame costs (a
// yamux header, a Noise AEAD seal, a syscall) are paid once per batch, not once per message.
//
// This one shape is encoded and decoded here by hand rather than through the cbor-x codec,
// because a batch may carry a whole block proposal and cbor-x is slow on large byte strings
// (measured here, on a loaded machine: a 4 MiB byte string takes encodeCanonical 60 to 120 ms and
// decodeCanonical 70 to 110 ms; this file takes 13 to 45 ms to encode and under 1 ms to decode,
// since it returns views instead of copies).
// The bytes are exactly RFC 8949 section 4.2.1 deterministic encoding (shortest heads, definite
// lengths), and the unit tests check them against encodeCanonical/decodeCanonical.
import { fail } from '../../core/errors.js';
import { LIMITS } from '../../core/limits.js';
import { varintLength } from './framing.js';

const MAJOR_BYTES = 2;
const MAJOR_ARRAY = 4;

/** Bytes of a CBOR head for a length (RFC 8949 section 3: 1, 2, 3, 5 or 9 bytes). */
export function cborHeadBytes(length: number): number {
  if (length < 24) return 1;
  if (length < 0x100) return 2;
  if (length < 0x10000) return 3;
  if (length < 0x100000000) return 5;
  return 9;
}

/** What one message adds to a batch's encoding: its byte-string head and its bytes. */
export function batchEntryBytes(message: Uint8Array): number {
  return cborHeadBytes(message.byteLength) + message.byteLength;
}

/**
 * The largest frame a receiver accepts on a batched protocol: a batch of small messages up to
 * LIMITS.maxBatchBytes, or one message up to the protocol's limit, plus the array and byte-string
 * heads and the frame's own length prefix.
 */
export function maxBatchFrameBytes(maxMessageBytes: number): number {
  const body = Math.max(maxMessageBytes, LIMITS.maxBatchBytes) + 2 * 9;
  return body + varintLength(body);
}

function writeHead(target: Uint8Array, offset: number, major: number, length: number): number {
  const type = major << 5;
  if (length < 24) {
    target[offset] = type | length;
    return offset + 1;
  }
  if (length < 0x100) {
    target[offset] = type | 24;
    target[offset + 1] = length;
    return offset + 2;
  }
  if (length < 0x10000) {
    target[offset] = type | 25;
    target[offset + 1] = length >>> 8;
    target[offset + 2] = length & 0xff;
    return offset + 3;
  }
  target[offset] = type | 26;
  new DataView(target.buffer, target.byteOffset).setUint32(offset + 1, length);
  return offset + 5;
}

export function encodeBatch(messages: readonly Uint8Array[]): Uint8Array {
  let total = cborHeadBytes(messages.length);
  for (const message of messages) total += batchEntryBytes(message);
  const out = new Uint8Array(total);
  let offset = writeHead(out, 0, MAJOR_ARRAY, messages.length);
  for (const message of messages) {
    offset = writeHead(out, offset, MAJOR_BYTES, message.byteLength);
    out.set(message, offset);
    offset += message.byteLength;
  }
  return out;
}

interface Head {
  readonly major: number;
  readonly length: number;
  readonly next: number;
}

/** Reads one head in deterministic form: definite length, shortest encoding, below 2^32. */
function readHead(bytes: Uint8Array, offset: number, where: string): Head {
  if (offset >= bytes.byteLength) fail('CBOR_MALFORMED', 'input ends inside an item', where);
  const initial = bytes[offset]!;
  const major = initial >> 5;
  const info = initial & 0x1f;
  if (info < 24) return { major, length: info, next: offset + 1 };
  const size = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : 0;
  if (size === 0) {
    if (info === 31 && major >= MAJOR_BYTES && major <= 5) {
      fail('CBOR_NON_CANONICAL', 'indefinite length is not deterministic encoding', where);
    }
    if (info === 27) fail('CBOR_TOO_LARGE', 'length of 2^32 or more', where);
    fail('CBOR_MALFORMED', `reserved additional information ${info}`, where);
  }
  if (offset + 1 + size > bytes.byteLength) fail('CBOR_MALFORMED', 'input ends inside a head', where);
  let length = 0;
  for (let i = 1; i <= size; i++) length = length * 0x100 + bytes[offset + i]!;
  const shortest = size === 1 ? length >= 24 : size === 2 ? length >= 0x100 : length >= 0x10000;
  if (!shortest) fail('CBOR_NON_CANONICAL', 'a length head is longer than needed (RFC 8949 4.2.1)', where);
  return { major, length, next: offset + 1 + size };
}

/**
 * Decodes a batch with validation: deterministic CBOR, an array of 1 to LIMITS.maxBatchMessages
 * byte strings, each within the protocol's message limit, nothing after it. Returns views into
 * `frame` (no copies).
 */
export function decodeBatch(frame: Uint8Array, maxMessageBytes: number): Uint8Array[] {
  if (frame.byteLength > maxBatchFrameBytes(maxMessageBytes)) {
    fail('CBOR_TOO_LARGE', `batch of ${frame.byteLength} bytes exceeds the frame limit`, 'batch');
  }
  const array = readHead(frame, 0, 'batch');
  if (array.major !== MAJOR_ARRAY || array.length === 0 || array.length > LIMITS.maxBatchMessages) {
    fail('SCHEMA_INVALID', `a batch is an array of 1 to ${LIMITS.maxBatchMessages} byte strings`, 'batch');
  }
  const messages = new Array<Uint8Array>(array.length);
  let offset = array.next;
  for (let i = 0; i < array.length; i++) {
    const where = `batch[${i}]`;
    const head = readHead(frame, offset, where);
    if (head.major !== MAJOR_BYTES) fail('SCHEMA_INVALID', 'expected a byte string', where);
    if (head.length > maxMessageBytes) {
      fail('MESSAGE_TOO_LARGE', `message of ${head.length} bytes exceeds ${maxMessageBytes}`, where);
    }
    if (head.next + head.length > frame.byteLength)
      fail('CBOR_MALFORMED', 'input ends inside a byte string', where);
    messages[i] = frame.subarray(head.next, head.next + head.length);
    offset = head.next + head.length;
  }
  if (offset !== frame.byteLength) fail('CBOR_TRAILING_BYTES', 'bytes after the batch', 'batch');
  return messages;
}
