// Wire and storage form of commit certificates: canonical CBOR through a closed schema. The
// decoder checks shape and sizes only; whether the signatures form a quorum is
// certificate-verify.ts, which needs the validator set.
import { type CborMap, decodeCanonical, encodeCanonical } from '../codec/canonical.js';
import { array, bytes, identifier, object, type Schema, uint } from '../codec/schema.js';
import { SIGNATURE_BYTES } from '../crypto/ed25519.js';
import { HASH_BYTES } from '../crypto/hash.js';
import { LIMITS } from '../limits.js';
import type { CommitCertificate } from './certificate.js';

export const CERTIFICATE_SCHEMA: Schema<CommitCertificate> = object({
  height: uint(),
  round: uint(LIMITS.maxRoundsPerHeight),
  blockHash: bytes(HASH_BYTES),
  signatures: array(
    object({ validator: identifier(LIMITS.maxIdentifierChars), signature: bytes(SIGNATURE_BYTES) }),
    LIMITS.maxValidators,
  ),
});

export function certificateToCbor(certificate: CommitCertificate): CborMap {
  return {
    height: certificate.height,
    round: certificate.round,
    blockHash: certificate.blockHash,
    signatures: certificate.signatures.map((entry) => ({
      validator: entry.validator,
      signature: entry.signature,
    })),
  };
}

export function encodeCertificate(certificate: CommitCertificate): Uint8Array {
  return encodeCanonical(certificateToCbor(certificate));
}

export function certificateFromCbor(value: unknown, where = 'certificate'): CommitCertificate {
  return CERTIFICATE_SCHEMA.parse(value, where);
}

export function decodeCertificate(encoded: Uint8Array, where = 'certificate'): CommitCertificate {
  return certificateFromCbor(decodeCanonical(encoded, LIMITS.maxCertificateBytes), where);
}
