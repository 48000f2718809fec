// The "upon" rules of Algorithm 1 (arXiv:1807.04938). After every input the machine applies
// rules until none fires; each rule either changes the step, the round or the height, or sets its
// own "for the first time" flag, so the loop ends. The upon rules of the paper execute
// atomically; here one rule runs at a time and the loop re-checks them all after each.
import { assert } from '../errors.js';
import { castVote, scheduleTimeout, startRound, valueRef } from './actions.js';
import { buildCertificate } from './certificate-build.js';
import { type StepContext, update } from './context.js';
import { decide } from './decide.js';
import { askForMissedProposal } from './missed-messages.js';
import { NIL_KEY, type ReceivedProposal, roundOf, type ValueRef, withRound } from './state.js';
import { countAny, countFor } from './tally.js';
import { isValid } from './validity.js';

const MAX_RULE_FIRINGS_PER_STEP = 100_000;

function refOf(received: ReceivedProposal): ValueRef {
  return { block: received.proposal.block, hash: received.proposal.blockHash, key: received.key };
}

function lockAllows(ctx: StepContext, key: string, validRound: number): boolean {
  const { lockedRound, lockedValue, setup } = ctx.state;
  if (setup.bugs.ignoreLockWhenPrevoting) return true; // planted bug, tests only
  if (validRound === -1) return lockedRound === -1 || lockedValue?.key === key; // line 23
  return lockedRound <= validRound || lockedValue?.key === key; // line 29
}

/**
 * Lines 49-54: upon ⟨PROPOSAL, h_p, r, v, ∗⟩ AND 2f + 1 ⟨PRECOMMIT, h_p, r, id(v)⟩ while
 * decision_p[h_p] = nil, if valid(v): decide. Any round r counts, not only round_p. The block may
 * come from the proposal of any round of this height: id(v) fixes v, so this only helps liveness.
 */
function tryDecide(ctx: StepContext): boolean {
  const state = ctx.state;
  for (const [round, roundState] of state.rounds) {
    for (const [key, voters] of roundState.precommits.byValue) {
      if (key === NIL_KEY || voters.size < state.setup.quorum) continue;
      const block = state.blocks.get(key);
      if (block === undefined || !isValid(state, key)) continue; // line 50: valid(v)
      const value = valueRef(ctx, block);
      const certificate = buildCertificate(state.setup, roundState, state.height, round, value.hash);
      decide(ctx, round, value.hash, block, certificate);
      return true;
    }
  }
  return false;
}

/**
 * Lines 55-56: upon f + 1 ⟨∗, h_p, round, ∗, ∗⟩ with round > round_p do StartRound(round); the
 * round began without us, so its proposal is asked for unless we hold it (missed-messages.ts).
 */
function trySkipRound(ctx: StepContext): boolean {
  const state = ctx.state;
  let target = -1;
  for (const [round, roundState] of state.rounds) {
    if (round > state.round && round > target && roundState.senders.size >= state.setup.faultyMax + 1) {
      target = round;
    }
  }
  if (target === -1) return false;
  startRound(ctx, target);
  if (!ctx.state.halted) askForMissedProposal(ctx, target);
  return true;
}

/**
 * Lines 22-27 (vr = -1) and 28-33 (0 <= vr < round_p, with 2f + 1 prevotes for id(v) in vr),
 * while step_p = propose. A fresh proposal (vr = -1) must also be timely (block-time.ts); a
 * proposal whose validity is still being checked waits for the verdict or the propose timeout.
 */
function tryPrevoteOnProposal(ctx: StepContext): boolean {
  const state = ctx.state;
  if (state.step !== 'propose') return false;
  for (const received of roundOf(state, state.round).proposals) {
    const verdict = state.validity.get(received.key);
    if (verdict === 'pending') continue;
    const validRound = received.proposal.validRound;
    let acceptable: boolean;
    if (validRound === -1) {
      // Line 23: valid(v) ∧ (lockedRound_p = −1 ∨ lockedValue_p = v)
      acceptable = verdict === 'valid' && received.timely && lockAllows(ctx, received.key, -1);
    } else {
      // Line 28: AND 2f + 1 ⟨PREVOTE, h_p, vr, id(v)⟩ ... ∧ (vr ≥ 0 ∧ vr < round_p)
      if (validRound >= state.round) continue;
      if (countFor(roundOf(state, validRound), 'prevote', received.key) < state.setup.quorum) continue;
      // Line 29: valid(v) ∧ (lockedRound_p ≤ vr ∨ lockedValue_p = v)
      acceptable = verdict === 'valid' && lockAllows(ctx, received.key, validRound);
    }
    castVote(ctx, 'prevote', acceptable ? refOf(received) : null); // lines 24/26, 30/32
    update(ctx, { step: 'prevote' }); // lines 27, 33
    return true;
  }
  return false;
}

