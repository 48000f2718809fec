// Envelope bytes and ids (design sections 3 and 4). A transaction id is SHA-256 of the canonical
// signed envelope; an object id (consentId, transferId) is SHA-256 of the canonical body, so
// re-wrapping a body with other signatures cannot mint a new object.
import { decodeCanonical, encodeCanonical } from '../codec/canonical.js';
import { array, bytes, literal, object, parseInPlace } from '../codec/schema.js';
import { PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from '../crypto/ed25519.js';
import { sha256 } from '../crypto/hash.js';
import { fail } from '../errors.js';
import { LIMITS } from '../limits.js';
import { bodyAsCbor, parseTxBody } from './bodies.js';
import { TX_KINDS, type TxEnvelope } from './envelope.js';
import { mapSchema } from './fields.js';

export const envelopeSchema = object({
  kind: literal(...TX_KINDS),
  body: mapSchema,
  sigs: array(
    object({ signer: bytes(PUBLIC_KEY_BYTES), sig: bytes(SIGNATURE_BYTES) }),
    LIMITS.maxSignaturesPerTx,
    1,
  ),
});

/**
 * Decodes one transaction: canonical CBOR of at most LIMITS.maxTxBytes (RFC 8949 section 4.2.1,
 * re-encoding must reproduce the input), then the envelope schema, then the body schema of its
 * kind. Throws BayledgerError naming the field. Signatures are checked by verifyTx, not here.
 */
export function decodeTxEnvelope(envelopeBytes: Uint8Array): TxEnvelope {
  const value = decodeCanonical(envelopeBytes, LIMITS.maxTxBytes);
  // The value was decoded just above and goes nowhere else: it is checked in place, not copied.
  const envelope = parseInPlace(envelopeSchema, value, '$');
  const typed = parseTxBody(
    { kind: envelope.kind, body: envelope.body as TxEnvelope['body'], sigs: envelope.sigs },
    true,
  );
  return { kind: typed.kind, body: bodyAsCbor(typed.body), sigs: typed.sigs };
}

/** Canonical bytes of an envelope; refuses one larger than LIMITS.maxTxBytes. */
export function encodeTxEnvelope(envelope: TxEnvelope): Uint8Array {
  const encoded = encodeCanonical({ kind: envelope.kind, body: envelope.body, sigs: envelope.sigs });
  if (encoded.byteLength > LIMITS.maxTxBytes) {
    fail('RECORD_INVALID', `envelope of ${encoded.byteLength} bytes exceeds ${LIMITS.maxTxBytes}`, '$');
  }
  return encoded;
}

/** SHA-256 of the canonical envelope bytes (design section 3). */
export function txIdOf(envelopeBytes: Uint8Array): Uint8Array {
  return sha256(envelopeBytes);
}

/** Canonical bytes of the body: what every signer signs (after the domain prefix). */
export function bodyBytesOf(envelope: Pick<TxEnvelope, 'body'>): Uint8Array {
  return encodeCanonical(envelope.body);
}

/** SHA-256 of the canonical body: the consentId of a grant, the transferId of a declaration. */
export function objectIdOf(envelope: Pick<TxEnvelope, 'body'>): Uint8Array {
  return sha256(bodyBytesOf(envelope));
}
