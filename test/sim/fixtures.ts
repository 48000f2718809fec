// Shared fixtures for the consensus table tests and the simulator tests: a small validator set
// with keys derived at run time from a label (no key material is committed), consensus
// parameters, honest blocks and signed messages.
import { toHex } from '../../src/core/bytes.js';
import { encodeCanonical } from '../../src/core/codec/canonical.js';
import type { ConsensusParams, Validator } from '../../src/core/config/genesis.js';
import { initConsensus, step } from '../../src/core/consensus/machine.js';
import type { Proposal, Vote, VoteType } from '../../src/core/consensus/messages.js';
import { signProposal, signVote } from '../../src/core/consensus/signing.js';
import type { ConsensusState } from '../../src/core/consensus/state.js';
import type {
  ConsensusBugFlags,
  ConsensusEffect,
  ConsensusInput,
  SignatureVerifier,
  TimeoutKind,
  WalRecord,
} from '../../src/core/consensus/types.js';
import { Ed25519Signer } from '../../src/core/crypto/ed25519.js';
import { sha256 } from '../../src/core/crypto/hash.js';
import type { Block } from '../../src/core/ledger/block.js';
import { blockHash } from '../../src/core/ledger/block-hash.js';
import { type ChainConfig, chainConfig, makeTx, SimLedger } from './sim-ledger.js';

export const TEST_PARAMS: ConsensusParams = {
  timeoutProposeMs: 300,
  timeoutPrevoteMs: 150,
  timeoutPrecommitMs: 150,
  timeoutDeltaMs: 100,
  heartbeatMs: 0,
  maxClockDriftMs: 400,
  maxBlockTxs: 16,
  maxBlockBytes: 4096,
};

export const GENESIS_TIME_MS = 1_750_000_000_000;

export interface Fixture {
  readonly chain: ChainConfig;
  readonly validators: readonly Validator[];
  readonly signers: readonly Ed25519Signer[];
  readonly ledger: SimLedger;
}

export function makeFixture(validatorCount: number, label = 'consensus-fixture'): Fixture {
  const signers = Array.from(
    { length: validatorCount },
    (_, i) => new Ed25519Signer(sha256(encodeCanonical({ label, i }))),
  );
  const validators = signers.map((signer, i) => ({ id: `v${i}`, publicKey: signer.publicKey }));
  const chain = chainConfig('test-chain', GENESIS_TIME_MS, validators, TEST_PARAMS);
  return { chain, validators, signers, ledger: new SimLedger(chain, new Map()) };
}

/** Starts height 1 with something to order: start-height, then txs-available (no empty blocks). */
export const START_INPUTS: readonly ConsensusInput[] = [
  { type: 'start-height' },
  { type: 'txs-available', height: 1 },
];

/** The setting of the consensus table tests. */
export interface TableFixture {
  /** Four validators v0..v3: f = 1, a quorum is 3. */
  readonly fx: Fixture;
  /** Two distinct valid blocks of height 1, proposed by v1 (A) and v2 (B). */
  readonly A: Block;
  readonly B: Block;
  /** Block hash (hex) -> 'A' or 'B', so summarize() prints the names. */
  readonly labels: Map<string, string>;
}

export function makeTableFixture(): TableFixture {
  const fx = makeFixture(4);
  const A = makeBlock(fx, 1, 1);
  const B = makeBlock(fx, 2, 2);
  return { fx, A, B, labels: labelsOf({ A, B }) };
}

export interface NodeOptions {
  readonly observer?: boolean;
  readonly wal?: readonly WalRecord[];
  readonly bugs?: ConsensusBugFlags;
  readonly verifier?: SignatureVerifier;
}

/** A fresh machine for validator i at height 1 (or an observer). */
export function makeNode(fixture: Fixture, i: number, options: NodeOptions = {}): ConsensusState {
  const { chain } = fixture;
  return initConsensus({
    chainId: chain.chainId,
    validators: fixture.validators,
    self: options.observer ? null : fixture.validators[i]!.id,
    signer: options.observer ? null : fixture.signers[i]!,
    params: chain.params,
    height: 1,
    lastBlock: { height: 0, hash: chain.genesisHash, timeMs: chain.genesisTimeMs },
    wal: options.wal,
    bugs: options.bugs,
    verifier: options.verifier,
  });
}

/** A valid block for height 1 proposed by validator i; `variant` makes distinct blocks. */
export function makeBlock(fixture: Fixture, i: number, variant = 0, timeOffsetMs = 1000): Block {
  const txs = [makeTx(variant, new Uint8Array([variant & 0xff]))];
  return fixture.ledger.blockWith(fixture.validators[i]!.id, GENESIS_TIME_MS + timeOffsetMs + variant, txs);
}

export function makeVote(
  fixture: Fixture,
  i: number,
  type: VoteType,
  round: number,
  block: Block | null,
  height = 1,
): Vote {
  const hash = block === null ? null : blockHash(block.header);
  return {
    type,
    height,
    round,
    blockHash: hash,
    validator: fixture.validators[i]!.id,
    signature: signVote(fixture.signers[i]!, fixture.chain.chainId, type, height, round, hash),
  };
}

