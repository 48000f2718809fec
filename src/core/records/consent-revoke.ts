// consent.revoke (design section 1 step 1): signed by the patient alone. It takes effect from the
// block that records it; the time comes from that block, never from the body, so a patient cannot
// backdate a revocation and a hospital cannot postdate one.
import { object, type Schema } from '../codec/schema.js';
import { digestSchema, publicKeySchema } from './fields.js';

export type ConsentRevokeBody = {
  /** SHA-256 of the canonical consent.grant body (objectIdOf the grant). */
  consentId: Uint8Array;
  /** The patient's public key; it must be the consent's patient and sign the revocation. */
  patient: Uint8Array;
};

export const consentRevokeBodySchema: Schema<ConsentRevokeBody> = object({
  consentId: digestSchema,
  patient: publicKeySchema,
});
