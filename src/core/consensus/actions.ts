// What a node does on its own account: start a round, propose, vote, set timeouts. Every signed
// message is signed at most once per slot: the signature is kept in the state and written to the
// WAL (persist effect) before it is broadcast, and a rule that fires again, or fires after a restart,
// re-sends the kept message instead of signing a different one (design section 7).
import { toHex } from '../bytes.js';
import { assert } from '../errors.js';
import { LIMITS } from '../limits.js';
import { emit, type StepContext, update } from './context.js';
import type { Proposal, Vote, VoteType } from './messages.js';
import { proposerOf } from './proposer.js';
import { acceptVerifiedProposal, acceptVerifiedVote } from './receive.js';
import { signProposal, signVote } from './signing.js';
import { ownVoteKey, ownVotesNewestFirst, roundOf, type ValueRef } from './state.js';
import { votesFor } from './tally.js';
import { timeoutMs } from './timeouts.js';
import type { TimeoutKind } from './types.js';
import { setValidity } from './validity.js';

export function valueRef(ctx: StepContext, block: ValueRef['block']): ValueRef {
  const hash = ctx.state.setup.hashBlock(block);
  return { block, hash, key: toHex(hash) };
}

export function scheduleTimeout(ctx: StepContext, kind: TimeoutKind): void {
  const { height, round, setup } = ctx.state;
  emit(ctx, { type: 'schedule-timeout', kind, height, round, delayMs: timeoutMs(setup.params, kind, round) });
}

export function isOwnTurn(ctx: StepContext, round: number): boolean {
  const { setup, height } = ctx.state;
  return setup.self !== null && proposerOf(setup.validators, height, round).id === setup.self;
}

/**
 * broadcast ⟨PREVOTE|PRECOMMIT, h_p, round_p, id(v) or nil⟩ (lines 24, 26, 30, 32, 40, 45, 59,
 * 63). Observers do not vote. A vote already signed for this slot is re-sent unchanged.
 */
export function castVote(ctx: StepContext, type: VoteType, value: ValueRef | null): void {
  const { setup, height, round, ownVotes } = ctx.state;
  if (setup.self === null || setup.signer === null) return;
  const slot = ownVoteKey(type, round);
  const signed = ownVotes.get(slot);
  if (signed !== undefined) {
    emit(ctx, { type: 'broadcast-vote', vote: signed });
    return;
  }
  const blockHash = value === null ? null : value.hash;
  const signature = signVote(setup.signer, setup.chainId, type, height, round, blockHash);
  const vote: Vote = { type, height, round, blockHash, validator: setup.self, signature };
  const nextOwnVotes = new Map(ownVotes);
  nextOwnVotes.set(slot, vote);
  update(ctx, { ownVotes: nextOwnVotes });
  const lockedBlock = type === 'precommit' && value !== null ? value.block : null;
  emit(ctx, { type: 'persist', record: { type: 'vote', vote, block: lockedBlock } });
  emit(ctx, { type: 'broadcast-vote', vote });
  acceptVerifiedVote(ctx, vote);
}

/** Line 19: broadcast ⟨PROPOSAL, h_p, round_p, proposal, validRound⟩, signed once per round. */
export function propose(ctx: StepContext, value: ValueRef, validRound: number): void {
  const { setup, height, round, ownProposals } = ctx.state;
  assert(setup.self !== null && setup.signer !== null, 'only a validator proposes');
  assert(!ownProposals.has(round), `second proposal for height ${height} round ${round}`);
  const signature = signProposal(setup.signer, setup.chainId, height, round, validRound, value.hash);
  const proposal: Proposal = {
    height,
    round,
    validRound,
    blockHash: value.hash,
    proposer: setup.self,
    signature,
    block: value.block,
  };
  const nextOwnProposals = new Map(ownProposals);
  nextOwnProposals.set(round, proposal);
  update(ctx, { ownProposals: nextOwnProposals });
  emit(ctx, { type: 'persist', record: { type: 'proposal', proposal } });
  emit(ctx, { type: 'broadcast-proposal', proposal });
  // Our own block came from our own ledger (or is validValue, already valid): no second check.
  if (!ctx.state.validity.has(value.key)) setValidity(ctx, value.key, 'valid');
  acceptVerifiedProposal(ctx, proposal, value.key, true);
}

/** The proposer's part of StartRound, lines 14-19, once a round-0 proposer may go ahead. */
export function proposeOrRequest(ctx: StepContext): void {
  const { height, round, ownProposals, validValue, validRound } = ctx.state;
  const signed = ownProposals.get(round);
  if (signed !== undefined) {
    emit(ctx, { type: 'broadcast-proposal', proposal: signed });
  } else if (validValue !== null) {
    propose(ctx, validValue, validRound); // lines 15-16: proposal ← validValue_p
  } else {
    emit(ctx, { type: 'request-proposal-block', height, round }); // line 18: getValue()
  }
}

/**
 * Algorithm 1, lines 11-21: StartRound(round). Round 0 of a height first waits until there is
 * something to order (wait-for-txs), so an idle network makes no empty blocks and does not spin
 * through rounds; later rounds start at once, since a round only fails when there was work.
 */
export function startRound(ctx: StepContext, round: number): void {
  if (round > LIMITS.maxRoundsPerHeight) {
    update(ctx, { halted: true });
    emit(ctx, { type: 'halted', height: ctx.state.height, round });
    return;
  }
  update(ctx, { round, step: 'propose', awaitingTxs: false }); // lines 12-13
  if (ctx.state.setup.self === null) return; // observers neither propose nor time out a proposal
  if (round === 0 && !ctx.state.ownProposals.has(0)) {
    update(ctx, { awaitingTxs: true });
    emit(ctx, { type: 'wait-for-txs', height: ctx.state.height });
    return;
  }
  if (isOwnTurn(ctx, round))
    proposeOrRequest(ctx); // lines 14-19
  else scheduleTimeout(ctx, 'propose'); // line 21
}

/** Re-sends the votes we signed in this round (after a restart, before anything new is signed). */
export function resendOwnVotes(ctx: StepContext, round: number): void {
  for (const type of ['prevote', 'precommit'] as const) {
    const vote = ctx.state.ownVotes.get(ownVoteKey(type, round));
    if (vote !== undefined) emit(ctx, { type: 'broadcast-vote', vote });
  }
}

/**
 * Regossip: the paper assumes every message a correct process sends before GST arrives by
 * GST + Δ (arXiv:1807.04938, section 2); a lossy network needs re-sending for that. Re-sent are
 * own messages of this height (newest rounds first, within LIMITS.maxRegossipVotes) and the proof
 * of our valid value: the 2f + 1 prevotes of validRound_p that line 28 needs at the other nodes
 * before they accept the value when it is proposed again. Relaying others' signed votes is safe:
 * every receiver checks each signature. `votesOnly` leaves our proposal out (it carries a block).
 */
export function regossip(ctx: StepContext, votesOnly = false): void {
  const { ownProposals, round, validValue, validRound } = ctx.state;
  const proposal = votesOnly ? undefined : ownProposals.get(round);
  if (proposal !== undefined) emit(ctx, { type: 'broadcast-proposal', proposal });
  const votes = ownVotesNewestFirst(ctx.state);
  for (const vote of votes.slice(0, LIMITS.maxRegossipVotes)) emit(ctx, { type: 'broadcast-vote', vote });
  if (validValue === null) return;
  for (const vote of votesFor(roundOf(ctx.state, validRound), 'prevote', validValue.key)) {
    if (vote.validator !== ctx.state.setup.self) emit(ctx, { type: 'broadcast-vote', vote });
  }
}
