// Every Ed25519 check a committed block needs, as data, so that a pipeline can run them elsewhere
// (chain verify hands them to the verify pool's worker threads) while the block is checked and
// applied here: each transaction signature over its domain-separated body (crypto/domain.ts) and
// each certificate precommit over its vote body (consensus/signing.ts). A transaction's signers
// all sign one message, so it is built once per transaction.
import type { Validator } from '../config/genesis.js';
import { voteSigningBytes } from '../consensus/signing.js';
import { signingMessage } from '../crypto/domain.js';
import type { SignatureCheck } from '../records/verify.js';
import type { CheckedTx } from './block-tx.js';
import type { CommitCertificate } from './certificate.js';

/** The signature checks of checked transactions, in order (every signer of each). */
export function txSignatureChecks(checked: readonly CheckedTx[], chainId: string): SignatureCheck[] {
  const checks: SignatureCheck[] = [];
  for (const { tx, bodyBytes } of checked) {
    const message = signingMessage(tx.kind, chainId, bodyBytes);
    for (const entry of tx.sigs) checks.push({ publicKey: entry.signer, message, signature: entry.sig });
  }
  return checks;
}

/**
 * The precommit checks of a certificate's signatures by known validators; a signature by anyone
 * else is left out (verifyCertificate refuses it on its own).
 */
export function certificateSignatureChecks(
  certificate: CommitCertificate,
  validators: readonly Validator[],
  chainId: string,
): SignatureCheck[] {
  const keys = new Map(validators.map((validator) => [validator.id, validator.publicKey]));
  const message = signingMessage(
    'consensus.precommit',
    chainId,
    voteSigningBytes(certificate.height, certificate.round, certificate.blockHash),
  );
  const checks: SignatureCheck[] = [];
  for (const entry of certificate.signatures) {
    const publicKey = keys.get(entry.validator);
    if (publicKey !== undefined) checks.push({ publicKey, message, signature: entry.signature });
  }
  return checks;
}
