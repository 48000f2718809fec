// Checks a commit certificate (design section 6): more than 2/3 of the validators, each counted
// once, signed a precommit for (height, round, blockHash). Validators have equal voting power, so
// a quorum is the smallest count q with 3q > 2n, i.e. q = floor(2n/3) + 1 (Tendermint's 2f+1 when
// n = 3f+1).
import { bytesEqual } from '../bytes.js';
import type { Validator } from '../config/genesis.js';
import { verifyVoteSignature } from '../consensus/signing.js';
import type { CommitCertificate } from './certificate.js';

export function quorumSize(validatorCount: number): number {
  return Math.floor((2 * validatorCount) / 3) + 1;
}

/** f: how many of `validatorCount` validators may be faulty, the largest f with n >= 3f + 1. */
export function faultTolerance(validatorCount: number): number {
  return Math.floor((validatorCount - 1) / 3);
}

export type CertificateCheck = { ok: true; signers: string[] } | { ok: false; reason: string };

export function verifyCertificate(
  certificate: CommitCertificate,
  validators: readonly Validator[],
  chainId: string,
  expected: { height: number; blockHash: Uint8Array },
  options: {
    /**
     * Every signature was already verified with the same verifySignature (chain verify does it in
     * the verify pool); everything else is still checked here.
     */
    readonly signaturesVerified?: boolean;
  } = {},
): CertificateCheck {
  if (certificate.height !== expected.height) {
    return { ok: false, reason: `certificate is for height ${certificate.height}, not ${expected.height}` };
  }
  if (!bytesEqual(certificate.blockHash, expected.blockHash)) {
    return { ok: false, reason: 'certificate is for another block hash' };
  }
  const positions = new Map(validators.map((validator, index) => [validator.id, index]));
  let previousPosition = -1;
  const signers: string[] = [];
  for (const entry of certificate.signatures) {
    const position = positions.get(entry.validator);
    if (position === undefined) return { ok: false, reason: `signer ${entry.validator} is not a validator` };
    if (position <= previousPosition) {
      return { ok: false, reason: 'signatures not in validator order, or a validator repeated' };
    }
    previousPosition = position;
    const validator = validators[position]!;
    const valid =
      options.signaturesVerified === true ||
      verifyVoteSignature(
        validator.publicKey,
        chainId,
        'precommit',
        certificate.height,
        certificate.round,
        certificate.blockHash,
        entry.signature,
      );
    if (!valid) return { ok: false, reason: `invalid precommit signature from ${entry.validator}` };
    signers.push(entry.validator);
  }
  const quorum = quorumSize(validators.length);
  if (signers.length < quorum) {
    return {
      ok: false,
      reason: `${signers.length} signatures, a quorum is ${quorum} of ${validators.length}`,
    };
  }
  return { ok: true, signers };
}
