// consent.revoke (design section 1 step 1): signed by the patient alone. It takes effect from the
// block that records it; the time comes from that block, never from the body, so a patient cannot
// backdate a revocation and a hospital cannot postdate one.
import { object, optional, type Schema } from '../codec/schema.js';
import { digestSchema, nonceSchema, publicKeySchema } from './fields.js';

export type ConsentRevokeBody = {
  /** SHA-256 of the canonical consent.grant body (objectIdOf the grant). */
  consentId: Uint8Array;
  /** The patient's public key; it must be the consent's patient and sign the revocation. */
  patient: Uint8Array;
  /** Optional 16 bytes that make a retry a new transaction (see "Retries" in fields.ts). */
  nonce?: Uint8Array;
};

export const consentRevokeBodySchema: Schema<ConsentRevokeBody> = object({
  consentId: digestSchema,
  patient: publicKeySchema,
  nonce: optional(nonceSchema),
});
