// The hospital's countersignature on a consent grant (design section 1 step 1, PIPL art. 29/39):
// the patient signs the grant on their own device (the CLI stands in for the phone app), the
// hospital node checks that the grant is one it may countersign, that the patient's signature is
// valid, and adds its own with `addSignature`. By signing, the hospital attests that it verified
// the patient's identity off-ledger (the body's `hospitalVerifiedIdentity: true`).
import { bytesEqual } from '../../core/bytes.js';
import { verifyInDomain } from '../../core/crypto/domain.js';
import type { Ed25519Signer } from '../../core/crypto/ed25519.js';
import { fail, isBayledgerError } from '../../core/errors.js';
import { bodyBytesOf, decodeTxEnvelope } from '../../core/records/codec.js';
import type { ConsentGrantBody } from '../../core/records/consent-grant.js';
import type { TxEnvelope } from '../../core/records/envelope.js';
import { addSignature } from '../../core/records/sign.js';

export interface Countersigner {
  /** This hospital's organisation id. */
  readonly org: string;
  readonly chainId: string;
  readonly signer: Ed25519Signer;
}

function decodeGrant(envelopeBytes: Uint8Array): TxEnvelope {
  try {
    return decodeTxEnvelope(envelopeBytes);
  } catch (error) {
    // The decoder's own code (CBOR_TRAILING_BYTES, SCHEMA_INVALID, ...), as POST /tx answers it:
    // bytes that are not CBOR are a malformed request (400), not an invalid record (422).
    if (isBayledgerError(error)) fail(error.code, `not a valid transaction: ${error.message}`);
    throw error;
  }
}

/**
 * Checks a patient-signed consent.grant and returns it with this hospital's signature added.
 * Refuses (RECORD_INVALID / SIGNATURE_INVALID) a grant of another kind, one naming another
 * submitting hospital, one this hospital is not allowed to send under, or one without a valid
 * patient signature.
 */
export function countersignGrant(envelopeBytes: Uint8Array, hospital: Countersigner): TxEnvelope {
  const envelope = decodeGrant(envelopeBytes);
  if (envelope.kind !== 'consent.grant')
    fail('RECORD_INVALID', `expected a consent.grant, got ${envelope.kind}`);
  const grant = envelope.body as unknown as ConsentGrantBody;
  if (grant.sender !== hospital.org) {
    fail(
      'RECORD_INVALID',
      `the grant names ${grant.sender} as submitting hospital, this node is ${hospital.org}`,
    );
  }
  if (!grant.allowedSenders.includes(hospital.org)) {
    fail('RECORD_INVALID', `the grant does not allow ${hospital.org} to send`);
  }
  const others = envelope.sigs.filter(
    (entry) =>
      !bytesEqual(entry.signer, grant.patient) && !bytesEqual(entry.signer, hospital.signer.publicKey),
  );
  if (others.length > 0) fail('RECORD_INVALID', 'a grant is signed by the patient and the hospital only');
  const patientSignature = envelope.sigs.find((entry) => bytesEqual(entry.signer, grant.patient));
  if (patientSignature === undefined) fail('SIGNATURE_INVALID', 'the patient has not signed this grant');
  const valid = verifyInDomain(
    grant.patient,
    'consent.grant',
    hospital.chainId,
    bodyBytesOf(envelope),
    patientSignature.sig,
  );
  if (!valid) fail('SIGNATURE_INVALID', 'the patient signature does not verify for this network');
  return addSignature(envelope, hospital.signer, hospital.chainId);
}
