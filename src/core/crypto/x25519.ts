// X25519 (RFC 7748) key agreement for the payload channel (design section 9), on node:crypto
// (OpenSSL), like Ed25519 (ed25519.ts). @noble/curves was the implementation until 2026-11-27: its
// first agreement in a process took 37-40 ms to compile (2 ms once warm), and a platform node's
// first one was on the path from a transfer's approval to its first chunk; OpenSSL takes about
// 0.1 ms cold. The tests cross-check both implementations and RFC 7748's vectors.
// The core never makes randomness: the secret comes from the shell.
import { createPrivateKey, createPublicKey, diffieHellman, type KeyObject } from 'node:crypto';
import { concatBytes } from '../bytes.js';
import { assert, errorMessage, fail } from '../errors.js';

export const X25519_KEY_BYTES = 32;

export interface X25519KeyPair {
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

// The DER prefix that wraps a raw 32-byte X25519 secret as PKCS#8 (RFC 8410 section 7).
const PKCS8_PREFIX = Uint8Array.from(Buffer.from('302e020100300506032b656e04220420', 'hex'));

function privateKeyObject(secretKey: Uint8Array): KeyObject {
  if (secretKey.byteLength !== X25519_KEY_BYTES)
    fail('KEY_INVALID', `an X25519 secret has ${X25519_KEY_BYTES} bytes`);
  // PKCS#8 DER, not a JWK: a private JWK must carry the public half, which is what we compute.
  const der = Buffer.from(concatBytes(PKCS8_PREFIX, secretKey));
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } finally {
    der.fill(0);
  }
}

export function x25519KeyPairFromSecret(secretKey: Uint8Array): X25519KeyPair {
  const jwk = createPublicKey(privateKeyObject(secretKey)).export({ format: 'jwk' });
  // RFC 8037 section 2: an OKP public JWK always carries x; an empty key would pass silently.
  assert(typeof jwk.x === 'string', 'OpenSSL exported an X25519 public key without x');
  return {
    secretKey: Uint8Array.from(secretKey),
    publicKey: Uint8Array.from(Buffer.from(jwk.x, 'base64url')),
  };
}

/**
 * The raw shared secret; callers must pass it through a KDF before use as a key. A low-order peer
 * key gives the all-zero secret, which RFC 7748 section 6.1 allows refusing: OpenSSL does, and so
 * do we (KEY_INVALID), whoever the peer is.
 */
export function x25519SharedSecret(secretKey: Uint8Array, peerPublicKey: Uint8Array): Uint8Array {
  if (peerPublicKey.byteLength !== X25519_KEY_BYTES)
    fail('KEY_INVALID', `an X25519 public key has ${X25519_KEY_BYTES} bytes`);
  const privateKey = privateKeyObject(secretKey);
  let shared: Buffer;
  try {
    const publicKey = createPublicKey({
      key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(peerPublicKey).toString('base64url') },
      format: 'jwk',
    });
    shared = diffieHellman({ privateKey, publicKey });
  } catch (error) {
    return fail('KEY_INVALID', `X25519 agreement failed: ${errorMessage(error)}`);
  }
  if (shared.every((byte) => byte === 0)) fail('KEY_INVALID', 'X25519 agreement gave the all-zero secret');
  return Uint8Array.from(shared);
}
