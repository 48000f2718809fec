// SHA-256 through node:crypto (OpenSSL): deterministic, and about 3x faster than pure JS here.
import { createHash, hash } from 'node:crypto';

export const HASH_BYTES = 32;

/** SHA-256 of the concatenation of `parts`. The one-part case uses the faster one-shot API. */
export function sha256(...parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) {
    const digest = hash('sha256', parts[0]!, 'buffer') as unknown as Buffer;
    return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
  }
  const hasher = createHash('sha256');
  for (const part of parts) hasher.update(part);
  const digest = hasher.digest();
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
}
