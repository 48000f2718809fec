// Ed25519 (RFC 8032) signatures. There is exactly one `verifySignature` in bayledger and every
// node uses it, so every node accepts exactly the same set of signatures. It runs on libsodium
// (sodium-native; docs/ARCHITECTURE.md decision 45), which verifies about twice as fast as
// OpenSSL's Ed25519 here (60-73 against 124-154 us) and 20-30x faster than @noble/curves (1.3-1.5
// ms per verification); signing stays
// on node:crypto (OpenSSL), whose signatures are the same bytes (RFC 8032 signing is deterministic).
// @noble/curves cross-checks both in the tests.
import { createPrivateKey, createPublicKey, type KeyObject, sign } from 'node:crypto';
import sodium from 'sodium-native';
import { concatBytes, toHex } from '../bytes.js';
import { fail } from '../errors.js';

export const PUBLIC_KEY_BYTES = 32;
export const SECRET_SEED_BYTES = 32;
export const SIGNATURE_BYTES = 64;

// The DER prefix that wraps a raw 32-byte seed as PKCS#8 (RFC 8410).
const PKCS8_PREFIX = Uint8Array.from(Buffer.from('302e020100300506032b657004220420', 'hex'));

/**
 * The one signature check used everywhere. Never throws for bad input: it returns false.
 *
 * The acceptance rule is libsodium's `crypto_sign_verify_detached` (RFC 8032 section 5.1.7,
 * cofactorless, with its stricter checks): S must be below the group order L (no malleable
 * signatures); the public key must be a canonical encoding of a point that is not of small order
 * (the identity and the other torsion points admit signatures that verify for every message);
 * R must not be of small order; and the recomputed R must equal the signature's R byte for byte.
 * Every honestly made signature passes; only crafted ones differ from OpenSSL's rule, which
 * accepts a small-order R.
 */
export function verifySignature(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  // sodium-native throws on a key or signature of another length; those are simply invalid here.
  if (publicKey.byteLength !== PUBLIC_KEY_BYTES || signature.byteLength !== SIGNATURE_BYTES) return false;
  return sodium.crypto_sign_verify_detached(signature, message, publicKey);
}

/** A signing key held in memory. The seed never leaves this object except through `exportSeed`. */
export class Ed25519Signer {
  readonly publicKey: Uint8Array;
  readonly #seed: Uint8Array;
  readonly #keyObject: KeyObject;

  constructor(seed: Uint8Array) {
    if (seed.byteLength !== SECRET_SEED_BYTES)
      fail('KEY_INVALID', `an Ed25519 seed has ${SECRET_SEED_BYTES} bytes`);
    this.#seed = Uint8Array.from(seed);
    this.#keyObject = createPrivateKey({
      key: Buffer.from(concatBytes(PKCS8_PREFIX, seed)),
      format: 'der',
      type: 'pkcs8',
    });
    const spki = createPublicKey(this.#keyObject).export({ format: 'der', type: 'spki' });
    this.publicKey = Uint8Array.from(spki.subarray(spki.byteLength - PUBLIC_KEY_BYTES));
  }

  sign(message: Uint8Array): Uint8Array {
    return new Uint8Array(sign(null, message, this.#keyObject));
  }

  /** For writing the key file only (src/node); never log the result. */
  exportSeed(): Uint8Array {
    return Uint8Array.from(this.#seed);
  }

  /** Keeps the seed out of logs and JSON dumps. */
  toJSON(): { publicKey: string } {
    return { publicKey: toHex(this.publicKey) };
  }
}
