// Chunk layout of one payload (design section 9). The plaintext container is cut into chunks of
// `chunkBytes` (the last one shorter, never empty); each chunk is sealed with a 16-byte AEAD tag.
// The declaration carries { bytes, chunkBytes, chunkCount } (transfer.declare `payload`), so both
// ends derive every chunk's size and file offset from those three numbers alone, and a receiver
// can refuse a chunk of the wrong size before hashing it.
import { assert } from '../../core/errors.js';
import { LIMITS } from '../../core/limits.js';

/** AES-256-GCM tag (NIST SP 800-38D, full 128-bit tag). */
export const AEAD_TAG_BYTES = 16;

export interface PayloadLayout {
  /** Plaintext bytes per chunk; every chunk but the last is exactly this long. */
  readonly chunkBytes: number;
  readonly chunkCount: number;
  /** Plaintext bytes of the whole container (manifest head plus item bytes). */
  readonly containerBytes: number;
  /** Ciphertext bytes of all chunks together: what the declaration calls `payload.bytes`. */
  readonly payloadBytes: number;
}

export type LayoutVerdict = { ok: true; layout: PayloadLayout } | { ok: false; reason: string };

function isCount(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

/** Whether `chunkBytes` is a chunk size a layout may use: 1 to LIMITS.payloadChunkBytes. */
export function isChunkBytesValid(chunkBytes: number): boolean {
  return isCount(chunkBytes) && chunkBytes >= 1 && chunkBytes <= LIMITS.payloadChunkBytes;
}

/** The sender's side: the layout of a container of `containerBytes` plaintext bytes. */
export function layoutForContainer(
  containerBytes: number,
  chunkBytes: number = LIMITS.payloadChunkBytes,
): LayoutVerdict {
  if (!isChunkBytesValid(chunkBytes)) {
    return { ok: false, reason: `chunk size ${chunkBytes} is not from 1 to ${LIMITS.payloadChunkBytes}` };
  }
  if (!isCount(containerBytes) || containerBytes < 1) {
    return { ok: false, reason: `container size ${containerBytes} is not a positive integer` };
  }
  const chunkCount = Math.ceil(containerBytes / chunkBytes);
  if (chunkCount > LIMITS.maxPayloadChunks) {
    return { ok: false, reason: `${chunkCount} chunks exceed the limit of ${LIMITS.maxPayloadChunks}` };
  }
  const payloadBytes = containerBytes + chunkCount * AEAD_TAG_BYTES;
  if (payloadBytes > LIMITS.maxPayloadBytes) {
    return { ok: false, reason: `payload of ${payloadBytes} bytes exceeds ${LIMITS.maxPayloadBytes}` };
  }
  return { ok: true, layout: { chunkBytes, chunkCount, containerBytes, payloadBytes } };
}

/**
 * The receiver's side: checks that a declared (bytes, chunkBytes, chunkCount) describes exactly
 * one layout, i.e. that chunkCount is ceil(containerBytes / chunkBytes) for the container size
 * the byte count implies, so no chunk can be empty and no byte can be left over.
 */
export function layoutForDeclared(
  payloadBytes: number,
  chunkBytes: number,
  chunkCount: number,
): LayoutVerdict {
  if (!isCount(payloadBytes) || !isCount(chunkCount)) {
    return { ok: false, reason: 'payload bytes and chunk count must be non-negative integers' };
  }
  const containerBytes = payloadBytes - chunkCount * AEAD_TAG_BYTES;
  const derived = layoutForContainer(containerBytes, chunkBytes);
  if (!derived.ok) return derived;
  if (derived.layout.chunkCount !== chunkCount) {
    return {
      ok: false,
      reason: `${payloadBytes} payload bytes in chunks of ${chunkBytes} make ${derived.layout.chunkCount} chunks, not ${chunkCount}`,
    };
  }
  return derived;
}

/**
 * Plaintext bytes of chunk `index` (the last chunk holds the remainder). An index outside the
 * layout is a bug of ours: peers' indexes are range-checked first (chunk-verifier.ts, sender.ts),
 * and past the last chunk this would give a size of zero or less that readers silently accept.
 */
export function chunkPlaintextBytes(layout: PayloadLayout, index: number): number {
  assert(
    Number.isSafeInteger(index) && index >= 0 && index < layout.chunkCount,
    `chunk ${index} is outside the layout's ${layout.chunkCount} chunks`,
  );
  const start = index * layout.chunkBytes;
  return Math.min(layout.chunkBytes, layout.containerBytes - start);
}

/** Sealed bytes of chunk `index`: its plaintext plus the AEAD tag. */
export function chunkSealedBytes(layout: PayloadLayout, index: number): number {
  return chunkPlaintextBytes(layout, index) + AEAD_TAG_BYTES;
}

/** Where sealed chunk `index` starts in a file of all sealed chunks back to back. */
export function chunkSealedOffset(layout: PayloadLayout, index: number): number {
  return index * (layout.chunkBytes + AEAD_TAG_BYTES);
}

/** Where chunk `index`'s plaintext starts in the container. */
export function chunkPlaintextOffset(layout: PayloadLayout, index: number): number {
  return index * layout.chunkBytes;
}
