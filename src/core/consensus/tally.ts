// Vote tallies of one round. Each validator counts once per vote type: its first validly signed
// vote is counted, a second identical one is a duplicate, a second different one is equivocation
// (evidence, never counted). So a round holds at most 2n votes whatever Byzantine validators send.
import { toHex } from '../bytes.js';
import type { Vote, VoteType } from './messages.js';
import { NIL_KEY, type ReceivedProposal, type RoundState } from './state.js';

export function voteKey(blockHash: Uint8Array | null): string {
  return blockHash === null ? NIL_KEY : toHex(blockHash);
}

export function votesOf(round: RoundState, type: VoteType): ReadonlyMap<string, Vote> {
  return type === 'prevote' ? round.prevotes : round.precommits;
}

/** Votes of this type for the block with this key (or NIL_KEY). */
export function countFor(round: RoundState, type: VoteType, key: string): number {
  const counts = type === 'prevote' ? round.prevoteCounts : round.precommitCounts;
  return counts.get(key) ?? 0;
}

/** Votes of this type for anything ("2f + 1 ⟨PREVOTE, h_p, round_p, ∗⟩"). */
export function countAny(round: RoundState, type: VoteType): number {
  return votesOf(round, type).size;
}

function withSender(round: RoundState, validator: string): ReadonlySet<string> {
  if (round.senders.has(validator)) return round.senders;
  const senders = new Set(round.senders);
  senders.add(validator);
  return senders;
}

/** Adds a verified vote whose validator has no vote of this type in this round yet. */
export function addVote(round: RoundState, vote: Vote): RoundState {
  const key = voteKey(vote.blockHash);
  const votes = new Map(votesOf(round, vote.type));
  votes.set(vote.validator, vote);
  const counts = new Map(vote.type === 'prevote' ? round.prevoteCounts : round.precommitCounts);
  counts.set(key, (counts.get(key) ?? 0) + 1);
  const senders = withSender(round, vote.validator);
  const messageCount = round.messageCount + 1;
  return vote.type === 'prevote'
    ? { ...round, prevotes: votes, prevoteCounts: counts, senders, messageCount }
    : { ...round, precommits: votes, precommitCounts: counts, senders, messageCount };
}

/** Adds a verified proposal from proposer(h, r). */
export function addProposal(round: RoundState, received: ReceivedProposal): RoundState {
  return {
    ...round,
    proposals: [...round.proposals, received],
    senders: withSender(round, received.proposal.proposer),
    messageCount: round.messageCount + 1,
  };
}
