// Why a payload was not delivered: the reason codes a receiver reports, and that a rejected
// transfer.receipt carries on the ledger (upper-case codes, REASON_CODE_PATTERN in
// src/core/records/fields.ts). A permanent reason means the committed payload itself is bad, so
// no retry can succeed and the node should submit a rejected receipt; any other reason leaves the
// verified prefix in place and a later request resumes after it.
import type { PayloadEndCode } from './protocol.js';

export const PERMANENT_PAYLOAD_FAILURES = [
  /** The declared (bytes, chunkBytes, chunkCount) do not describe one chunk layout. */
  'PAYLOAD_LAYOUT_INVALID',
  /** The declared ephemeral key is not a usable X25519 public key. */
  'PAYLOAD_KEY_INVALID',
  /** A chunk that matches the declared root does not authenticate under the agreed key. */
  'DECRYPT_FAILED',
  /** The decrypted container's manifest is malformed or does not add up to the container size. */
  'MANIFEST_INVALID',
  /** The container's items differ in number or size from the declared items. */
  'ITEM_SIZE_MISMATCH',
  /** An item's plaintext SHA-256 differs from the declared digest. */
  'DIGEST_MISMATCH',
] as const;

export const RETRYABLE_PAYLOAD_FAILURES = [
  /** The sender announced another commitment, or the stored leaves no longer rebuild the root. */
  'PAYLOAD_ROOT_MISMATCH',
  /** A chunk arrived out of order (each stream runs from the requested chunk upward). */
  'CHUNK_OUT_OF_ORDER',
  'CHUNK_OUT_OF_RANGE',
  'CHUNK_SIZE_INVALID',
  /** A chunk's RFC 9162 inclusion proof does not lead to the declared root. */
  'CHUNK_PROOF_INVALID',
  /** A frame that is not a valid protocol message, or a message out of protocol order. */
  'MESSAGE_INVALID',
  /** The stream ended (or broke) before the last chunk. */
  'PAYLOAD_TRUNCATED',
  /**
   * The recipient's own disk lacks room for the rest beside its ledger's reserve
   * (transfer-service/disk-room.ts): not started, asked again at the next attempt.
   */
  'NO_DISK_ROOM',
] as const;

type SenderRefusal = Exclude<PayloadEndCode, 'COMPLETE'>;

export type PayloadFailure =
  | (typeof PERMANENT_PAYLOAD_FAILURES)[number]
  | (typeof RETRYABLE_PAYLOAD_FAILURES)[number]
  | SenderRefusal;

export function isPermanentFailure(reason: PayloadFailure): boolean {
  return (PERMANENT_PAYLOAD_FAILURES as readonly string[]).includes(reason);
}
