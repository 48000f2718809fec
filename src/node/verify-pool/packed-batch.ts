// A batch of signature checks packed into one ArrayBuffer, so it crosses to a worker thread as a
// transferable (moved, not copied, and no structured clone of hundreds of small Uint8Arrays).
//
// Layout, all native-endian (both ends are threads of one process):
//   uint32 checkCount
//   uint32 offsets[3 * checkCount + 1]  byte offsets into the data area; check i has
//          publicKey = data[offsets[3i],     offsets[3i + 1])
//          signature = data[offsets[3i + 1], offsets[3i + 2])
//          message   = data[offsets[3i + 2], offsets[3i + 3])
//   data   the bytes, back to back
// Lengths travel as they are (not as fixed 32/64-byte slots), so a malformed key or signature
// reaches `verifySignature` unchanged and is refused there, exactly as on the main thread.
import { assert, fail } from '../../core/errors.js';
import { LIMITS } from '../../core/limits.js';
import type { SignatureCheck } from './signature-check.js';

const WORD_BYTES = 4;

export interface PackedBatch {
  readonly checkCount: number;
  readonly offsets: Uint32Array;
  readonly data: Uint8Array;
}

function headerBytes(checkCount: number): number {
  return WORD_BYTES * (1 + 3 * checkCount + 1);
}

/** Bytes `packBatch` needs for one check (its share of the offset table included). */
export function packedCheckBytes(check: SignatureCheck): number {
  return 3 * WORD_BYTES + check.publicKey.byteLength + check.signature.byteLength + check.message.byteLength;
}

/** Packs checks into one transferable buffer. Refuses batches over the LIMITS bounds. */
export function packBatch(checks: readonly SignatureCheck[]): ArrayBuffer {
  assert(
    checks.length <= LIMITS.maxVerifyBatchItems,
    `a batch holds at most ${LIMITS.maxVerifyBatchItems} checks`,
  );
  let dataBytes = 0;
  for (const check of checks) {
    dataBytes += check.publicKey.byteLength + check.signature.byteLength + check.message.byteLength;
  }
  const totalBytes = headerBytes(checks.length) + dataBytes;
  if (totalBytes > LIMITS.maxVerifyBatchBytes) {
    fail('MESSAGE_TOO_LARGE', `a packed batch of ${totalBytes} bytes exceeds ${LIMITS.maxVerifyBatchBytes}`);
  }
  const buffer = new ArrayBuffer(totalBytes);
  const header = new Uint32Array(buffer, 0, 1 + 3 * checks.length + 1);
  const data = new Uint8Array(buffer, headerBytes(checks.length));
  header[0] = checks.length;
  let offset = 0;
  let word = 1;
  for (const check of checks) {
    for (const part of [check.publicKey, check.signature, check.message]) {
      header[word++] = offset;
      data.set(part, offset);
      offset += part.byteLength;
    }
  }
  header[word] = offset;
  return buffer;
}

/** Reads the layout back. The buffer comes from `packBatch` in our own process: a bad one is a bug. */
export function readPackedBatch(buffer: ArrayBuffer): PackedBatch {
  assert(buffer.byteLength >= headerBytes(0), 'packed batch shorter than its header');
  const checkCount = new Uint32Array(buffer, 0, 1)[0]!;
  assert(headerBytes(checkCount) <= buffer.byteLength, 'packed batch shorter than its offset table');
  const offsets = new Uint32Array(buffer, WORD_BYTES, 3 * checkCount + 1);
  const data = new Uint8Array(buffer, headerBytes(checkCount));
  assert(offsets[3 * checkCount] === data.byteLength, 'packed batch offsets do not end at the data end');
  return { checkCount, offsets, data };
}
