// The signed transaction envelope (design section 4): { kind, body, sigs: [{ signer, sig }] }.
// Every signer signs the domain-separated canonical bytes of the body (see crypto/domain.ts):
// "bayledger/v1/<kind>/<chainId>" || 0x00 || canonical(body).
//
// Malleability: `sigs` must be sorted by signer bytes with no repeats, so one signed body has one
// envelope. Ids of ledger objects (consentId, transferId) are hashes of the canonical BODY, never
// of the envelope, so nobody can re-wrap a body to make a "new" object; txId (SHA-256 of the
// canonical envelope, design section 3) identifies the transaction itself.
import type { CborMap } from '../codec/canonical.js';

export const TX_KINDS = [
  'consent.grant',
  'consent.revoke',
  'transfer.declare',
  'transfer.assess',
  'transfer.receipt',
  'policy.update',
] as const;
export type TxKind = (typeof TX_KINDS)[number];

export interface TxSignature {
  /** Ed25519 public key of the signer (32 bytes). For patients this key is their pseudonym. */
  readonly signer: Uint8Array;
  /** Ed25519 signature (64 bytes) over the domain-separated canonical body. */
  readonly sig: Uint8Array;
}

export interface TxEnvelope<Body extends CborMap = CborMap> {
  readonly kind: TxKind;
  readonly body: Body;
  readonly sigs: readonly TxSignature[];
}
