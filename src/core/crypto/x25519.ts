// X25519 (RFC 7748) key agreement for the payload channel (design section 9), on @noble/curves.
// The core never makes randomness: the secret comes from the shell.
import { x25519 } from '@noble/curves/ed25519.js';
import { fail } from '../errors.js';

export const X25519_KEY_BYTES = 32;

export interface X25519KeyPair {
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

export function x25519KeyPairFromSecret(secretKey: Uint8Array): X25519KeyPair {
  if (secretKey.byteLength !== X25519_KEY_BYTES)
    fail('KEY_INVALID', `an X25519 secret has ${X25519_KEY_BYTES} bytes`);
  return { secretKey: Uint8Array.from(secretKey), publicKey: x25519.getPublicKey(secretKey) };
}

/** The raw shared secret; callers must pass it through a KDF before use as a key. */
export function x25519SharedSecret(secretKey: Uint8Array, peerPublicKey: Uint8Array): Uint8Array {
  if (peerPublicKey.byteLength !== X25519_KEY_BYTES)
    fail('KEY_INVALID', `an X25519 public key has ${X25519_KEY_BYTES} bytes`);
  try {
    return x25519.getSharedSecret(secretKey, peerPublicKey);
  } catch (error) {
    return fail('KEY_INVALID', `X25519 agreement failed: ${(error as Error).message}`);
  }
}