export function makeProposal(
  fixture: Fixture,
  i: number,
  round: number,
  block: Block,
  validRound = -1,
  height = 1,
): Proposal {
  const hash = blockHash(block.header);
  return {
    height,
    round,
    validRound,
    blockHash: hash,
    proposer: fixture.validators[i]!.id,
    signature: signProposal(fixture.signers[i]!, fixture.chain.chainId, height, round, validRound, hash),
    block,
  };
}

/** Feeds inputs in order; returns the final state and every effect. */
export function feed(
  state: ConsensusState,
  ...inputs: ConsensusInput[]
): { state: ConsensusState; effects: ConsensusEffect[] } {
  const effects: ConsensusEffect[] = [];
  let current = state;
  for (const input of inputs) {
    const result = step(current, input);
    current = result.state;
    effects.push(...result.effects);
  }
  return { state: current, effects };
}

export const NOW_MS = GENESIS_TIME_MS + 2000;

/** A signed proposal as it arrives from the network, at `nowMs`. */
export function proposalInput(proposal: Proposal, nowMs = NOW_MS): ConsensusInput & { type: 'proposal' } {
  return { type: 'proposal', proposal, nowMs };
}

/** A proposal from proposer(1, round) and, when valid is given, the shell's verdict on it. */
export function proposalInputs(
  fixture: Fixture,
  round: number,
  block: Block,
  validRound = -1,
  valid: boolean | null = true,
  nowMs = NOW_MS,
): ConsensusInput[] {
  const proposer = (1 + round) % fixture.validators.length;
  const proposal = makeProposal(fixture, proposer, round, block, validRound);
  const inputs: ConsensusInput[] = [proposalInput(proposal, nowMs)];
  if (valid !== null) {
    inputs.push({ type: 'block-validated', height: 1, round, blockHash: proposal.blockHash, valid });
  }
  return inputs;
}

/** OnTimeout<kind>(height, round) of Algorithm 1 (lines 57, 61, 65): the shell's timer fired. */
export function timeoutInput(kind: TimeoutKind, round: number, height = 1): ConsensusInput {
  return { type: 'timeout', kind, height, round };
}

export function voteInputs(
  fixture: Fixture,
  type: VoteType,
  round: number,
  block: Block | null,
  voters: readonly number[],
): ConsensusInput[] {
  return voters.map((i) => ({ type: 'vote', vote: makeVote(fixture, i, type, round, block) }) as const);
}

/**
 * One line per effect, with block hashes replaced by the given labels, so table rows read like
 * the paper: "broadcast-vote prevote A r0", "schedule-timeout prevote r0 250ms".
 */
export function summarize(
  effects: readonly ConsensusEffect[],
  labels: ReadonlyMap<string, string>,
): string[] {
  const label = (hash: Uint8Array | null) =>
    hash === null ? 'nil' : (labels.get(toHex(hash)) ?? toHex(hash).slice(0, 8));
  return effects.map((effect) => summarizeEffect(effect, label));
}

function summarizeEffect(effect: ConsensusEffect, label: (hash: Uint8Array | null) => string): string {
  switch (effect.type) {
    case 'broadcast-vote':
      return `broadcast-vote ${effect.vote.type} ${label(effect.vote.blockHash)} r${effect.vote.round}`;
    case 'broadcast-proposal':
      return `broadcast-proposal ${label(effect.proposal.blockHash)} r${effect.proposal.round} vr${effect.proposal.validRound}`;
    case 'persist':
      return effect.record.type === 'vote'
        ? `persist ${effect.record.vote.type} ${label(effect.record.vote.blockHash)} r${effect.record.vote.round}`
        : `persist proposal ${label(effect.record.proposal.blockHash)} r${effect.record.proposal.round}`;
    case 'schedule-timeout':
      return `schedule-timeout ${effect.kind} r${effect.round} ${effect.delayMs}ms`;
    case 'validate-block':
      return `validate-block ${label(effect.blockHash)}`;
    case 'request-proposal-block':
      return `request-proposal-block h${effect.height} r${effect.round}`;
    case 'wait-for-txs':
      return `wait-for-txs h${effect.height}`;
    case 'decide':
      return `decide h${effect.height} ${label(effect.blockHash)} r${effect.round}`;
    case 'evidence': {
      const evidence = effect.evidence;
      const message = evidence.kind === 'vote' ? evidence.type : 'proposal';
      return `evidence ${evidence.validator} ${message} r${evidence.round}`;
    }
    case 'halted':
      return `halted h${effect.height} r${effect.round}`;
    case 'untimely-proposal':
      return `untimely-proposal ${effect.proposer} r${effect.round} +${effect.aheadMs}ms`;
    case 'send-proposal-request':
      return `send-proposal-request r${effect.request.round} to ${effect.to.join(',')}`;
    case 'send-proposal':
      return `send-proposal ${label(effect.proposal.blockHash)} r${effect.proposal.round} to ${effect.to}`;
    case 'send-vote':
      return `send-vote ${effect.vote.type} ${label(effect.vote.blockHash)} r${effect.vote.round} to ${effect.to}`;
  }
}

export function labelsOf(blocks: Record<string, Block>): Map<string, string> {
  return new Map(Object.entries(blocks).map(([name, block]) => [toHex(blockHash(block.header)), name]));
}
