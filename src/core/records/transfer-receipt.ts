// transfer.receipt (design section 1 step 5): the recipient reports whether the payload it
// received matched the declared commitment. Signed by the recipient's node key.
import { bool, object, optional, type Schema } from '../codec/schema.js';
import { fail } from '../errors.js';
import { digestSchema, idSchema, nonceSchema, reasonCodeSchema, refine } from './fields.js';

/** The reason an accepting receipt carries. */
export const RECEIPT_OK = 'OK';

export type TransferReceiptBody = {
  transferId: Uint8Array;
  /** Organisation id of the recipient; it must be the transfer's declared recipient. */
  recipient: string;
  /** RFC 9162 root the recipient computed over the ciphertext chunks it received. */
  payloadRoot: Uint8Array;
  accepted: boolean;
  /** 'OK' when accepted, otherwise a code naming why the recipient refused the payload. */
  reason: string;
  /** Optional 16 bytes that make a retry a new transaction (see "Retries" in fields.ts). */
  nonce?: Uint8Array;
};

export const transferReceiptBodySchema: Schema<TransferReceiptBody> = refine(
  object({
    transferId: digestSchema,
    recipient: idSchema,
    payloadRoot: digestSchema,
    accepted: bool,
    reason: reasonCodeSchema,
    nonce: optional(nonceSchema),
  }),
  (body, path) => {
    // One meaning, one encoding: 'OK' exactly when accepted.
    if (body.accepted !== (body.reason === RECEIPT_OK)) {
      fail('SCHEMA_INVALID', `reason must be ${RECEIPT_OK} exactly when accepted`, `${path}.reason`);
    }
  },
);
