// Vote tallies of one round (see VoteTally in state.ts). A vote a validator already signed is a
// duplicate and costs nothing; a second value from one validator is equivocation: it is counted
// for its own value (the paper counts messages) and reported once as evidence.
import { toHex } from '../bytes.js';
import { LIMITS } from '../limits.js';
import type { Vote, VoteType } from './messages.js';
import type { ReceivedProposal, RoundState, VoteTally } from './state.js';
import { NIL_KEY } from './state.js';

/** Values one validator may have counted per round and type; more only come from a Byzantine one. */
export const MAX_VALUES_PER_VALIDATOR = LIMITS.maxProposalsPerRound + 1;

export function voteKey(blockHash: Uint8Array | null): string {
  return blockHash === null ? NIL_KEY : toHex(blockHash);
}

export function tallyOf(round: RoundState, type: VoteType): VoteTally {
  return type === 'prevote' ? round.prevotes : round.precommits;
}

/** Validators that signed a vote of this type for this value ("2f + 1 ⟨PREVOTE, h_p, r, id(v)⟩"). */
export function countFor(round: RoundState, type: VoteType, key: string): number {
  return tallyOf(round, type).byValue.get(key)?.size ?? 0;
}

/** Validators that signed a vote of this type for anything ("2f + 1 ⟨PREVOTE, h_p, r, ∗⟩"). */
export function countAny(round: RoundState, type: VoteType): number {
  return tallyOf(round, type).byValidator.size;
}

/** The votes for one value, in no particular order. */
export function votesFor(round: RoundState, type: VoteType, key: string): Iterable<Vote> {
  return tallyOf(round, type).byValue.get(key)?.values() ?? [];
}

/** The first vote this validator signed in this slot, if any. */
export function firstVoteOf(round: RoundState, type: VoteType, validator: string): Vote | undefined {
  const tally = tallyOf(round, type);
  const keys = tally.byValidator.get(validator);
  return keys === undefined ? undefined : tally.byValue.get(keys[0]!)?.get(validator);
}

/** Whether this validator's vote for this value is already counted. */
export function hasVoted(round: RoundState, type: VoteType, validator: string, key: string): boolean {
  return tallyOf(round, type).byValue.get(key)?.has(validator) ?? false;
}

/** Whether this validator may still add a value to this slot. */
export function hasRoomFor(round: RoundState, type: VoteType, validator: string): boolean {
  return (tallyOf(round, type).byValidator.get(validator)?.length ?? 0) < MAX_VALUES_PER_VALIDATOR;
}

function withSender(round: RoundState, validator: string): ReadonlySet<string> {
  if (round.senders.has(validator)) return round.senders;
  const senders = new Set(round.senders);
  senders.add(validator);
  return senders;
}

function tallyWith(tally: VoteTally, vote: Vote, key: string): VoteTally {
  const byValue = new Map(tally.byValue);
  const voters = new Map(tally.byValue.get(key) ?? []);
  voters.set(vote.validator, vote);
  byValue.set(key, voters);
  const byValidator = new Map(tally.byValidator);
  byValidator.set(vote.validator, [...(tally.byValidator.get(vote.validator) ?? []), key]);
  return { byValue, byValidator };
}

/** Adds a verified vote not counted yet (see hasVoted and hasRoomFor). */
export function addVote(round: RoundState, vote: Vote): RoundState {
  const tally = tallyWith(tallyOf(round, vote.type), vote, voteKey(vote.blockHash));
  const senders = withSender(round, vote.validator);
  const messageCount = round.messageCount + 1;
  return vote.type === 'prevote'
    ? { ...round, prevotes: tally, senders, messageCount }
    : { ...round, precommits: tally, senders, messageCount };
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
