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

/** The domain prefix of each transaction kind for one chain, computed once per kind. */
function prefixCache(chainId: string): (domain: TxKind) => Uint8Array {
  const prefixes = new Map<TxKind, Uint8Array>();
  return (domain) => {
    let prefix = prefixes.get(domain);
    if (prefix === undefined) {
      prefix = signingMessage(domain, chainId, EMPTY);
      prefixes.set(domain, prefix);
    }
    return prefix;
  };
}

/**
 * The signature checks of checked transactions, in order (every signer of each). Each message is
 * signingMessage(kind, chainId, bodyBytes): the domain prefix and a zero byte (crypto/domain.ts;
 * signingMessage of no bytes, computed once per kind by prefixCache), then the body bytes. All of a block's
 * messages are written into one buffer and each check holds a view of its part: a separate
 * Uint8Array per message (about 300 bytes) took an off-heap allocation per transaction.
 */
export function txSignatureChecks(checked: readonly CheckedTx[], chainId: string): SignatureCheck[] {
  const prefixOf = prefixCache(chainId);
  let totalBytes = 0;
  for (const { tx, bodyBytes } of checked) totalBytes += prefixOf(tx.kind).byteLength + bodyBytes.byteLength;
  const messages = new Uint8Array(totalBytes);
  const checks: SignatureCheck[] = [];
  let offset = 0;
  for (const { tx, bodyBytes } of checked) {
    const prefix = prefixOf(tx.kind);
    const start = offset;
    messages.set(prefix, offset);
    offset += prefix.byteLength;
    messages.set(bodyBytes, offset);
    offset += bodyBytes.byteLength;
    const message = messages.subarray(start, offset);
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
