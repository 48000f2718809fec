// Verifies every check of a packed batch with the one `verifySignature` (src/core/crypto/ed25519.ts)
// and returns the result bitmap. Runs inside the pool's workers; tests also run it directly.
import { verifySignature } from '../../core/crypto/ed25519.js';
import { createBitmap, setVerified } from './bitmap.js';
import { readPackedBatch } from './packed-batch.js';

export function verifyPacked(packed: ArrayBuffer): Uint8Array {
  const { checkCount, offsets, data } = readPackedBatch(packed);
  const bitmap = createBitmap(checkCount);
  for (let index = 0; index < checkCount; index++) {
    const base = 3 * index;
    const publicKey = data.subarray(offsets[base]!, offsets[base + 1]!);
    const signature = data.subarray(offsets[base + 1]!, offsets[base + 2]!);
    const message = data.subarray(offsets[base + 2]!, offsets[base + 3]!);
    if (verifySignature(publicKey, message, signature)) setVerified(bitmap, index);
  }
  return bitmap;
}
