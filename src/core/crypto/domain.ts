// Domain separation (design section 3): a signature covers "bayledger/v1/<kind>/<chainId>", a
// zero byte, then the canonical CBOR bytes. A vote can therefore never be replayed as a
// transaction, nor a record of one network on another. The zero byte cannot occur in kind or
// chainId (both are identifiers), so the split between prefix and payload is unambiguous.
import { concatBytes, utf8 } from '../bytes.js';
import { IDENTIFIER_PATTERN } from '../codec/schema.js';
import { assert } from '../errors.js';
import { type Ed25519Signer, verifySignature } from './ed25519.js';

export const SIGNING_PREFIX = 'bayledger/v1/';

/** Every kind of thing bayledger signs. */
export type SigningDomain =
  | 'consent.grant'
  | 'consent.revoke'
  | 'transfer.declare'
  | 'transfer.assess'
  | 'transfer.receipt'
  | 'policy.update'
  | 'consensus.proposal'
  | 'consensus.prevote'
  | 'consensus.precommit'
  | 'api.request';

export function signingMessage(
  domain: SigningDomain,
  chainId: string,
  canonicalBytes: Uint8Array,
): Uint8Array {
  assert(IDENTIFIER_PATTERN.test(chainId), `chainId ${chainId} is not an identifier`);
  return concatBytes(utf8(`${SIGNING_PREFIX}${domain}/${chainId}`), new Uint8Array([0]), canonicalBytes);
}

export function signInDomain(
  signer: Ed25519Signer,
  domain: SigningDomain,
  chainId: string,
  canonicalBytes: Uint8Array,
): Uint8Array {
  return signer.sign(signingMessage(domain, chainId, canonicalBytes));
}

export function verifyInDomain(
  publicKey: Uint8Array,
  domain: SigningDomain,
  chainId: string,
  canonicalBytes: Uint8Array,
  signature: Uint8Array,
): boolean {
  return verifySignature(publicKey, signingMessage(domain, chainId, canonicalBytes), signature);
}
