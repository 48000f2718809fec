// Ed25519 (RFC 8032) signatures. There is exactly one `verifySignature` in bayledger and every
// node uses it, so every node accepts exactly the same set of signatures. It runs on node:crypto
// (OpenSSL), which verifies about 14x faster than pure JS here; KeyObjects are cached because
// rebuilding one halves the rate. @noble/curves cross-checks this in the tests.
import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { concatBytes, toHex } from '../bytes.js';
import { fail } from '../errors.js';

export const PUBLIC_KEY_BYTES = 32;
export const SECRET_SEED_BYTES = 32;
export const SIGNATURE_BYTES = 64;

// The DER prefix that wraps a raw 32-byte seed as PKCS#8 (RFC 8410).
const PKCS8_PREFIX = Uint8Array.from(Buffer.from('302e020100300506032b657004220420', 'hex'));

/** Bound on cached public KeyObjects; the cache is cleared when full (signers are tens to thousands). */
const MAX_CACHED_PUBLIC_KEYS = 50_000;
const publicKeyCache = new Map<string, KeyObject | null>();

function publicKeyObject(publicKey: Uint8Array): KeyObject | null {
  const cacheKey = toHex(publicKey);
  const cached = publicKeyCache.get(cacheKey);
  if (cached !== undefined) return cached;
  let keyObject: KeyObject | null;
  try {
    // Small-order keys (the identity and the other 7 torsion points, in any encoding) admit
    // signatures that verify for every message under OpenSSL (R = identity, S = 0). Nobody holds
    // such a key honestly, so refuse it outright; checked once per key thanks to the cache.
    if (isSmallOrderEncoding(publicKey)) throw new Error('small-order public key');
    // Imported as a JWK (RFC 8037 section 2), not as SPKI DER: both hand OpenSSL the same raw 32
    // bytes, but the DER path goes through OpenSSL 3's decoder lookup and measured 86 us per key
    // here against 9 us for the JWK, and most consents bring a patient key never seen before.
    keyObject = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') },
      format: 'jwk',
    });
  } catch {
    keyObject = null; // not a valid curve point: every signature under it is invalid
  }
  if (publicKeyCache.size >= MAX_CACHED_PUBLIC_KEYS) publicKeyCache.clear();
  publicKeyCache.set(cacheKey, keyObject);
  return keyObject;
}

// Every encoding of a small-order point of edwards25519, sign bit masked (the blocklist libsodium
// uses in crypto_sign_verify): the identity, the point of order 2, the two of order 4 and the
// four of order 8 (two y values, each with either sign), and the non-canonical y = p + 1 and
// y = p encodings of the identity and of an order-4 point. Comparing bytes is ~100x cheaper
// than decompressing the point, and a new patient key arrives with most consents.
const SMALL_ORDER_ENCODINGS: readonly Uint8Array[] = [
  `00${'00'.repeat(31)}`,
  `01${'00'.repeat(31)}`,
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  `ec${'ff'.repeat(30)}7f`,
  `ed${'ff'.repeat(30)}7f`,
  `ee${'ff'.repeat(30)}7f`,
].map((hex) => Uint8Array.from(Buffer.from(hex, 'hex')));

function isSmallOrderEncoding(publicKey: Uint8Array): boolean {
  for (const encoding of SMALL_ORDER_ENCODINGS) {
    let same = (publicKey[31]! & 0x7f) === encoding[31];
    for (let i = 0; same && i < 31; i++) same = publicKey[i] === encoding[i];
    if (same) return true;
  }
  return false;
}

/** The one signature check used everywhere. Never throws for bad input: it returns false. */
export function verifySignature(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.byteLength !== PUBLIC_KEY_BYTES || signature.byteLength !== SIGNATURE_BYTES) return false;
  const keyObject = publicKeyObject(publicKey);
  if (keyObject === null) return false;
  try {
    return verify(null, message, keyObject, signature);
  } catch {
    return false;
  }
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
