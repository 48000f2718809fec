// Every Ed25519 check a committed block needs, as data, so that a pipeline can run them elsewhere
// (chain verify hands them to the verify pool's worker threads) while the block is checked and
// applied here: each transaction signature over its domain-separated body (crypto/domain.ts) and
// each certificate precommit over its vote body (consensus/signing.ts). A transaction's signers
// all sign one message, so it is built once per transaction.
import type { Validator } from '../config/genesis.js';
import { voteSigningBytes } from '../consensus/signing.js';
import { signingMessage } from '../crypto/domain.js';
import type { TxKind } from '../records/envelope.js';
import type { SignatureCheck } from '../records/verify.js';
import type { CheckedTx } from './block-tx.js';
import type { CommitCertificate } from './certificate.js';

const EMPTY = new Uint8Array(0);

/**
 * signingMessage(domain, chainId, bytes) is the domain prefix and a zero byte, then the bytes
 * (crypto/domain.ts); the prefix is computed once per domain by signingMessage itself.
 */
function messageBuilder(chainId: string): (domain: TxKind, bytes: Uint8Array) => Uint8Array {
  const prefixes = new Map<TxKind, Uint8Array>();
  return (domain, bytes) => {
    let prefix = prefixes.get(domain);
    if (prefix === undefined) {
      prefix = signingMessage(domain, chainId, EMPTY);
      prefixes.set(domain, prefix);
    }
    const message = new Uint8Array(prefix.byteLength + bytes.byteLength);
    message.set(prefix, 0);
    message.set(bytes, prefix.byteLength);
    return message;
  };
}

/** The signature checks of checked transactions, in order (every signer of each). */
export function txSignatureChecks(checked: readonly CheckedTx[], chainId: string): SignatureCheck[] {
  const checks: SignatureCheck[] = [];
  const messageOf = messageBuilder(chainId);
  for (const { tx, bodyBytes } of checked) {
    const message = messageOf(tx.kind, bodyBytes);
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
