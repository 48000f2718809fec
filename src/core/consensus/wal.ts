// Restart from the WAL (design section 7). The WAL holds the node's own signed proposals and votes
// of the height being decided, each written and fsynced before it was sent. Replaying them puts
// the signatures back in the state, so every rule that would sign again re-sends the same message
// instead: a restarted validator never signs two different votes for one height, round and type.
// The lock is recovered from the newest non-nil precommit, whose record carries the block.
import { toHex } from '../bytes.js';
import { assert } from '../errors.js';
import { type StepContext, update } from './context.js';
import { acceptVerifiedProposal, acceptVerifiedVote } from './receive.js';
import { ownVoteKey } from './state.js';
import type { Step, WalRecord } from './types.js';
import { setValidity } from './validity.js';

const STEP_ORDER: readonly Step[] = ['propose', 'prevote', 'precommit'];

function laterStep(a: Step, b: Step): Step {
  return STEP_ORDER.indexOf(a) >= STEP_ORDER.indexOf(b) ? a : b;
}

function restoreRecord(ctx: StepContext, record: WalRecord): { round: number; step: Step } {
  const self = ctx.state.setup.self;
  if (record.type === 'proposal') {
    const proposal = record.proposal;
    assert(proposal.proposer === self, 'WAL holds a proposal of another validator');
    const ownProposals = new Map(ctx.state.ownProposals);
    ownProposals.set(proposal.round, proposal);
    update(ctx, { ownProposals });
    const key = toHex(proposal.blockHash);
    if (!ctx.state.validity.has(key)) setValidity(ctx, key, 'valid');
    acceptVerifiedProposal(ctx, proposal, key, true);
    return { round: proposal.round, step: 'propose' };
  }
  const vote = record.vote;
  assert(vote.validator === self, 'WAL holds a vote of another validator');
  const ownVotes = new Map(ctx.state.ownVotes);
  ownVotes.set(ownVoteKey(vote.type, vote.round), vote);
  update(ctx, { ownVotes });
  acceptVerifiedVote(ctx, vote);
  if (vote.type === 'precommit' && vote.blockHash !== null && record.block !== null) {
    const key = toHex(vote.blockHash);
    if (vote.round > ctx.state.lockedRound) {
      const value = { block: record.block, hash: vote.blockHash, key };
      // Lines 38-39 and 42-43 happened when this precommit was signed.
      update(ctx, { lockedValue: value, lockedRound: vote.round, validValue: value, validRound: vote.round });
    }
    if (!ctx.state.blocks.has(key)) {
      const blocks = new Map(ctx.state.blocks);
      blocks.set(key, record.block);
      update(ctx, { blocks });
    }
    if (!ctx.state.validity.has(key)) setValidity(ctx, key, 'valid');
  }
  return { round: vote.round, step: vote.type };
}

/** Replays WAL records of the current height; records of other heights are ignored. */
export function restoreFromWal(ctx: StepContext, records: readonly WalRecord[]): void {
  let round = -1;
  let step: Step = 'propose';
  for (const record of records) {
    const height = record.type === 'proposal' ? record.proposal.height : record.vote.height;
    if (height !== ctx.state.height) continue;
    const restored = restoreRecord(ctx, record);
    if (restored.round > round) {
      round = restored.round;
      step = restored.step;
    } else if (restored.round === round) {
      step = laterStep(step, restored.step);
    }
  }
  if (round >= 0) update(ctx, { round, restoredStep: step });
}
