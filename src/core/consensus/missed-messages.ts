// Repairing the consensus messages a node missed (ARCHITECTURE decision 61): it asks for a
// proposal it lacks, a node asked answers, and a node re-sends its own messages of the height to
// a peer that (re)connects.
//
// Pulling a proposal a node missed. Algorithm 1 relies on gossip (arXiv:1807.04938, section 2:
// a message one correct process received reaches every correct process within Δ after GST), and
// Tendermint's reactor provides it by sending a peer the proposal of the peer's round when the
// peer lacks it. Our proposer sends its proposal once, to the peers connected at that moment; a
// node that was away (a restart, a healed partition) otherwise waits for the proposer's stall
// re-send (up to LIMITS.maxRegossipIntervalMs), past its own propose timeout: it prevotes nil, and
// the round fails when its prevote was the one the others needed (ARCHITECTURE decision 61).
//
// So a node asks for the proposal of a round of its height, once per round, when it holds none
// and either
//  - it holds a vote for a value from that round's proposer: the proposer sends its proposal
//    before its votes on the same ordered stream, so the proposal was lost to us (sent while we
//    were away, or dropped from a full send queue); or
//  - it just entered the round by the skip of lines 55-56: the round began without it.
// It asks the proposer, and every validator whose vote for a value in that round it holds (a
// prevote or precommit for v means its sender had the proposal: lines 22, 28 and 36). Each
// answers with the proposal it holds, once per asking peer and round. The answer is the signed
// proposal itself, checked like any other.
//
// Pushing to a peer that connects. A new connection may be a restarted process: whatever we sent
// its previous one (our proposal, our votes of this height) died with it, and the others, short
// of its votes, wait on it while it waits on ours until the next stall re-send (a second or
// more: traced at 1.3-1.8 s for a validator killed and restarted at once). Tendermint's reactor
// sends a peer the votes its round state lacks; we send what a restarted process may lack.
import { LIMITS } from '../limits.js';
import { emit, type StepContext, update } from './context.js';
import type { ProposalRequest, Vote } from './messages.js';
import { proposerOf } from './proposer.js';
import { NIL_KEY, ownVotesNewestFirst, roundOf, type VoteTally } from './state.js';

function votersForValues(tally: VoteTally): string[] {
  const voters: string[] = [];
  for (const [key, byValidator] of tally.byValue) {
    if (key !== NIL_KEY) voters.push(...byValidator.keys());
  }
  return voters;
}

/** Asks for the proposal of `round` unless we hold it, make it, or asked already. */
export function askForMissedProposal(ctx: StepContext, round: number): void {
  const state = ctx.state;
  const roundState = roundOf(state, round);
  if (roundState.proposals.length > 0 || state.proposalsAsked.has(round)) return;
  const proposer = proposerOf(state.setup.validators, state.height, round).id;
  if (proposer === state.setup.self) return; // we propose it ourselves (lines 14-19)
  const holders = new Set([
    proposer,
    ...votersForValues(roundState.prevotes),
    ...votersForValues(roundState.precommits),
  ]);
  if (state.setup.self !== null) holders.delete(state.setup.self);
  update(ctx, { proposalsAsked: new Set(state.proposalsAsked).add(round) });
  emit(ctx, { type: 'send-proposal-request', request: { height: state.height, round }, to: [...holders] });
}

/**
 * A vote receiveVote counted (so of our height): from its round's proposer, for a value we have
 * no proposal of?
 */
export function askIfProposerVotedUnseen(ctx: StepContext, vote: Vote): void {
  if (vote.blockHash === null) return;
  const state = ctx.state;
  if (proposerOf(state.setup.validators, vote.height, vote.round).id !== vote.validator) return;
  askForMissedProposal(ctx, vote.round);
}

/**
 * A peer asked for the proposal of a round of our height: send the one we hold (ours, or the
 * first we received from the proposer), once per peer, round and connection; a request from a
 * new peer once LIMITS.maxOrganisations peers were answered at this height is refused. So a peer
 * gets at most one copy of each proposal we hold per connection, however often it asks.
 */
export function answerProposalRequest(ctx: StepContext, from: string, request: ProposalRequest): void {
  const state = ctx.state;
  if (request.height !== state.height || from === state.setup.self) return;
  const answered = state.proposalRequestsAnswered;
  const rounds = answered.get(from);
  if (rounds?.has(request.round)) return;
  if (rounds === undefined && answered.size >= LIMITS.maxOrganisations) return;
  const proposal =
    state.ownProposals.get(request.round) ?? roundOf(state, request.round).proposals[0]?.proposal;
  if (proposal === undefined) return;
  const next = new Map(answered);
  next.set(from, new Set(rounds).add(request.round));
  update(ctx, { proposalRequestsAnswered: next });
  emit(ctx, { type: 'send-proposal', proposal, to: from });
}

/**
 * A peer connected (again): send it our proposal of the current round and our votes of this
 * height, newest first within LIMITS.maxRegossipVotes; prevotes only to a validator (the only
 * nodes that use them: decision 25). What we send here does not count as an answer: a
 * connection can close while a batch is on its way (two dials crossing, one kept), and a peer
 * that still lacks the proposal then asks for it. A new connection also starts a new count of
 * answers, so a peer restarted twice in a round is answered again. Both for the first
 * LIMITS.maxConnectRepairsPerHeight connections of a peer in a height only: a peer that
 * reconnects in a loop would otherwise get a copy of the proposal per connection (the stall
 * re-sends still reach it, and its requests are still answered once per round).
 */
export function resendToConnectedPeer(ctx: StepContext, peer: string): void {
  const state = ctx.state;
  if (peer === state.setup.self) return;
  const repairs = state.connectRepairs.get(peer) ?? 0;
  if (repairs >= LIMITS.maxConnectRepairsPerHeight) return;
  if (repairs === 0 && state.connectRepairs.size >= LIMITS.maxOrganisations) return;
  update(ctx, { connectRepairs: new Map(state.connectRepairs).set(peer, repairs + 1) });
  if (state.proposalRequestsAnswered.has(peer)) {
    const answered = new Map(state.proposalRequestsAnswered);
    answered.delete(peer);
    update(ctx, { proposalRequestsAnswered: answered });
  }
  const proposal = state.ownProposals.get(state.round);
  if (proposal !== undefined) emit(ctx, { type: 'send-proposal', proposal, to: peer });
  const isValidator = state.setup.validatorIndex.has(peer);
  const votes = ownVotesNewestFirst(state).filter((vote) => isValidator || vote.type === 'precommit');
  for (const vote of votes.slice(0, LIMITS.maxRegossipVotes))
    emit(ctx, { type: 'send-vote', vote, to: peer });
}
