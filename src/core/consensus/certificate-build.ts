// A commit certificate from the precommits a node holds (design section 6): every precommit for
// the decided block hash at the deciding round, sorted by the signer's position in the genesis
// validator list, as verifyCertificate (src/core/ledger/certificate-verify.ts) requires.
import type { CommitCertificate } from '../ledger/certificate.js';
import type { ConsensusSetup, RoundState } from './state.js';
import { voteKey, votesFor } from './tally.js';

export function buildCertificate(
  setup: ConsensusSetup,
  roundState: RoundState,
  height: number,
  round: number,
  blockHash: Uint8Array,
): CommitCertificate {
  const votes = [...votesFor(roundState, 'precommit', voteKey(blockHash))];
  votes.sort((a, b) => setup.validatorIndex.get(a.validator)! - setup.validatorIndex.get(b.validator)!);
  return {
    height,
    round,
    blockHash,
    signatures: votes.map((vote) => ({ validator: vote.validator, signature: vote.signature })),
  };
}
