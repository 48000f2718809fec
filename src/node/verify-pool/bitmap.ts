// Verification results as a bitmap: bit i (least significant bit first within each byte) is set
// when check i of the batch verified. One bit per check keeps the reply from a worker tiny, and a
// byte-per-check array would cost eight times the transfer for no gain.
import { assert } from '../../core/errors.js';

export function bitmapBytes(checkCount: number): number {
  return Math.ceil(checkCount / 8);
}

export function createBitmap(checkCount: number): Uint8Array {
  return new Uint8Array(bitmapBytes(checkCount));
}

export function setVerified(bitmap: Uint8Array, index: number): void {
  assert(index >= 0 && index >> 3 < bitmap.byteLength, `bit ${index} is outside the bitmap`);
  bitmap[index >> 3]! |= 1 << (index & 7);
}

/** True when check `index` of the batch verified. */
export function isVerified(bitmap: Uint8Array, index: number): boolean {
  assert(index >= 0 && index >> 3 < bitmap.byteLength, `bit ${index} is outside the bitmap`);
  return (bitmap[index >> 3]! & (1 << (index & 7))) !== 0;
}

/** Number of checks among the first `checkCount` that verified. */
export function countVerified(bitmap: Uint8Array, checkCount: number): number {
  let verified = 0;
  for (let index = 0; index < checkCount; index++) if (isVerified(bitmap, index)) verified++;
  return verified;
}

/** True when every one of the first `checkCount` checks verified (the common case for a block). */
export function allVerified(bitmap: Uint8Array, checkCount: number): boolean {
  return countVerified(bitmap, checkCount) === checkCount;
}

/** Sets in `target`, from bit `firstIndex` on, the bits set among the first `checkCount` of `source`. */
export function mergeBits(
  target: Uint8Array,
  firstIndex: number,
  source: Uint8Array,
  checkCount: number,
): void {
  // A batch that starts on a byte boundary is merged byte by byte. OR, not overwrite: its last byte
  // may be shared with the next batch, whose answer can arrive first. Bits of `source` past
  // `checkCount` are zero, because only `setVerified` writes them.
  if ((firstIndex & 7) === 0) {
    const firstByte = firstIndex >> 3;
    const sourceBytes = bitmapBytes(checkCount);
    assert(firstByte + sourceBytes <= target.byteLength, 'bits copied past the end of the bitmap');
    for (let byte = 0; byte < sourceBytes; byte++) target[firstByte + byte]! |= source[byte]!;
    return;
  }
  for (let index = 0; index < checkCount; index++) {
    if (isVerified(source, index)) setVerified(target, firstIndex + index);
  }
}
