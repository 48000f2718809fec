// The payload commitment: what a transfer.declare record's `payload` field carries (its type
// TransferPayload in src/core/records/transfer-declare.ts has exactly these fields), so the node
// can hand the declared value straight to the receiver and the sealed value straight to the
// declaration.
import { bytes, type Infer, object, uint } from '../../core/codec/schema.js';
import { HASH_BYTES } from '../../core/crypto/hash.js';
import { X25519_KEY_BYTES } from '../../core/crypto/x25519.js';
import { LIMITS } from '../../core/limits.js';

export const payloadCommitmentSchema = object({
  /** RFC 9162 root over the leaf hashes of the sealed chunks. */
  root: bytes(HASH_BYTES),
  /** Total sealed (ciphertext plus tag) bytes of all chunks. */
  bytes: uint(LIMITS.maxPayloadBytes, 1),
  /** Plaintext bytes per chunk. */
  chunkBytes: uint(LIMITS.payloadChunkBytes, 1),
  chunkCount: uint(LIMITS.maxPayloadChunks, 1),
  /** The sender's ephemeral X25519 public key for this transfer. */
  ephemeralKey: bytes(X25519_KEY_BYTES),
});

export type PayloadCommitment = Infer<typeof payloadCommitmentSchema>;
