// Anyone can check a piece of evidence with the genesis file alone: both messages name the same
// validator, height and round (and vote type), differ in the block they name, and both signatures
// verify under that validator's genesis key in this network's signing domains (design section 3).
// A proposal must also come from proposer(h, r), the only validator whose proposals count.
import type { Validator } from '../config/genesis.js';
import {
  type EquivocationEvidence,
  isEquivocation,
  isProposalEquivocation,
  type ProposalEquivocation,
  type VoteEquivocation,
} from './evidence.js';
import { proposerOf } from './proposer.js';
import { verifyProposalSignature, verifyVoteSignature } from './signing.js';

export type EvidenceVerdict = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const OK: EvidenceVerdict = { ok: true };

function refused(reason: string): EvidenceVerdict {
  return { ok: false, reason };
}

/** OK when both messages' signatures verify; otherwise names the first one that does not. */
function bothSigned<M>(
  what: 'vote' | 'proposal',
  messages: readonly [M, M],
  verifies: (message: M) => boolean,
): EvidenceVerdict {
  const failing = messages.findIndex((message) => !verifies(message));
  if (failing === -1) return OK;
  return refused(`the ${failing === 0 ? 'first' : 'second'} ${what}'s signature does not verify`);
}

function verifyVotes(evidence: VoteEquivocation, publicKey: Uint8Array, chainId: string): EvidenceVerdict {
  const { voteA, voteB } = evidence;
  const summary = [evidence.validator, evidence.height, evidence.round, evidence.type];
  const ofA = [voteA.validator, voteA.height, voteA.round, voteA.type];
  if (summary.some((field, i) => field !== ofA[i]))
    return refused('the summary does not match the first vote');
  if (!isEquivocation(voteA, voteB)) return refused('the votes are not for one slot and two values');
  return bothSigned('vote', [voteA, voteB], ({ type, height, round, blockHash, signature }) =>
    verifyVoteSignature(publicKey, chainId, type, height, round, blockHash, signature),
  );
}

function verifyProposals(
  evidence: ProposalEquivocation,
  validators: readonly Validator[],
  publicKey: Uint8Array,
  chainId: string,
): EvidenceVerdict {
  const { proposalA, proposalB } = evidence;
  const summary = [evidence.validator, evidence.height, evidence.round];
  const ofA = [proposalA.proposer, proposalA.height, proposalA.round];
  if (summary.some((field, i) => field !== ofA[i]))
    return refused('the summary does not match the first proposal');
  if (!isProposalEquivocation(proposalA, proposalB))
    return refused('the proposals are not for one height and round and two blocks');
  if (proposerOf(validators, evidence.height, evidence.round).id !== evidence.validator)
    return refused(
      `${evidence.validator} is not the proposer of height ${evidence.height} round ${evidence.round}`,
    );
  return bothSigned(
    'proposal',
    [proposalA, proposalB],
    ({ height, round, validRound, blockHash, signature }) =>
      verifyProposalSignature(publicKey, chainId, height, round, validRound, blockHash, signature),
  );
}

/**
 * Re-checks evidence against the genesis validators (in proposer order) and chainId: it convicts
 * its validator only if both signed messages verify and conflict.
 */
export function verifyEvidence(
  evidence: EquivocationEvidence,
  validators: readonly Validator[],
  chainId: string,
): EvidenceVerdict {
  const validator = validators.find((candidate) => candidate.id === evidence.validator);
  if (validator === undefined) return refused(`${evidence.validator} is not a validator of this network`);
  return evidence.kind === 'vote'
    ? verifyVotes(evidence, validator.publicKey, chainId)
    : verifyProposals(evidence, validators, validator.publicKey, chainId);
}
