// libp2p identities come from the organisations' Ed25519 node keys (design section 8): the
// node's libp2p private key is derived from its node key seed, and every allowed peer's id from
// the public key in the genesis file, so a connection is only ever authenticated (by Noise)
// against keys the network's genesis names.
import { generateKeyPairFromSeed, publicKeyFromRaw } from '@libp2p/crypto/keys';
import type { Ed25519PrivateKey, PeerId } from '@libp2p/interface';
import { peerIdFromPrivateKey, peerIdFromPublicKey } from '@libp2p/peer-id';
import { PUBLIC_KEY_BYTES, SECRET_SEED_BYTES } from '../../core/crypto/ed25519.js';
import { errorMessage, fail } from '../../core/errors.js';

export async function libp2pKeyFromSeed(seed: Uint8Array): Promise<Ed25519PrivateKey> {
  if (seed.byteLength !== SECRET_SEED_BYTES)
    fail('KEY_INVALID', `a node key seed has ${SECRET_SEED_BYTES} bytes`);
  return generateKeyPairFromSeed('Ed25519', seed);
}

export async function peerIdFromSeed(seed: Uint8Array): Promise<PeerId> {
  return peerIdFromPrivateKey(await libp2pKeyFromSeed(seed));
}

export function peerIdFromNodeKey(publicKey: Uint8Array, where: string): PeerId {
  if (publicKey.byteLength !== PUBLIC_KEY_BYTES) {
    fail('KEY_INVALID', `an Ed25519 public key has ${PUBLIC_KEY_BYTES} bytes`, where);
  }
  try {
    return peerIdFromPublicKey(publicKeyFromRaw(publicKey));
  } catch (error) {
    const reason = errorMessage(error);
    return fail('KEY_INVALID', `not an Ed25519 public key (${reason})`, where);
  }
}
