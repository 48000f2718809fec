// Intake of proposals and votes: cheap checks first (height, round, sender, duplicates, bounds),
// the signature last, so stale and duplicate messages cost no signature check. Only validly
// signed messages from the right sender are counted (issue 4, item 2).
import { bytesEqual, toHex } from '../bytes.js';
import { LIMITS } from '../limits.js';
import { isTimely } from './block-time.js';
import { emit, type StepContext } from './context.js';
import { reportProposalEquivocation, reportVoteEquivocation } from './evidence-report.js';
import type { Proposal, Vote } from './messages.js';
import { askIfProposerVotedUnseen } from './missed-messages.js';
import { proposerOf } from './proposer.js';
import { type ConsensusState, type FutureMessage, roundOf, withRound } from './state.js';
import { addProposal, addVote, firstVoteOf, hasRoomFor, hasVoted, voteKey } from './tally.js';
import { bodyMatchesHeader, requestValidation } from './validity.js';

function roundInRange(round: number): boolean {
  return Number.isSafeInteger(round) && round >= 0 && round <= LIMITS.maxRoundsPerHeight;
}

function futureKey(message: FutureMessage): string {
  if (message.type === 'vote') {
    const vote = message.vote;
    return `${vote.type}/${vote.height}/${vote.round}/${vote.validator}/${voteKey(vote.blockHash)}`;
  }
  const proposal = message.proposal;
  return `proposal/${proposal.height}/${proposal.round}/${toHex(proposal.blockHash)}`;
}

/**
 * Messages one validator may have buffered for later heights: an even share of the buffer, so a
 * Byzantine validator signing messages for many rounds cannot crowd out the others.
 */
const FUTURE_MESSAGES_PER_VALIDATOR = Math.floor(
  LIMITS.maxMessagesPerRound / LIMITS.maxValidators / LIMITS.maxFutureHeights,
);

function futureHasRoom(state: ConsensusState, height: number, sender: string): boolean {
  if (height > state.height + LIMITS.maxFutureHeights) return false;
  if (state.future.length >= LIMITS.maxMessagesPerRound) return false;
  return (state.futureBySender.get(sender) ?? 0) < FUTURE_MESSAGES_PER_VALIDATOR;
}

/**
 * Keeps an authenticated message of a later height (at most LIMITS.maxFutureHeights ahead) until
 * we get there. Messages are authenticated first so that forgeries cannot fill the buffer.
 */
function bufferFuture(ctx: StepContext, sender: string, message: FutureMessage): void {
  const state = ctx.state;
  const key = futureKey(message);
  if (state.futureKeys.has(key)) return;
  const futureKeys = new Set(state.futureKeys);
  futureKeys.add(key);
  const futureBySender = new Map(state.futureBySender);
  futureBySender.set(sender, (futureBySender.get(sender) ?? 0) + 1);
  ctx.state = { ...state, future: [...state.future, message], futureKeys, futureBySender };
}

/** Signed by the validator it names (any height). */
function voteIsAuthentic(state: ConsensusState, vote: Vote): boolean {
  const position = state.setup.validatorIndex.get(vote.validator)!;
  const publicKey = state.setup.validators[position]!.publicKey;
  return state.setup.verifier.verifyVote(publicKey, state.setup.chainId, vote);
}

/** From proposer(h, r) of its own height and round, signed, and its block is the one it names. */
function proposalIsAuthentic(state: ConsensusState, proposal: Proposal): boolean {
  const setup = state.setup;
  const expected = proposerOf(setup.validators, proposal.height, proposal.round);
  if (proposal.proposer !== expected.id) return false; // "from proposer(h_p, round_p)"
  if (!bytesEqual(setup.hashBlock(proposal.block), proposal.blockHash)) return false;
  if (!bodyMatchesHeader(proposal.block)) return false;
  return setup.verifier.verifyProposal(expected.publicKey, setup.chainId, proposal);
}

/**
 * Counts a vote of the current height whose signature is known to be good (own votes, or
 * checked by receiveVote). A second value from one validator is also reported as evidence.
 */
export function acceptVerifiedVote(ctx: StepContext, vote: Vote): void {
  const round = roundOf(ctx.state, vote.round);
  const key = voteKey(vote.blockHash);
  if (hasVoted(round, vote.type, vote.validator, key) || !hasRoomFor(round, vote.type, vote.validator))
    return;
  const first = firstVoteOf(round, vote.type, vote.validator);
  ctx.state = withRound(ctx.state, vote.round, addVote(round, vote));
  if (first !== undefined) reportVoteEquivocation(ctx, first, vote);
}

