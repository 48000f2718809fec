// Field schemas shared by every record kind (design section 4). Each one is chosen so that no
// field can carry a personal identifier or clinical content: identifiers are restricted patterns
// (no spaces, so no names or sentences), digests and keys have exact byte lengths, times are
// integer seconds, and reasons are codes. Free text does not exist on the ledger.
import { bytes, identifier, type Schema, text, uint } from '../codec/schema.js';
import { PUBLIC_KEY_BYTES } from '../crypto/ed25519.js';
import { HASH_BYTES } from '../crypto/hash.js';
import { X25519_KEY_BYTES } from '../crypto/x25519.js';
import { fail } from '../errors.js';
import { LIMITS } from '../limits.js';

/** Random bytes in grant and declaration bodies, so the same content can be recorded twice. */
export const NONCE_BYTES = 16;

// Retries: revoke, assess and receipt bodies may carry an optional nonce. Ed25519 signing
// is deterministic, so without one a resubmitted body is the very same transaction (same txId),
// which the ledger refuses as already committed. A revocation recorded as CONSENT_NOT_FOUND
// because it overtook its grant, or a receipt recorded as TRANSFER_NOT_APPROVED because it came
// early, could then never be sent again. Clients retry such a refused record with a fresh nonce.

/** 9999-12-31T23:59:59Z: the largest time in seconds any record may name. */
export const MAX_TIME_SECONDS = 253_402_300_799;

/** Organisation, category, purpose, route and document-type ids ('hku-szh', 'imaging-study'). */
export const idSchema: Schema<string> = identifier(LIMITS.maxIdentifierChars);

/** Ed25519 public key; for patients it is their only identity on the ledger (a pseudonym). */
export const publicKeySchema: Schema<Uint8Array> = bytes(PUBLIC_KEY_BYTES);

/** SHA-256 digest or any 32-byte id (consentId, transferId, Merkle root). */
export const digestSchema: Schema<Uint8Array> = bytes(HASH_BYTES);

export const nonceSchema: Schema<Uint8Array> = bytes(NONCE_BYTES);

export const x25519KeySchema: Schema<Uint8Array> = bytes(X25519_KEY_BYTES);

export const secondsSchema: Schema<number> = uint(MAX_TIME_SECONDS);

/** Reason codes are upper-case constants ('OK', 'CHUNK_DIGEST_MISMATCH'), never sentences. */
export const REASON_CODE_PATTERN = /^[A-Z][A-Z0-9_]*$/;
export const reasonCodeSchema: Schema<string> = text(
  LIMITS.maxIdentifierChars,
  REASON_CODE_PATTERN,
  'reason code: upper-case letters, digits, _',
);

/**
 * A legal-route filing reference is an administrative number of the hospital's filing (for
 * example 'GBA-SC-2026-000123'): letters, digits and . _ : / - only, so it cannot hold a sentence.
 */
export const FILING_REFERENCE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/-]*$/;
export const filingReferenceSchema: Schema<string> = text(
  LIMITS.maxReferenceChars,
  FILING_REFERENCE_PATTERN,
  'filing reference: letters, digits, . _ : / -',
);

/** The literal `true` (a hospital's attestation that it verified the patient's identity). */
export const trueSchema: Schema<true> = {
  description: 'true',
  parse(value, path) {
    if (value !== true) fail('SCHEMA_INVALID', 'expected true', path);
    return true;
  },
};

/** Any CBOR map; the envelope's body is checked afterwards by the schema of its kind. */
export const mapSchema: Schema<Record<string, unknown>> = {
  description: 'map',
  parse(value, path) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) {
      fail('SCHEMA_INVALID', 'expected a map', path);
    }
    return value as Record<string, unknown>;
  },
};

/** Adds a cross-field rule to a schema; `check` throws (via `fail`) naming the field. */
export function refine<T>(inner: Schema<T>, check: (value: T, path: string) => void): Schema<T> {
  return {
    description: inner.description,
    parse(value, path, inPlace) {
      const parsed = inner.parse(value, path, inPlace);
      check(parsed, path);
      return parsed;
    },
  };
}

/** A list of text ids without repeats: one meaning has one encoding, and counts stay honest. */
export function distinct(inner: Schema<string[]>): Schema<string[]> {
  return refine(inner, (values, path) => {
    const seen = new Set<string>();
    for (let i = 0; i < values.length; i++) {
      if (seen.has(values[i]!)) fail('SCHEMA_INVALID', `repeated value ${values[i]}`, `${path}[${i}]`);
      seen.add(values[i]!);
    }
  });
}
