// transfer.declare (design section 1 step 2): the sender hospital declares one transfer under a
// consent. Only sizes, digests and salted commitments enter the ledger, never payload bytes or
// raw DICOM UIDs (design section 4). Signed by the sender hospital's node key.
import { array, object, optional, type Schema, uint } from '../codec/schema.js';
import { LIMITS } from '../limits.js';
import { digestSchema, filingReferenceSchema, idSchema, nonceSchema, x25519KeySchema } from './fields.js';

export type TransferItem = {
  /** Category id from the policy catalogue. */
  category: string;
  /** Document type id, e.g. 'dicom-study' or 'pdf-report'. */
  documentType: string;
  /** Plaintext size in bytes. */
  sizeBytes: number;
  /** SHA-256 of the plaintext document. */
  digest: Uint8Array;
  /** SHA-256(salt || DICOM UID), computed by the hospital; the raw UID never appears. */
  itemCommitment: Uint8Array;
};

export type TransferPayload = {
  /** RFC 9162 root over the SHA-256 hashes of the ciphertext chunks (design section 9). */
  root: Uint8Array;
  /** Total ciphertext bytes. */
  bytes: number;
  chunkBytes: number;
  chunkCount: number;
  /** Sender's ephemeral X25519 public key for this transfer's key agreement. */
  ephemeralKey: Uint8Array;
};

export type TransferDeclareBody = {
  /** SHA-256 of the canonical consent.grant body. */
  consentId: Uint8Array;
  sender: string;
  recipient: string;
  /** The legal route; the filing reference may be absent when the route does not require one. */
  route: { id: string; filingReference?: string };
  items: TransferItem[];
  payload: TransferPayload;
  /** 16 random bytes, so two identical transfers get two transfer ids. */
  nonce: Uint8Array;
};

const transferItemSchema: Schema<TransferItem> = object({
  category: idSchema,
  documentType: idSchema,
  sizeBytes: uint(LIMITS.maxPayloadBytes),
  digest: digestSchema,
  itemCommitment: digestSchema,
});

const transferPayloadSchema: Schema<TransferPayload> = object({
  root: digestSchema,
  bytes: uint(LIMITS.maxPayloadBytes, 1),
  // The same bounds the receiving node enforces (src/node/transfer/layout.ts), so a declaration
  // the ledger accepts can always be delivered.
  chunkBytes: uint(LIMITS.payloadChunkBytes, 1),
  chunkCount: uint(LIMITS.maxPayloadChunks, 1),
  ephemeralKey: x25519KeySchema,
});

export const transferDeclareBodySchema: Schema<TransferDeclareBody> = object({
  consentId: digestSchema,
  sender: idSchema,
  recipient: idSchema,
  route: object({ id: idSchema, filingReference: optional(filingReferenceSchema) }),
  items: array(transferItemSchema, LIMITS.maxItemsPerTransfer, 1),
  payload: transferPayloadSchema,
  nonce: nonceSchema,
});