/** `authenticated`: the signature was already checked (a buffered message being replayed). */
export function receiveVote(ctx: StepContext, vote: Vote, authenticated = false): void {
  const state = ctx.state;
  if (vote.height < state.height) return; // stale: that height is decided
  if (!roundInRange(vote.round) || !state.setup.validatorIndex.has(vote.validator)) return;
  if (vote.height > state.height) {
    if (!futureHasRoom(state, vote.height, vote.validator)) return;
    if (authenticated || voteIsAuthentic(state, vote))
      bufferFuture(ctx, vote.validator, { type: 'vote', vote });
    return;
  }
  const round = roundOf(state, vote.round);
  // A duplicate is dropped before any signature work; Ed25519 signatures are deterministic, so a
  // second signature over the same vote is a forgery or a malleated copy and adds nothing.
  if (hasVoted(round, vote.type, vote.validator, voteKey(vote.blockHash))) return;
  if (!hasRoomFor(round, vote.type, vote.validator)) return;
  if (round.messageCount >= LIMITS.maxMessagesPerRound) return;
  if (!authenticated && !voteIsAuthentic(state, vote)) return;
  acceptVerifiedVote(ctx, vote);
  askIfProposerVotedUnseen(ctx, vote);
}

/** Stores a proposal known to come from proposer(h, r), and asks for the block's validity. */
export function acceptVerifiedProposal(
  ctx: StepContext,
  proposal: Proposal,
  key: string,
  timely: boolean,
): void {
  const round = roundOf(ctx.state, proposal.round);
  ctx.state = withRound(ctx.state, proposal.round, addProposal(round, { proposal, key, timely }));
  requestValidation(ctx, proposal.round, { block: proposal.block, hash: proposal.blockHash, key });
}

export function receiveProposal(
  ctx: StepContext,
  proposal: Proposal,
  nowMs: number,
  authenticated = false,
): void {
  const state = ctx.state;
  if (proposal.height < state.height || !roundInRange(proposal.round)) return;
  // validRound is -1 or an earlier round of this height (line 28: vr < round_p).
  if (!Number.isSafeInteger(proposal.validRound) || proposal.validRound < -1) return;
  if (proposal.validRound >= proposal.round) return;
  if (proposal.height > state.height) {
    if (!futureHasRoom(state, proposal.height, proposal.proposer)) return;
    if (authenticated || proposalIsAuthentic(state, proposal)) {
      bufferFuture(ctx, proposal.proposer, { type: 'proposal', proposal, nowMs });
    }
    return;
  }
  const round = roundOf(state, proposal.round);
  const key = toHex(proposal.blockHash);
  if (round.proposals.some((received) => received.key === key)) return; // duplicate
  if (round.proposals.length >= LIMITS.maxProposalsPerRound) return;
  if (round.messageCount >= LIMITS.maxMessagesPerRound) return;
  if (!authenticated && !proposalIsAuthentic(state, proposal)) return;
  const { maxClockDriftMs } = state.setup.params;
  const timely = isTimely(proposal.block.header.timeMs, nowMs, maxClockDriftMs);
  if (!timely && proposal.validRound === -1) {
    emit(ctx, {
      type: 'untimely-proposal',
      height: proposal.height,
      round: proposal.round,
      proposer: proposal.proposer,
      aheadMs: proposal.block.header.timeMs - nowMs,
      maxClockDriftMs,
    });
  }
  acceptVerifiedProposal(ctx, proposal, key, timely);
  // A second block from proposer(h, r) for this round is kept and counted as before (the upon
  // rules of Algorithm 1 match "a" PROPOSAL from proposer(h_p, round_p), lines 22, 28, 36 and 49);
  // it also convicts the proposer, a correct one signs one proposal per round (line 19).
  const first = round.proposals[0];
  if (first !== undefined) reportProposalEquivocation(ctx, first.proposal, proposal);
}

/** Re-reads the buffered messages after the height changed; later heights stay buffered. */
export function replayFuture(ctx: StepContext): void {
  const pending = ctx.state.future;
  ctx.state = { ...ctx.state, future: [], futureKeys: new Set(), futureBySender: new Map() };
  for (const message of pending) {
    if (message.type === 'vote') receiveVote(ctx, message.vote, true);
    else receiveProposal(ctx, message.proposal, message.nowMs, true);
  }
}
