// Signature checks behind a result cache shared by the simulated nodes of one scenario. The cache
// key holds every signed field plus the key and the signature, so a hit returns exactly what
// verifyVoteSignature / verifyProposalSignature would; it only saves re-verifying one broadcast
// message at every node (ten nodes would otherwise check each vote ten times).
import { toHex } from '../../src/core/bytes.js';
import { defaultVerifier } from '../../src/core/consensus/machine.js';
import type { SignatureVerifier } from '../../src/core/consensus/types.js';

export interface CountingVerifier extends SignatureVerifier {
  /** Real signature verifications performed (cache misses). */
  readonly verified: () => number;
}

export function cachingVerifier(): CountingVerifier {
  const results = new Map<string, boolean>();
  let verified = 0;
  const cached = (key: string, check: () => boolean): boolean => {
    const known = results.get(key);
    if (known !== undefined) return known;
    verified++;
    const result = check();
    results.set(key, result);
    return result;
  };
  return {
    verifyVote(publicKey, chainId, vote) {
      const hash = vote.blockHash === null ? 'nil' : toHex(vote.blockHash);
      const key = `v/${toHex(publicKey)}/${chainId}/${vote.type}/${vote.height}/${vote.round}/${hash}/${toHex(vote.signature)}`;
      return cached(key, () => defaultVerifier.verifyVote(publicKey, chainId, vote));
    },
    verifyProposal(publicKey, chainId, proposal) {
      const key = `p/${toHex(publicKey)}/${chainId}/${proposal.height}/${proposal.round}/${proposal.validRound}/${toHex(proposal.blockHash)}/${toHex(proposal.signature)}`;
      return cached(key, () => defaultVerifier.verifyProposal(publicKey, chainId, proposal));
    },
    verified: () => verified,
  };
}
