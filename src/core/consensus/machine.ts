// The consensus state machine: step(state, input) -> { state, effects } (Tendermint, Buchman,
// Kwon, Milosevic, "The latest gossip on BFT consensus", arXiv:1807.04938, Algorithm 1).
// Pure and synchronous: time arrives only through inputs (timeouts, nowMs of a proposal), the
// signer is deterministic (Ed25519), and the shell carries out the effects in order.
import { bytesEqual, toHex } from '../bytes.js';
import { assert, fail } from '../errors.js';
import { faultTolerance, quorumSize, verifyCertificate } from '../ledger/certificate-verify.js';
import { LIMITS } from '../limits.js';
import {
  castVote,
  isOwnTurn,
  propose,
  proposeOrRequest,
  regossip,
  resendOwnVotes,
  scheduleTimeout,
  startRound,
} from './actions.js';
import { blockHashOf } from './block-hash.js';
import { type StepContext, update } from './context.js';
import { decide } from './decide.js';
import { answerProposalRequest, resendToConnectedPeer } from './missed-messages.js';
import { receiveProposal, receiveVote } from './receive.js';
import { applyRules } from './rules.js';
import { verifyProposalSignature, verifyVoteSignature } from './signing.js';
import { type ConsensusSetup, type ConsensusState, heightStart } from './state.js';
import type { ConsensusInit, ConsensusInput, SignatureVerifier, StepResult } from './types.js';
import { bodyMatchesHeader, setValidity, structuralFault } from './validity.js';
import { restoreFromWal } from './wal.js';

export const defaultVerifier: SignatureVerifier = {
  verifyVote: (publicKey, chainId, vote) =>
    verifyVoteSignature(
      publicKey,
      chainId,
      vote.type,
      vote.height,
      vote.round,
      vote.blockHash,
      vote.signature,
    ),
  verifyProposal: (publicKey, chainId, proposal) =>
    verifyProposalSignature(
      publicKey,
      chainId,
      proposal.height,
      proposal.round,
      proposal.validRound,
      proposal.blockHash,
      proposal.signature,
    ),
};

function buildSetup(init: ConsensusInit): ConsensusSetup {
  const validators = init.validators;
  if (validators.length === 0 || validators.length > LIMITS.maxValidators) {
    fail('CONFIG_INVALID', `${validators.length} validators; 1 to ${LIMITS.maxValidators} allowed`);
  }
  const validatorIndex = new Map(validators.map((validator, index) => [validator.id, index]));
  if (validatorIndex.size !== validators.length) fail('CONFIG_INVALID', 'a validator id is repeated');
  if (init.self !== null) {
    const position = validatorIndex.get(init.self);
    if (position === undefined) fail('CONFIG_INVALID', `${init.self} is not a validator`);
    const signer = init.signer;
    if (signer === null || !bytesEqual(signer.publicKey, validators[position]!.publicKey)) {
      fail('CONFIG_INVALID', `the signing key is not the genesis key of ${init.self}`);
    }
  }
  const faultyMax = faultTolerance(validators.length);
  const quorum = init.bugs?.quorumIsF ? Math.max(1, faultyMax) : quorumSize(validators.length);
  return {
    chainId: init.chainId,
    validators,
    validatorIndex,
    self: init.self,
    signer: init.self === null ? null : init.signer,
    params: init.params,
    faultyMax,
    quorum,
    hashBlock: init.hashBlock ?? blockHashOf,
    verifier: init.verifier ?? defaultVerifier,
    bugs: init.bugs ?? {},
  };
}

/** Algorithm 1, lines 1-9, at the height after lastBlock; WAL records of that height are replayed. */
export function initConsensus(init: ConsensusInit): ConsensusState {
  if (init.lastBlock.height !== init.height - 1) {
    fail('CONFIG_INVALID', `height ${init.height} does not follow the last block ${init.lastBlock.height}`);
  }
  const state: ConsensusState = {
    setup: buildSetup(init),
    ...heightStart(init.height, init.lastBlock),
    started: false,
    future: [],
    futureKeys: new Set(),
    futureBySender: new Map(),
    halted: false,
  };
  const ctx: StepContext = { state, effects: [] };
  if (init.wal !== undefined && init.self !== null) restoreFromWal(ctx, init.wal);
  return ctx.state;
}

/** Line 10 (upon start do StartRound(0)), or the round and step recovered from the WAL. */
function onStart(ctx: StepContext): void {
  if (ctx.state.started) return;
  update(ctx, { started: true });
  const restoredStep = ctx.state.restoredStep;
  startRound(ctx, ctx.state.round);
  if (restoredStep === null || restoredStep === 'propose') return;
  // Back in the step we had reached, re-sending what we had signed in it.
  update(ctx, { step: restoredStep, restoredStep: null, awaitingTxs: false });
  resendOwnVotes(ctx, ctx.state.round);
}