/** Lines 34-35: upon 2f + 1 ⟨PREVOTE, h_p, round_p, ∗⟩ while step_p = prevote, the first time. */
function tryScheduleTimeoutPrevote(ctx: StepContext): boolean {
  const state = ctx.state;
  const roundState = roundOf(state, state.round);
  if (state.step !== 'prevote' || roundState.prevoteTimeoutScheduled) return false;
  if (countAny(roundState, 'prevote') < state.setup.quorum) return false;
  ctx.state = withRound(state, state.round, { ...roundState, prevoteTimeoutScheduled: true });
  scheduleTimeout(ctx, 'prevote');
  return true;
}

/**
 * Lines 36-43: upon ⟨PROPOSAL, h_p, round_p, v, ∗⟩ AND 2f + 1 ⟨PREVOTE, h_p, round_p, id(v)⟩
 * while valid(v) ∧ step_p ≥ prevote, the first time: lock and precommit if still in prevote,
 * and in any case remember v as the valid value.
 */
function tryLockOrUpdateValid(ctx: StepContext): boolean {
  const state = ctx.state;
  if (state.step === 'propose') return false;
  const roundState = roundOf(state, state.round);
  if (roundState.lockOrValidUpdated) return false;
  for (const received of roundState.proposals) {
    if (!isValid(state, received.key)) continue;
    if (countFor(roundState, 'prevote', received.key) < state.setup.quorum) continue;
    ctx.state = withRound(state, state.round, { ...roundState, lockOrValidUpdated: true });
    const value = refOf(received);
    if (state.step === 'prevote') {
      update(ctx, { lockedValue: value, lockedRound: state.round }); // lines 38-39
      castVote(ctx, 'precommit', value); // line 40
      update(ctx, { step: 'precommit' }); // line 41
    }
    update(ctx, { validValue: value, validRound: state.round }); // lines 42-43
    return true;
  }
  return false;
}

/** Lines 44-46: upon 2f + 1 ⟨PREVOTE, h_p, round_p, nil⟩ while step_p = prevote. */
function tryPrecommitNil(ctx: StepContext): boolean {
  const state = ctx.state;
  if (state.step !== 'prevote') return false;
  if (countFor(roundOf(state, state.round), 'prevote', NIL_KEY) < state.setup.quorum) return false;
  castVote(ctx, 'precommit', null); // line 45
  update(ctx, { step: 'precommit' }); // line 46
  return true;
}

/** Lines 47-48: upon 2f + 1 ⟨PRECOMMIT, h_p, round_p, ∗⟩ for the first time. */
function tryScheduleTimeoutPrecommit(ctx: StepContext): boolean {
  const state = ctx.state;
  const roundState = roundOf(state, state.round);
  if (roundState.precommitTimeoutScheduled) return false;
  if (countAny(roundState, 'precommit') < state.setup.quorum) return false;
  ctx.state = withRound(state, state.round, { ...roundState, precommitTimeoutScheduled: true });
  scheduleTimeout(ctx, 'precommit');
  return true;
}

function applyOneRule(ctx: StepContext): boolean {
  return (
    tryDecide(ctx) ||
    trySkipRound(ctx) ||
    tryPrevoteOnProposal(ctx) ||
    tryScheduleTimeoutPrevote(ctx) ||
    tryLockOrUpdateValid(ctx) ||
    tryPrecommitNil(ctx) ||
    tryScheduleTimeoutPrecommit(ctx)
  );
}

export function applyRules(ctx: StepContext): void {
  for (let firings = 0; ; firings++) {
    if (!ctx.state.started || ctx.state.halted) return;
    assert(firings < MAX_RULE_FIRINGS_PER_STEP, 'consensus rules did not settle');
    if (!applyOneRule(ctx)) return;
  }
}
