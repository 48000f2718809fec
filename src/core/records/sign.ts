// Signing transactions. Each signer signs "bayledger/v1/<kind>/<chainId>" || 0x00 || canonical
// body (crypto/domain.ts); signatures are kept sorted by signer bytes with no repeats, so one
// signed body has exactly one envelope (envelope.ts).
import { compareBytes } from '../bytes.js';
import { signInDomain } from '../crypto/domain.js';
import type { Ed25519Signer } from '../crypto/ed25519.js';
import { fail } from '../errors.js';
import { bodyAsCbor, parseTxBody, type TxBodies } from './bodies.js';
import { bodyBytesOf } from './codec.js';
import type { TxEnvelope, TxKind, TxSignature } from './envelope.js';

function sortSignatures(sigs: readonly TxSignature[]): TxSignature[] {
  return [...sigs].sort((a, b) => compareBytes(a.signer, b.signer));
}

/** Signs a body with every signer. The body is schema-checked first: we never sign garbage. */
export function signTx<K extends TxKind>(
  kind: K,
  body: TxBodies[K],
  signers: readonly Ed25519Signer[],
  chainId: string,
): TxEnvelope {
  const checked = parseTxBody({ kind, body: bodyAsCbor(body), sigs: [] });
  const bodyBytes = bodyBytesOf({ body: bodyAsCbor(checked.body) });
  const sigs = signers.map((signer) => ({
    signer: signer.publicKey,
    sig: signInDomain(signer, kind, chainId, bodyBytes),
  }));
  const sorted = sortSignatures(sigs);
  for (let i = 1; i < sorted.length; i++) {
    if (compareBytes(sorted[i - 1]!.signer, sorted[i]!.signer) === 0) {
      fail('USAGE', 'the same key cannot sign one transaction twice', 'signers');
    }
  }
  return { kind, body: bodyAsCbor(checked.body), sigs: sorted };
}

/**
 * Adds (or replaces) one signer's signature, keeping the order: a hospital countersigning a
 * patient-signed grant. Ed25519 is deterministic, so re-signing yields the same envelope.
 */
export function addSignature(envelope: TxEnvelope, signer: Ed25519Signer, chainId: string): TxEnvelope {
  const checked = parseTxBody(envelope);
  const sig = signInDomain(signer, checked.kind, chainId, bodyBytesOf(envelope));
  const others = envelope.sigs.filter((entry) => compareBytes(entry.signer, signer.publicKey) !== 0);
  return {
    kind: envelope.kind,
    body: envelope.body,
    sigs: sortSignatures([...others, { signer: signer.publicKey, sig }]),
  };
}