/** Lines 57-67: OnTimeoutPropose, OnTimeoutPrevote, OnTimeoutPrecommit. */
function onTimeout(ctx: StepContext, input: Extract<ConsensusInput, { type: 'timeout' }>): void {
  const state = ctx.state;
  if (input.height !== state.height || input.round !== state.round) return; // lines 58, 62, 66
  if (input.kind === 'propose' && state.step === 'propose') {
    castVote(ctx, 'prevote', null); // line 59
    update(ctx, { step: 'prevote' }); // line 60
  } else if (input.kind === 'prevote' && state.step === 'prevote') {
    castVote(ctx, 'precommit', null); // line 63
    update(ctx, { step: 'precommit' }); // line 64
  } else if (input.kind === 'precommit') {
    startRound(ctx, state.round + 1); // line 67
  }
}

function onBlockValidated(
  ctx: StepContext,
  input: Extract<ConsensusInput, { type: 'block-validated' }>,
): void {
  if (input.height !== ctx.state.height) return;
  const key = toHex(input.blockHash);
  if (ctx.state.validity.get(key) !== 'pending') return;
  setValidity(ctx, key, input.valid ? 'valid' : 'invalid');
}

/** getValue() of line 18 returns: propose it if this is still our round and we still need it. */
function onProposalValue(ctx: StepContext, input: Extract<ConsensusInput, { type: 'proposal-value' }>): void {
  const state = ctx.state;
  if (input.height !== state.height || input.round !== state.round || state.step !== 'propose') return;
  if (!isOwnTurn(ctx, state.round) || state.ownProposals.has(state.round) || state.validValue !== null)
    return;
  const fault = bodyMatchesHeader(input.block)
    ? structuralFault(state, input.block)
    : 'body does not match txRoot';
  // The block comes from our own shell's builder, not from a peer: a fault here is our bug.
  assert(fault === null, `the shell built an unusable block at height ${state.height}: ${fault}`);
  const hash = state.setup.hashBlock(input.block);
  propose(ctx, { block: input.block, hash, key: toHex(hash) }, -1); // line 19, validRound_p = -1
}

/** Round 0 may start: the mempool has work (or the heartbeat passed). */
function onTxsAvailable(ctx: StepContext, height: number): void {
  const state = ctx.state;
  if (height !== state.height || !state.awaitingTxs || state.round !== 0 || state.step !== 'propose') return;
  update(ctx, { awaitingTxs: false });
  if (isOwnTurn(ctx, 0)) proposeOrRequest(ctx);
  else scheduleTimeout(ctx, 'propose'); // line 21
}

/** Block sync: a certified block of our height decides it without a round (same effect as line 49). */
function onCommittedBlock(
  ctx: StepContext,
  input: Extract<ConsensusInput, { type: 'committed-block' }>,
): void {
  const state = ctx.state;
  if (input.block.header.height !== state.height || structuralFault(state, input.block) !== null) return;
  if (!bodyMatchesHeader(input.block)) return;
  const blockHash = state.setup.hashBlock(input.block);
  const check = verifyCertificate(input.certificate, state.setup.validators, state.setup.chainId, {
    height: state.height,
    blockHash,
  });
  if (!check.ok) return;
  decide(ctx, input.certificate.round, blockHash, input.block, input.certificate);
}

export function step(state: ConsensusState, input: ConsensusInput): StepResult<ConsensusState> {
  const ctx: StepContext = { state, effects: [] };
  if (state.halted) return { state, effects: [] };
  switch (input.type) {
    case 'start-height':
      onStart(ctx);
      break;
    case 'proposal':
      receiveProposal(ctx, input.proposal, input.nowMs);
      break;
    case 'vote':
      receiveVote(ctx, input.vote);
      break;
    case 'timeout':
      onTimeout(ctx, input);
      break;
    case 'block-validated':
      onBlockValidated(ctx, input);
      break;
    case 'proposal-value':
      onProposalValue(ctx, input);
      break;
    case 'txs-available':
      onTxsAvailable(ctx, input.height);
      break;
    case 'committed-block':
      onCommittedBlock(ctx, input);
      break;
    case 'regossip':
      regossip(ctx, input.votesOnly === true);
      break;
    case 'proposal-request':
      answerProposalRequest(ctx, input.from, input.request);
      break;
    case 'peer-connected':
      resendToConnectedPeer(ctx, input.peer);
      break;
  }
  applyRules(ctx);
  return { state: ctx.state, effects: ctx.effects };
}
